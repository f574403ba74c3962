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
 * Tcl list elements: braces around an element that is empty or holds
 * white space, braces, quotes or backslashes (the values here never hold
 * unbalanced braces).
 */
int
sc__str_element(struct sc__str *str, const char *element)
{
    size_t n = strlen(element), i;
    int brace = (n == 0);

    for (i = 0; i < n && !brace; i++) {
	unsigned char c = (unsigned char) element[i];

	brace = isspace(c) || c == '{' || c == '}' || c == '"' || c == '\\'
		|| c == '[' || c == '$' || c == ';';
    }
    if (str->len > 0 && str->s[str->len - 1] != ' ') {
	if (sc__str_append(str, " ", 1) < 0) {
	    return -1;
	}
    }
    if (!brace) {
	return sc__str_append(str, element, n);
    }
    if (sc__str_append(str, "{", 1) < 0 || sc__str_append(str, element, n) < 0) {
	return -1;
    }
    return sc__str_append(str, "}", 1);
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

int
sc__list_split(const char *list, char elems[][64], int max)
{
    const char *p = list;
    int n = 0;

    for (;;) {
	const char *start;
	size_t len;

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
	    int depth = 1;

	    start = ++p;
	    while (*p != '\0' && depth > 0) {
		depth += (*p == '{') - (*p == '}');
		p++;
	    }
	    if (depth != 0) {
		return -1;
	    }
	    len = (size_t) (p - start - 1);
	    if (*p != '\0' && !isspace((unsigned char) *p)) {
		return -1;	/* Tcl: extra characters after close-brace. */
	    }
	} else {
	    start = p;
	    while (*p != '\0' && !isspace((unsigned char) *p)) {
		p++;
	    }
	    len = (size_t) (p - start);
	}
	if (len >= 64) {
	    return -1;
	}
	memcpy(elems[n], start, len);
	elems[n][len] = '\0';
	n++;
    }
}
