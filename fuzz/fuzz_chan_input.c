/*
 * fuzz_chan_input.c --
 *
 *	The input side of the channel layer: the fuzz input goes through a
 *	channel in chunks of arbitrary sizes (with "would block" between
 *	them on a nonblocking channel) and is read back with sc_gets,
 *	sc_read and sc_read_all in turn; what comes out is compared with a
 *	reference model of Tcl's input semantics written here, apart from
 *	the library's code.
 *
 *	The channel sits on a driver of this file (chan.h's interface, as
 *	fd.c and sock.c are), so that the chunking is exact and no
 *	descriptor is involved.
 *
 *	Input layout: 8 header bytes, then the data.
 *	  0  translation: auto, lf, cr, crlf, binary (value % 5)
 *	  1  bits 0-2: encoding (utf-8, iso8859-1, binary, ascii, cp1252,
 *	     shiftjis, utf-16, euc-jp); bit 3: nonblocking; bit 4: change
 *	     options between reads (no model check then); bit 5: eofchar
 *	  2  the eofchar (& 0x7f; 0 is none)
 *	  3  -buffersize (a few small sizes, or the default)
 *	  4  -maxline (0: the default; else 1..255)
 *	  5-7  the seed of the chunk sizes and of the reading operations
 *
 *	Checked against the model: every translation (auto, lf, cr, crlf,
 *	binary) with the encodings utf-8, iso8859-1, ascii and binary, with
 *	or without an eofchar, blocking or not, any buffer size and
 *	-maxline. Only for crashes, leaks and undefined behaviour: the
 *	iconv encodings (their tables are iconv's) and option changes in
 *	mid-stream (bit 4), whose result depends on what was consumed when.
 *	Found so far: fuzz/crashes/small_buffersize_eof.c and
 *	auto_eofchar_newline.c (both fixed in 614d750).
 */

#include "sockchan.h"
#include "chan/chan.h"
#include "fuzz_common.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* --- The driver: bytes in chunks of the generator's sizes. ------------- */

typedef struct Feed {
    const uint8_t *data;
    size_t len, pos;
    uint32_t rng;
    int nonblocking;
    unsigned maxChunk;
} Feed;

static long
FeedInput(void *inst, char *buf, size_t n, int *errPtr)
{
    Feed *f = inst;
    size_t c;

    /* read(2) and recv(2) return 0 for n == 0, which the channel would
     * take for end of file. */
    FUZZ_CHECK(n > 0, "the channel asked its driver for 0 bytes");
    if (f->pos == f->len) {
	return 0;
    }
    c = FuzzRand(&f->rng) % (f->maxChunk + 1);
    if (c == 0) {
	if (f->nonblocking) {
	    *errPtr = EAGAIN;
	    return -1;
	}
	c = 1;
    }
    if (c > n) {
	c = n;
    }
    if (c > f->len - f->pos) {
	c = f->len - f->pos;
    }
    memcpy(buf, f->data + f->pos, c);
    f->pos += c;
    return (long) c;
}

static long
FeedOutput(void *inst, const char *buf, size_t n, int *errPtr)
{
    (void) inst;
    (void) buf;
    return (long) n;
}

static int
FeedClose(void *inst, int direction)
{
    (void) inst;
    (void) direction;
    return 0;
}

static int
FeedWatch(void *inst, int mask)
{
    (void) inst;
    (void) mask;
    return 0;			/* Nothing to watch: always "watched". */
}

static int
FeedBlockMode(void *inst, int blocking)
{
    ((Feed *) inst)->nonblocking = !blocking;
    return 0;
}

static int
FeedHandle(void *inst, int direction)
{
    (void) inst;
    (void) direction;
    return -1;
}

static void
FeedName(void *inst, char *buf, size_t size)
{
    (void) inst;
    snprintf(buf, size, "fuzz0");
}

static const struct sc__chan_type feedType = {
    "fuzz", FeedInput, FeedOutput, FeedClose, FeedWatch, FeedBlockMode,
    FeedHandle, NULL, NULL, "", FeedName, SC_TRANS_LF
};

/* --- The model. --------------------------------------------------------- */

typedef struct Buf {
    unsigned char *s;
    size_t len, cap;
} Buf;

static void
Put(Buf *b, const void *p, size_t n)
{
    if (n == 0) {
	return;
    }
    if (b->len + n > b->cap) {
	b->cap = (b->len + n) * 2 + 16;
	b->s = realloc(b->s, b->cap);
	FUZZ_CHECK(b->s != NULL, "out of memory");
    }
    memcpy(b->s + b->len, p, n);
    b->len += n;
}

/* Append code point cp as UTF-8 (cp < 0x110000). */
static void
PutCode(Buf *b, unsigned long cp)
{
    unsigned char u[4];

    if (cp < 0x80) {
	u[0] = (unsigned char) cp;
	Put(b, u, 1);
    } else if (cp < 0x800) {
	u[0] = (unsigned char) (0xC0 | (cp >> 6));
	u[1] = (unsigned char) (0x80 | (cp & 0x3F));
	Put(b, u, 2);
    } else if (cp < 0x10000) {
	u[0] = (unsigned char) (0xE0 | (cp >> 12));
	u[1] = (unsigned char) (0x80 | ((cp >> 6) & 0x3F));
	u[2] = (unsigned char) (0x80 | (cp & 0x3F));
	Put(b, u, 3);
    } else {
	u[0] = (unsigned char) (0xF0 | (cp >> 18));
	u[1] = (unsigned char) (0x80 | ((cp >> 12) & 0x3F));
	u[2] = (unsigned char) (0x80 | ((cp >> 6) & 0x3F));
	u[3] = (unsigned char) (0x80 | (cp & 0x3F));
	Put(b, u, 4);
    }
}

/*
 * One UTF-8 character at s[0..n) by the Unicode standard's definition of
 * well-formed (no overlong forms, no surrogates, nothing above
 * U+10FFFF). Returns its length and *cp, or 0 when s does not start with
 * a whole well-formed character.
 */
static size_t
Utf8Char(const unsigned char *s, size_t n, unsigned long *cp)
{
    size_t need, i;
    unsigned long c;

    if (s[0] < 0x80) {
	*cp = s[0];
	return 1;
    } else if (s[0] >= 0xC0 && s[0] < 0xE0) {
	need = 2;
	c = s[0] & 0x1F;
    } else if (s[0] >= 0xE0 && s[0] < 0xF0) {
	need = 3;
	c = s[0] & 0x0F;
    } else if (s[0] >= 0xF0 && s[0] < 0xF8) {
	need = 4;
	c = s[0] & 0x07;
    } else {
	return 0;
    }
    if (n < need) {
	return 0;
    }
    for (i = 1; i < need; i++) {
	if ((s[i] & 0xC0) != 0x80) {
	    return 0;
	}
	c = (c << 6) | (s[i] & 0x3F);
    }
    if ((need == 2 && c < 0x80) || (need == 3 && c < 0x800)
	    || (need == 4 && c < 0x10000) || c > 0x10FFFF
	    || (c >= 0xD800 && c <= 0xDFFF)) {
	return 0;
    }
    *cp = c;
    return need;
}

enum { ENC_UTF8, ENC_LATIN1, ENC_BINARY, ENC_ASCII, ENC_NATIVE };

/*
 * What a program must read from raw under Tcl's rules: decode (utf-8:
 * well-formed characters as they are, any other byte as U+00XX;
 * iso8859-1 and ascii: every byte as U+00XX, which is the byte itself
 * below 0x80; binary: bytes), stop at the eofchar (a character, found
 * before translation), then translate line ends to \n (lf: none; cr:
 * \r; crlf: \r\n, a lone \r or \n staying data; auto: \r\n, \r, \n).
 */
static void
Model(const unsigned char *raw, size_t len, int enc, int trans, int eofChar,
	Buf *out)
{
    Buf text = {NULL, 0, 0};
    size_t i = 0, j;

    while (i < len) {
	unsigned long cp = raw[i];
	size_t used = 1;

	if (enc == ENC_UTF8) {
	    used = Utf8Char(raw + i, len - i, &cp);
	    if (used == 0) {
		cp = raw[i];
		used = 1;
	    }
	}
	if (eofChar != 0 && cp == (unsigned long) eofChar) {
	    break;
	}
	if (enc == ENC_BINARY) {
	    Put(&text, raw + i, 1);
	} else {
	    PutCode(&text, cp);
	}
	i += used;
    }
    for (j = 0; j < text.len; j++) {
	unsigned char c = text.s[j];
	int nextLF = j + 1 < text.len && text.s[j + 1] == '\n';

	if (c == '\r' && trans == SC_TRANS_CR) {
	    c = '\n';
	} else if (c == '\r' && trans == SC_TRANS_CRLF && nextLF) {
	    c = '\n';
	    j++;
	} else if (c == '\r' && trans == SC_TRANS_AUTO) {
	    c = '\n';
	    j += nextLF;
	}
	Put(out, &c, 1);
    }
    free(text.s);
}

static void
Dump(const char *what, const Buf *b)
{
    size_t i;

    fprintf(stderr, "%-6s", what);
    for (i = 0; i < b->len; i++) {
	fprintf(stderr, " %02x", b->s[i]);
    }
    fputc('\n', stderr);
}

/* --- The target. -------------------------------------------------------- */

static const char *const encodings[] = {
    "utf-8", "iso8859-1", "binary", "ascii", "cp1252", "shiftjis",
    "utf-16", "euc-jp"
};
static const char *const translations[] = {
    "auto", "lf", "cr", "crlf", "binary"
};
/* 1..3 once lost input (fuzz/crashes/small_buffersize_eof.c). */
static const unsigned bufSizes[] = {1, 2, 3, 4, 5, 7, 8, 16, 64, 4096};

static sc_loop *loop;

/* Change an option in mid-stream (bit 4 of byte 1). */
static void
Chaos(sc_chan *chan, uint32_t *rng)
{
    char value[16];
    uint32_t r = FuzzRand(rng);

    switch (r % 6) {
    case 0:
	sc_chan_configure(chan, "-translation", translations[(r >> 8) % 5]);
	break;
    case 1:
	sc_chan_configure(chan, "-encoding", encodings[(r >> 8) % 8]);
	break;
    case 2:
	sc_chan_set_eofchar(chan, (r >> 16) & 1 ? (int) ((r >> 8) % 0x7f + 1)
		: 0, 0);
	break;
    case 3:
	sc_chan_set_buffersize(chan, bufSizes[(r >> 8) % 10]);
	break;
    case 4:
	sc_chan_set_blocking(chan, (r >> 8) & 1);
	break;
    default:
	snprintf(value, sizeof(value), "%u", 1 + (r >> 8) % 64);
	sc_chan_configure(chan, "-maxline", value);
	break;
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Feed feed;
    sc_chan *chan;
    Buf got = {NULL, 0, 0}, want = {NULL, 0, 0};
    char *line = NULL, *all;
    size_t cap = 0, ops = 0, maxOps;
    unsigned transIx, encIx, flags, eofChar, bufIx, maxLine;
    uint32_t rng;
    int chaos, mustRead = 0, done = 0;

    if (size < 8) {
	return 0;
    }
    transIx = FuzzByte(&data, &size) % 5;
    flags = FuzzByte(&data, &size);
    encIx = flags & 7;
    eofChar = (flags & 0x20) ? FuzzByte(&data, &size) & 0x7f
	    : (FuzzByte(&data, &size), 0);
    bufIx = FuzzByte(&data, &size);
    maxLine = FuzzByte(&data, &size);
    rng = FuzzByte(&data, &size);
    rng = rng << 8 | FuzzByte(&data, &size);
    rng = rng << 8 | FuzzByte(&data, &size);
    rng = rng * 2654435761u + 1;
    chaos = (flags & 0x10) != 0;

    if (loop == NULL) {
	loop = sc_loop_new(0);
	FUZZ_CHECK(loop != NULL, "no loop");
    }
    memset(&feed, 0, sizeof(feed));
    feed.data = data;
    feed.len = size;
    feed.rng = rng ^ 0x5bd1e995u;
    feed.maxChunk = 1 + (rng >> 24) % 32;
    chan = sc__chan_new(loop, &feedType, sizeof(feed), SC_READABLE);
    FUZZ_CHECK(chan != NULL, "no channel");
    memcpy(chan->inst, &feed, sizeof(feed));

    FUZZ_CHECK(sc_chan_configure(chan, "-translation",
	    translations[transIx]) == 0, "%s", sc_errmsg(loop));
    if (transIx != SC_TRANS_BINARY) {
	FUZZ_CHECK(sc_chan_configure(chan, "-encoding", encodings[encIx])
		== 0 || encIx >= ENC_NATIVE, "%s", sc_errmsg(loop));
	FUZZ_CHECK(sc_chan_set_eofchar(chan, (int) eofChar, 0) == 0,
		"%s", sc_errmsg(loop));
    } else {
	encIx = ENC_BINARY;
	eofChar = 0;
    }
    if (bufIx < 10 * 16) {
	sc_chan_set_buffersize(chan, bufSizes[bufIx % 10]);
    }
    if (maxLine != 0) {
	FUZZ_CHECK(sc_chan_set_maxline(chan, maxLine) == 0, "maxline");
    }
    if (flags & 0x08) {
	FUZZ_CHECK(sc_chan_set_blocking(chan, 0) == 0, "nonblocking");
    }

    /* Each operation takes at least a byte or meets a "would block",
     * and the feed has at most size + (number of its calls) of those. */
    maxOps = 16 * size + 1000;
    while (!done) {
	uint32_t r = FuzzRand(&rng);
	long n;

	FUZZ_CHECK(++ops < maxOps, "no progress after %zu operations", ops);
	if (chaos && r % 8 == 0) {
	    Chaos(chan, &rng);
	    continue;
	}
	if (getenv("FUZZ_TRACE")) {
	    fprintf(stderr, "op %u after %zu bytes\n",
		    mustRead ? 1 : (r >> 4) % 8, got.len);
	}
	switch (mustRead ? 1 : (r >> 4) % 8) {
	case 0: case 2: case 3: case 4:
	    n = sc_gets(chan, &line, &cap);
	    if (getenv("FUZZ_TRACE")) {
		fprintf(stderr, "gets: %ld eof %d\n", n, sc_eof(chan));
	    }
	    if (n >= 0) {
		FUZZ_CHECK(line[n] == '\0', "gets: no NUL");
		Put(&got, line, (size_t) n);
		if (!sc_eof(chan)) {
		    Put(&got, "\n", 1);
		}
	    } else if (n == SC_EOF) {
		done = 1;
	    } else if (n == SC_ERROR) {
		/* Only a line longer than -maxline may fail; its bytes
		 * stay for sc_read. */
		FUZZ_CHECK(errno == EMSGSIZE, "gets: %s", sc_errmsg(loop));
		mustRead = 1;
	    } else {
		FUZZ_CHECK(n == SC_BLOCKED && (flags & 0x08 || chaos),
			"gets: %ld", n);
	    }
	    break;
	case 7:
	    n = sc_read_all(chan, &all);
	    if (n >= 0) {
		Put(&got, all, (size_t) n);
		free(all);
		done = n == 0 || sc_eof(chan);
	    } else {
		FUZZ_CHECK(n == SC_BLOCKED && (flags & 0x08 || chaos),
			"read_all: %ld (%s)", n, sc_errmsg(loop));
	    }
	    break;
	default: {
	    char buf[300];
	    size_t want_n = 1 + (r >> 8) % ((r >> 20) & 1 ? 300 : 9);

	    n = sc_read(chan, buf, want_n);
	    if (n > 0) {
		FUZZ_CHECK((size_t) n <= want_n, "read: too much");
		Put(&got, buf, (size_t) n);
		mustRead = 0;
	    } else if (n == SC_EOF) {
		done = 1;
	    } else {
		FUZZ_CHECK(n == SC_BLOCKED && (flags & 0x08 || chaos),
			"read: %ld (%s)", n, sc_errmsg(loop));
	    }
	}
	}
    }
    FUZZ_CHECK(sc_eof(chan), "the end came without eof");

    if (!chaos && encIx < ENC_NATIVE) {
	Model(data, size, (int) encIx, (int) transIx == SC_TRANS_BINARY
		? SC_TRANS_LF : (int) transIx, (int) eofChar, &want);
	if (got.len != want.len || (got.len > 0
		&& memcmp(got.s, want.s, got.len) != 0)) {
	    size_t i = 0;

	    while (i < got.len && i < want.len && got.s[i] == want.s[i]) {
		i++;
	    }
	    Dump("read", &got);
	    Dump("model", &want);
	    FUZZ_CHECK(0, "translation %s encoding %s eofchar %u: read "
		    "%zu bytes, the model says %zu; first difference at "
		    "byte %zu", translations[transIx], encodings[encIx],
		    eofChar, got.len, want.len, i);
	}
    }
    sc_close(chan);
    free(line);
    free(got.s);
    free(want.s);
    return 0;
}
