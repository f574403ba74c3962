/*
 * buf.c --
 *
 *	Channel buffers, from the loop's pool, and the small string and list
 *	helpers the option code uses.
 */

#include "chan/chan.h"
#include "core/sys.h"
#include "loop/loop.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

_Static_assert(sizeof(struct sc__buf) + SC__DEFAULT_BUFSIZE == SC__POOL_BLOCK,
	"a default channel buffer is one pool block");

struct sc__buf *
sc__buf_get(sc_loop *loop, size_t cap)
{
    struct sc__buf *buf = sc__pool_alloc(loop, sizeof(*buf) + cap);

    if (buf == NULL) {
	errno = ENOMEM;
	return NULL;
    }
    buf->next = NULL;
    buf->start = buf->end = 0;
    buf->cap = (uint32_t) cap;
    return buf;
}

void
sc__buf_put(sc_loop *loop, struct sc__buf *buf)
{
    if (buf != NULL) {
	sc__pool_free(loop, buf, sizeof(*buf) + buf->cap);
    }
}

/*
 * Strings.
 */

static int
StrReserve(struct sc__str *str, size_t more)
{
    size_t need = str->len + more + 1, cap;
    char *s;

    if (need <= str->cap) {
	return 0;
    }
    cap = str->cap ? str->cap : 64;
    while (cap < need) {
	cap *= 2;
    }
    s = sc__realloc(str->s, cap);
    if (s == NULL) {
	errno = ENOMEM;
	return -1;
    }
    str->s = s;
    str->cap = cap;
    return 0;
}

int
sc__str_append(struct sc__str *str, const char *bytes, size_t n)
{
    if (StrReserve(str, n) < 0) {
	return -1;
    }
    memcpy(str->s + str->len, bytes, n);
    str->len += n;
    str->s[str->len] = '\0';
    return 0;
}

int
sc__str_appendf(struct sc__str *str, const char *fmt, ...)
{
    va_list ap;
    char small[128];
    int n;

    va_start(ap, fmt);
    n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0) {
	errno = EINVAL;
	return -1;
    }
    if ((size_t) n < sizeof(small)) {
	return sc__str_append(str, small, (size_t) n);
    }
    if (StrReserve(str, (size_t) n) < 0) {
	return -1;
    }
    va_start(ap, fmt);
    vsnprintf(str->s + str->len, (size_t) n + 1, fmt, ap);
    va_end(ap);
    str->len += (size_t) n;
    return 0;
}

/*
 * Whether braces can quote an element, as Tcl decides: the braces in it
 * balance (a backslashed one does not count) and it does not end in a
 * backslash.
 */
static int
CanBrace(const char *element, size_t n)
{
    size_t i;
    int depth = 0;

    for (i = 0; i < n; i++) {
	if (element[i] == '\\') {
	    if (++i == n) {
		return 0;
	    }
	} else if (element[i] == '{') {
	    depth++;
	} else if (element[i] == '}' && --depth < 0) {
	    return 0;
	}
    }
    return depth == 0;
}

/*
 * Tcl list elements: as they are when nothing in them is special; else
 * in braces; else (unbalanced braces, a trailing backslash) with each
 * special character backslashed.
 */
int
sc__str_element(struct sc__str *str, const char *element)
{
    size_t n = strlen(element), i;
    int special = (n == 0);

    for (i = 0; i < n && !special; i++) {
	unsigned char c = (unsigned char) element[i];

	special = isspace(c) || c == '{' || c == '}' || c == '"' || c == '\\'
		|| c == '[' || c == ']' || c == '$' || c == ';';
    }
    if (str->len > 0 && str->s[str->len - 1] != ' ') {
	if (sc__str_append(str, " ", 1) < 0) {
	    return -1;
	}
    }
    if (!special) {
	return sc__str_append(str, element, n);
    }
    if (CanBrace(element, n)) {
	if (sc__str_append(str, "{", 1) < 0
		|| sc__str_append(str, element, n) < 0) {
	    return -1;
	}
	return sc__str_append(str, "}", 1);
    }
    for (i = 0; i < n; i++) {
	unsigned char c = (unsigned char) element[i];
	const char *esc = c == '\n' ? "\\n" : c == '\t' ? "\\t"
		: c == '\r' ? "\\r" : NULL;

	if (esc != NULL) {
	    if (sc__str_append(str, esc, 2) < 0) {
		return -1;
	    }
	    continue;
	}
	if ((isspace(c) || strchr("{}\"\\[]$;", c) != NULL)
		&& sc__str_append(str, "\\", 1) < 0) {
	    return -1;
	}
	if (sc__str_append(str, (const char *) &element[i], 1) < 0) {
	    return -1;
	}
    }
    return 0;
}

void
sc__str_free(struct sc__str *str)
{
    sc__free(str->s);
    str->s = NULL;
    str->len = str->cap = 0;
}

int
sc__str_put_value(struct sc__str *out, struct sc__str *value, int asElement,
	int r)
{
    if (r == 0 && value->s == NULL) {
	r = sc__str_append(value, "", 0);
    }
    if (r == 0) {
	r = asElement ? sc__str_element(out, value->s)
		: sc__str_append(out, value->s, value->len);
    }
    sc__str_free(value);
    return r;
}

/* One backslash sequence at p (after the backslash): the character. */
static char
Unescape(const char **p)
{
    char c = **p;

    if (c == '\0') {
	return '\\';
    }
    (*p)++;
    return c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c;
}

int
sc__list_split(const char *list, char elems[][64], int max)
{
    const char *p = list;
    int n = 0;

    for (;;) {
	size_t len = 0;

	while (isspace((unsigned char) *p)) {
	    p++;
	}
	if (*p == '\0') {
	    return n;
	}
	if (n == max) {
	    return -1;
	}
	if (*p == '{') {
	    /* Braces: everything as it is; a backslashed brace does not
	     * count. */
	    int depth = 1;
	    const char *start = ++p;

	    while (*p != '\0') {
		if (*p == '\\' && p[1] != '\0') {
		    p += 2;
		    continue;
		}
		depth += (*p == '{') - (*p == '}');
		if (depth == 0) {
		    break;
		}
		p++;
	    }
	    if (depth != 0) {
		return -1;
	    }
	    len = (size_t) (p - start);
	    if (len >= 64) {
		return -1;
	    }
	    memcpy(elems[n], start, len);
	    p++;
	    if (*p != '\0' && !isspace((unsigned char) *p)) {
		return -1;	/* Tcl: extra characters after close-brace. */
	    }
	} else {
	    /* A bare word or a quoted one, with backslash sequences. */
	    int quoted = (*p == '"');

	    p += quoted;
	    while (*p != '\0' && (quoted ? *p != '"'
		    : !isspace((unsigned char) *p))) {
		char c = *p++;

		if (c == '\\') {
		    c = Unescape(&p);
		}
		if (len == 63) {
		    return -1;
		}
		elems[n][len++] = c;
	    }
	    if (quoted) {
		if (*p != '"') {
		    return -1;	/* Tcl: unmatched open quote. */
		}
		p++;
		if (*p != '\0' && !isspace((unsigned char) *p)) {
		    return -1;
		}
	    }
	}
	elems[n][len] = '\0';
	n++;
    }
}
