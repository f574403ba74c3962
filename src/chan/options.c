/*
 * options.c --
 *
 *	Channel options by Tcl's names, values and messages (fconfigure),
 *	and the typed setters beside them. Names may be abbreviated as Tcl
 *	allows (-b for -blocking, -buffer for -buffering); the driver's own
 *	options follow the generic ones.
 */

#include "chan/chan.h"
#include "core/sock.h"
#include "core/sys.h"
#include "loop/loop.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum {
    OPT_BLOCKING, OPT_BUFFERING, OPT_BUFFERSIZE, OPT_ENCODING, OPT_EOFCHAR,
    OPT_TRANSLATION, OPT_MAXLINE, OPT_OUTPUTLIMIT, OPT_COUNT
};

/*
 * The generic options, in the order fconfigure lists them. As in Tcl, a
 * name matches when it is longer than minLen and a prefix of the option
 * (so -bl is -blocking, -bufferi -buffering, -t -translation).
 */
static const struct {
    const char *name;
    size_t minLen;
} genericOptions[OPT_COUNT] = {
    {"-blocking", 2},
    {"-buffering", 7},
    {"-buffersize", 7},
    {"-encoding", 2},
    {"-eofchar", 2},
    {"-translation", 1},
    {"-maxline", 2},
    {"-outputlimit", 2},
};

static const char *const transNames[] = {
    [SC_TRANS_AUTO] = "auto",
    [SC_TRANS_LF] = "lf",
    [SC_TRANS_CR] = "cr",
    [SC_TRANS_CRLF] = "crlf",
    [SC_TRANS_BINARY] = "binary",
};

static int
FindGeneric(const char *name)
{
    size_t len = strlen(name);
    int i;

    for (i = 0; i < OPT_COUNT; i++) {
	if (len > genericOptions[i].minLen
		&& strncmp(name, genericOptions[i].name, len) == 0) {
	    return i;
	}
    }
    return -1;
}

/* Tcl's "bad option "-x": should be one of -a, -b, or -c". */
static int
BadOption(sc_chan *chan, const char *name)
{
    struct sc__str list = {NULL, 0, 0};
    const char *names[OPT_COUNT + 48];
    char driverNames[512];
    int n = 0, i;
    char *save = NULL, *tok;

    for (i = 0; i < OPT_COUNT; i++) {
	names[n++] = genericOptions[i].name;
    }
    sc__chan_option_names(chan, driverNames, sizeof(driverNames));
    for (tok = strtok_r(driverNames, " ", &save);
	    tok != NULL && n < OPT_COUNT + 48;
	    tok = strtok_r(NULL, " ", &save)) {
	names[n++] = tok;
    }
    for (i = 0; i < n; i++) {
	sc__str_appendf(&list, "%s%s%s", i == 0 ? "" : ", ",
		i == n - 1 ? "or " : "", names[i]);
    }
    sc__chan_error(chan, 0, "bad option \"%s\": should be one of %s", name,
	    list.s ? list.s : "");
    sc__str_free(&list);
    return -1;
}

/*
 * Tcl_GetBoolean: 0 and 1, and unique prefixes of true, false, yes, no,
 * on and off, in any case.
 */
int
sc__parse_boolean(const char *s, int *value)
{
    static const struct {
	const char *word;
	int value;
    } words[] = {
	{"true", 1}, {"false", 0}, {"yes", 1}, {"no", 0}, {"on", 1},
	{"off", 0},
    };
    size_t len = strlen(s), i;
    int found = -1;

    if (len == 0) {
	return -1;
    }
    if (strcmp(s, "0") == 0 || strcmp(s, "1") == 0) {
	*value = s[0] == '1';
	return 0;
    }
    for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
	if (strncasecmp(s, words[i].word, len) == 0) {
	    if (found >= 0 && words[i].value != found) {
		return -1;	/* "o": on or off. */
	    }
	    found = words[i].value;
	}
    }
    if (found < 0) {
	return -1;
    }
    *value = found;
    return 0;
}

/* Tcl_GetInt: an integer that fits an int. */
static int
ParseInt(const char *s, long *value)
{
    long n;

    if (sc__parse_int(s, &n) != 0 || n > INT_MAX || n < INT_MIN) {
	return -1;
    }
    *value = n;
    return 0;
}

/*
 *----------------------------------------------------------------------
 *
 * The typed setters --
 *
 *----------------------------------------------------------------------
 */

/* Tcl's refusal to change a channel that a copy owns. */
static int
Copying(sc_chan *chan)
{
    if (chan == NULL) {
	errno = EINVAL;
	return 1;
    }
    if (chan->flags & CF_COPY) {
	sc__chan_error(chan, 0, "unable to set channel options: background "
		"copy in progress");
	errno = EBUSY;
	return 1;
    }
    return 0;
}

int
sc_chan_set_blocking(sc_chan *chan, int blocking)
{
    int err;

    if (Copying(chan)) {
	return -1;
    }
    err = chan->type->blockMode(chan->inst, blocking);
    if (err != 0) {
	return sc__chan_error(chan, err, "error setting blocking mode");
    }
    if (blocking) {
	chan->flags &= ~(uint32_t) CF_NONBLOCK;
    } else {
	chan->flags |= CF_NONBLOCK;
    }
    return 0;
}

int
sc_chan_set_buffering(sc_chan *chan, int buffering)
{
    if (Copying(chan)) {
	return -1;
    }
    if (buffering != SC_BUFFER_FULL && buffering != SC_BUFFER_LINE
	    && buffering != SC_BUFFER_NONE) {
	return sc__chan_error(chan, 0, "bad value for -buffering: must be "
		"one of full, line, or none");
    }
    chan->buffering = (uint8_t) buffering;
    if (buffering != SC_BUFFER_FULL && chan->out.bytes > 0) {
	return sc__chan_flush(chan);
    }
    return 0;
}

int
sc_chan_set_buffersize(sc_chan *chan, size_t size)
{
    if (Copying(chan)) {
	return -1;
    }
    /* Tcl keeps the size within 1 byte .. 1 MiB. */
    if (size < 1) {
	size = 1;
    } else if (size > SC__MAX_BUFSIZE) {
	size = SC__MAX_BUFSIZE;
    }
    chan->bufSize = (uint32_t) size;
    return 0;
}

int
sc_chan_set_translation(sc_chan *chan, int in, int out)
{
    int binary = 0;

    if (Copying(chan)) {
	return -1;
    }
    if (in < SC_TRANS_AUTO || in > SC_TRANS_BINARY || out < SC_TRANS_AUTO
	    || out > SC_TRANS_BINARY) {
	return sc__chan_error(chan, 0, "bad value for -translation: must be "
		"one of auto, binary, cr, lf, crlf, or platform");
    }
    if (chan->flags & CF_READ) {
	if (in == SC_TRANS_BINARY) {
	    binary = 1;
	    in = SC_TRANS_LF;
	}
	if (in != chan->transIn) {
	    chan->flags &= ~(uint32_t) CF_SAWCR;
	    if ((chan->flags & CF_NEEDNL) && in != SC_TRANS_CRLF) {
		/* A held \r stays a \r under the new rule, after the
		 * partial line a blocked gets kept, if any. */
		chan->flags &= ~(uint32_t) CF_NEEDNL;
		if (chan->x != NULL && chan->x->stash.len > 0) {
		    if (sc__str_append(&chan->x->stash, "\r", 1) < 0) {
			return sc__chan_error(chan, ENOMEM,
				"can't set -translation");
		    }
		} else {
		    chan->pend[chan->pendLen++] = '\r';
		}
	    }
	    chan->flags &= ~(uint32_t) CF_NEEDMORE;
	}
	chan->transIn = (uint8_t) in;
    }
    if (chan->flags & CF_WRITE) {
	if (out == SC_TRANS_BINARY) {
	    binary = 1;
	    out = SC_TRANS_LF;
	} else if (out == SC_TRANS_AUTO) {
	    /* The platform's (lf), or crlf for sockets, as Tcl does. */
	    out = chan->type->autoOut;
	}
	chan->transOut = (uint8_t) out;
    }
    if (binary) {
	/* As in Tcl: binary is lf, the binary encoding, and no eofchar. */
	struct sc__encinfo info;

	sc__enc_find("binary", &info);
	if (sc__chan_set_encoding(chan, &info) < 0) {
	    sc__chan_raw_update(chan);	/* The translation did change. */
	    return -1;
	}
	if (chan->x != NULL) {
	    chan->x->eofIn = chan->x->eofOut = 0;
	}
    }
    sc__chan_raw_update(chan);
    return 0;
}

int
sc__chan_set_encoding(sc_chan *chan, const struct sc__encinfo *info)
{
    struct sc__chanx *x = chan->x;

    /* What the old encoder holds back goes out in the old encoding. */
    if ((chan->flags & CF_WRITE) && sc__chan_flush_encoder(chan) < 0) {
	return sc__chan_error(chan, ENOMEM, "can't set encoding");
    }
    if (info->kind == SC_ENC_ICONV || info->kind == SC_ENC_LATIN1
	    || info->kind == SC_ENC_ASCII) {
	struct sc__codec in, out;

	x = sc__chan_x(chan);
	if (x == NULL) {
	    return sc__chan_error(chan, ENOMEM, "can't set encoding");
	}
	if (sc__codec_init(&in, info, 0) < 0) {
	    return sc__chan_error(chan, errno, "can't set encoding \"%s\"",
		    info->name);
	}
	if (sc__codec_init(&out, info, 1) < 0) {
	    int err = errno;

	    sc__codec_free(&in);
	    return sc__chan_error(chan, err, "can't set encoding \"%s\"",
		    info->name);
	}
	sc__codec_free(&x->inCodec);
	sc__codec_free(&x->outCodec);
	x->inCodec = in;
	x->outCodec = out;
	x->enc = *info;
    } else if (x != NULL) {
	sc__codec_free(&x->inCodec);
	sc__codec_free(&x->outCodec);
	memset(&x->inCodec, 0, sizeof(x->inCodec));
	memset(&x->outCodec, 0, sizeof(x->outCodec));
	x->inCodec.kind = x->outCodec.kind = info->kind;
	x->outCodec.output = 1;
	x->enc = *info;
    }
    chan->encIn = chan->encOut = (uint8_t) info->kind;
    chan->flags &= ~(uint32_t) CF_NEEDMORE;
    sc__chan_raw_update(chan);
    return 0;
}

int
sc_chan_set_encoding(sc_chan *chan, const char *name)
{
    struct sc__encinfo info;

    if (Copying(chan)) {
	return -1;
    }
    if (name == NULL || name[0] == '\0') {
	name = "binary";
    }
    if (sc__enc_find(name, &info) < 0) {
	return sc__chan_error(chan, 0, "unknown encoding \"%s\"", name);
    }
    return sc__chan_set_encoding(chan, &info);
}

int
sc_chan_set_eofchar(sc_chan *chan, int in, int out)
{
    struct sc__chanx *x;

    if (Copying(chan)) {
	return -1;
    }
    if (in < 0 || in > 0x7f || out < 0 || out > 0x7f) {
	return sc__chan_error(chan, 0, "bad value for -eofchar: must be "
		"non-NUL ASCII character");
    }
    if (in == 0 && out == 0 && chan->x == NULL) {
	return 0;
    }
    x = sc__chan_x(chan);
    if (x == NULL) {
	return sc__chan_error(chan, ENOMEM, "can't set -eofchar");
    }
    if (chan->flags & CF_READ) {
	x->eofIn = in;
    }
    if (chan->flags & CF_WRITE) {
	x->eofOut = out;
    }
    sc__chan_raw_update(chan);
    return 0;
}

static int
SetLimit(sc_chan *chan, size_t bytes, int maxLine)
{
    struct sc__chanx *x;

    if (Copying(chan)) {
	return -1;
    }
    if (bytes == 0) {
	return sc__chan_error(chan, 0, "bad value for %s: must be a "
		"positive integer", maxLine ? "-maxline" : "-outputlimit");
    }
    x = sc__chan_x(chan);
    if (x == NULL) {
	return sc__chan_error(chan, ENOMEM, "can't set limit");
    }
    if (maxLine) {
	x->maxLine = bytes;
    } else {
	x->outLimit = bytes;
    }
    return 0;
}

int
sc_chan_set_maxline(sc_chan *chan, size_t bytes)
{
    return SetLimit(chan, bytes, 1);
}

int
sc_chan_set_outputlimit(sc_chan *chan, size_t bytes)
{
    return SetLimit(chan, bytes, 0);
}

/*
 *----------------------------------------------------------------------
 *
 * sc_chan_configure --
 *
 *	Sets one option by name (Tcl's fconfigure chan name value).
 *
 *----------------------------------------------------------------------
 */

static int
ParseTranslation(const char *s)
{
    int i;

    if (strcmp(s, "platform") == 0) {
	return SC_TRANS_LF;
    }
    for (i = 0; i <= SC_TRANS_BINARY; i++) {
	if (strcmp(s, transNames[i]) == 0) {
	    return i;
	}
    }
    return -1;
}

static int
ConfigureTranslation(sc_chan *chan, const char *value)
{
    char elems[2][64];
    int n = sc__list_split(value, elems, 2), in, out;

    if (n < 1) {
	return sc__chan_error(chan, 0, "bad value for -translation: must be "
		"a one or two element list");
    }
    in = ParseTranslation(elems[0]);
    out = ParseTranslation(elems[n == 2 ? 1 : 0]);
    if (in < 0 || out < 0) {
	return sc_chan_set_translation(chan, -1, -1);	/* The message. */
    }
    if (n == 2 && !(chan->flags & CF_READ)) {
	in = chan->transIn;
    }
    return sc_chan_set_translation(chan, in, out);
}

static int
ConfigureEofchar(sc_chan *chan, const char *value)
{
    char elems[2][64];
    int n = sc__list_split(value, elems, 2), c[2] = {0, 0}, i;

    if (n < 0) {
	return sc__chan_error(chan, 0, "bad value for -eofchar: should be a "
		"list of zero, one, or two elements");
    }
    for (i = 0; i < n; i++) {
	size_t len = strlen(elems[i]);

	if (len > 1 || (len == 1 && (unsigned char) elems[i][0] >= 0x80)) {
	    return sc_chan_set_eofchar(chan, -1, -1);	/* The message. */
	}
	c[i] = (unsigned char) elems[i][0];
    }
    if (n == 1) {
	c[1] = c[0];
    }
    return sc_chan_set_eofchar(chan, c[0], c[1]);
}

int
sc_chan_configure(sc_chan *chan, const char *option, const char *value)
{
    long n;
    int b;

    if (Copying(chan)) {
	return -1;
    }
    if (option == NULL || value == NULL) {
	return sc__chan_error(chan, EINVAL, "can't configure: no option or "
		"value");
    }
    switch (FindGeneric(option)) {
    case OPT_BLOCKING:
	if (sc__parse_boolean(value, &b) < 0) {
	    return sc__chan_error(chan, 0, "expected boolean value but got "
		    "\"%s\"", value);
	}
	return sc_chan_set_blocking(chan, b);
    case OPT_BUFFERING: {
	size_t len = strlen(value);

	if (len > 0 && strncmp(value, "full", len) == 0) {
	    return sc_chan_set_buffering(chan, SC_BUFFER_FULL);
	}
	if (len > 0 && strncmp(value, "line", len) == 0) {
	    return sc_chan_set_buffering(chan, SC_BUFFER_LINE);
	}
	if (len > 0 && strncmp(value, "none", len) == 0) {
	    return sc_chan_set_buffering(chan, SC_BUFFER_NONE);
	}
	return sc_chan_set_buffering(chan, -1);
    }
    case OPT_BUFFERSIZE:
	if (ParseInt(value, &n) < 0) {
	    return sc__chan_error(chan, 0, "expected integer but got \"%s\"",
		    value);
	}
	return sc_chan_set_buffersize(chan, n < 1 ? 1 : (size_t) n);
    case OPT_ENCODING:
	return sc_chan_set_encoding(chan, value);
    case OPT_EOFCHAR:
	return ConfigureEofchar(chan, value);
    case OPT_TRANSLATION:
	return ConfigureTranslation(chan, value);
    case OPT_MAXLINE:
    case OPT_OUTPUTLIMIT:
	if (ParseInt(value, &n) < 0) {
	    return sc__chan_error(chan, 0, "expected integer but got \"%s\"",
		    value);
	}
	return SetLimit(chan, n < 1 ? 0 : (size_t) n,
		FindGeneric(option) == OPT_MAXLINE);
    default:
	break;
    }
    if (chan->type->setOption != NULL && chan->inst != NULL) {
	int r = chan->type->setOption(chan->inst, option, value);

	if (r <= 0) {
	    return r;
	}
    }
    return BadOption(chan, option);
}

/*
 *----------------------------------------------------------------------
 *
 * sc_chan_cget --
 *
 *	Returns one option's value, or all of them, as Tcl's fconfigure
 *	does: a channel open both ways shows -eofchar and -translation as
 *	two-element lists, a one-way channel as single values.
 *
 *----------------------------------------------------------------------
 */

/*
 * Append option opt's value to out: as a list element (for the list of
 * all options) or as it is (for a query of one).
 */
static int
GetGeneric(sc_chan *chan, int opt, struct sc__str *out, int asElement)
{
    int both = (chan->flags & (CF_READ | CF_WRITE)) == (CF_READ | CF_WRITE);
    /* A one-way channel shows its side; a server (neither) the input's,
     * as Tcl does. */
    int input = (chan->flags & CF_READ) || !(chan->flags & CF_WRITE);
    static const char *const buffering[] = {"full", "line", "none"};
    struct sc__str v = {NULL, 0, 0};
    char a[2], b[2];
    int r = 0;

    switch (opt) {
    case OPT_BLOCKING:
	r = sc__str_append(&v, (chan->flags & CF_NONBLOCK) ? "0" : "1", 1);
	break;
    case OPT_BUFFERING:
	r = sc__str_appendf(&v, "%s", buffering[chan->buffering]);
	break;
    case OPT_BUFFERSIZE:
	r = sc__str_appendf(&v, "%u", (unsigned) chan->bufSize);
	break;
    case OPT_ENCODING:
	r = sc__str_appendf(&v, "%s", chan->encIn == SC_ENC_BINARY ? "binary"
		: chan->x != NULL && chan->x->enc.name[0] ? chan->x->enc.name
		: "utf-8");
	break;
    case OPT_EOFCHAR:
	a[0] = (char) (chan->x ? chan->x->eofIn : 0);
	b[0] = (char) (chan->x ? chan->x->eofOut : 0);
	a[1] = b[1] = '\0';
	if (!both) {
	    /* As Tcl: the one value is a list element too ({} for none),
	     * so that what cget gives can be configured back. */
	    r = sc__str_element(&v, input ? a : b);
	    asElement = 0;
	} else {
	    r = sc__str_element(&v, a) < 0 || sc__str_element(&v, b) < 0
		    ? -1 : 0;
	}
	break;
    case OPT_TRANSLATION:
	if (!both) {
	    r = sc__str_appendf(&v, "%s", transNames[input ? chan->transIn
		    : chan->transOut]);
	} else {
	    r = sc__str_appendf(&v, "%s %s", transNames[chan->transIn],
		    transNames[chan->transOut]);
	}
	break;
    case OPT_MAXLINE:
	r = sc__str_appendf(&v, "%zu", sc__chan_maxline(chan));
	break;
    case OPT_OUTPUTLIMIT:
	r = sc__str_appendf(&v, "%zu", sc__chan_outlimit(chan));
	break;
    default:
	return -1;
    }
    return sc__str_put_value(out, &v, asElement, r);
}

char *
sc_chan_cget(sc_chan *chan, const char *option)
{
    struct sc__str out = {NULL, 0, 0};
    int opt, i;

    if (chan == NULL) {
	errno = EINVAL;
	return NULL;
    }
    if (option == NULL) {
	for (i = 0; i < OPT_COUNT; i++) {
	    if (sc__str_element(&out, genericOptions[i].name) < 0
		    || sc__str_append(&out, " ", 1) < 0
		    || GetGeneric(chan, i, &out, 1) < 0) {
		goto noMemory;
	    }
	}
	if (chan->type->getOption != NULL && chan->inst != NULL) {
	    sc__loop_clear_error(chan->loop);
	    if (chan->type->getOption(chan->inst, NULL, &out) < 0) {
		if (sc_errmsg(chan->loop)[0] == '\0') {
		    goto noMemory;
		}
		sc__str_free(&out);
		return NULL;
	    }
	}
	return out.s;
    }
    opt = FindGeneric(option);
    if (opt >= 0) {
	if (GetGeneric(chan, opt, &out, 0) < 0
		|| (out.s == NULL && sc__str_append(&out, "", 0) < 0)) {
	    goto noMemory;
	}
	return out.s;
    }
    if (chan->type->getOption != NULL && chan->inst != NULL) {
	int r;

	sc__loop_clear_error(chan->loop);
	r = chan->type->getOption(chan->inst, option, &out);

	if (r == 0) {
	    if (out.s == NULL && sc__str_append(&out, "", 0) < 0) {
		goto noMemory;
	    }
	    return out.s;
	}
	sc__str_free(&out);
	if (r < 0) {
	    if (sc_errmsg(chan->loop)[0] == '\0') {
		/* The driver ran out of memory building the value. */
		goto noMemory;
	    }
	    return NULL;
	}
    }
    BadOption(chan, option);
    return NULL;

  noMemory:
    sc__str_free(&out);
    sc__chan_error(chan, ENOMEM, "can't get option");
    return NULL;
}
