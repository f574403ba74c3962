/*
 * test_encoding.c --
 *
 *	Channel encodings (src/chan/encoding.c): the native kinds both ways,
 *	UTF-8's invalid and truncated input, the carry of a split character
 *	on output, the '?' for what an encoding cannot represent, iconv
 *	encodings (single-byte, multibyte, wide and stateful), name lookup
 *	and the system encoding, and random text through several encodings.
 */

#include "harness.h"
#include "chan/encoding.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SINK_SIZE 65536

/* Collects what sc__encode emits; the failAt'th call fails. */
struct sink {
    unsigned char buf[SINK_SIZE];
    size_t len;
    int calls;
    int failAt;
};

static int
Collect(void *data, const unsigned char *bytes, size_t n)
{
    struct sink *s = data;

    s->calls++;
    if (s->failAt != 0 && s->calls >= s->failAt) {
	errno = EPIPE;
	return -1;
    }
    assert_true(n > 0);
    assert_true(s->len + n <= sizeof(s->buf));
    memcpy(s->buf + s->len, bytes, n);
    s->len += n;
    return 0;
}

static void
SinkReset(struct sink *s)
{
    s->len = 0;
    s->calls = 0;
    s->failAt = 0;
}

static void
Info(const char *name, struct sc__encinfo *info)
{
    if (sc__enc_find(name, info) != 0) {
	fail_msg("encoding \"%s\" not found", name);
    }
}

static void
Open(const char *name, int output, struct sc__codec *c)
{
    struct sc__encinfo info;

    Info(name, &info);
    assert_int_equal(sc__codec_init(c, &info, output), 0);
    assert_int_equal(c->output, output);
}

/* The whole of utf8 through a new output codec, flushed, into s. */
static void
EncodeAll(const char *name, const char *utf8, size_t len, struct sink *s)
{
    struct sc__codec c;

    Open(name, 1, &c);
    SinkReset(s);
    assert_int_equal(sc__encode(&c, (const unsigned char *) utf8, len, 1,
	    Collect, s), 0);
    assert_int_equal(c.carryLen, 0);
    sc__codec_free(&c);
}

#define ASSERT_ENCODES(name, in, out) do {				\
	static struct sink s_;						\
	EncodeAll((name), (in), sizeof(in) - 1, &s_);			\
	assert_int_equal(s_.len, sizeof(out) - 1);			\
	assert_memory_equal(s_.buf, (out), sizeof(out) - 1);		\
    } while (0)

/* Decode all of in, with the whole input present (at end of input). */
static size_t
DecodeAll(const char *name, const void *in, size_t len, unsigned char *out,
	size_t cap)
{
    const unsigned char *p = in;
    struct sc__codec c;
    size_t pos = 0, outLen = 0;

    Open(name, 0, &c);
    while (pos < len) {
	unsigned char ch[SC__MAXCHAR];
	size_t n, chLen = 99;

	n = sc__decode_char(&c, p + pos, len - pos, 1, ch, &chLen);
	assert_true(n >= 1 && n <= len - pos);
	assert_true(chLen <= SC__MAXCHAR);
	assert_true(outLen + chLen <= cap);
	memcpy(out + outLen, ch, chLen);
	outLen += chLen;
	pos += n;
    }
    sc__codec_free(&c);
    return outLen;
}

#define ASSERT_DECODES(name, in, out) do {				\
	unsigned char b_[256];						\
	size_t n_ = DecodeAll((name), (in), sizeof(in) - 1, b_,		\
		sizeof(b_));						\
	assert_int_equal(n_, sizeof(out) - 1);				\
	assert_memory_equal(b_, (out), sizeof(out) - 1);		\
    } while (0)

/* One decode_char call: checks what it took and what it gave. */
static void
DecodeOne(struct sc__codec *c, const char *in, size_t len, int atEof,
	size_t wantTaken, const char *want, size_t wantLen)
{
    unsigned char ch[SC__MAXCHAR];
    size_t n, chLen = 99;

    n = sc__decode_char(c, (const unsigned char *) in, len, atEof, ch,
	    &chLen);
    assert_int_equal(n, wantTaken);
    if (wantTaken > 0) {
	assert_int_equal(chLen, wantLen);
	assert_memory_equal(ch, want, wantLen);
    }
}

/* The UTF-8 form of U+00XX. */
static size_t
Latin1Utf8(unsigned b, unsigned char out[2])
{
    if (b < 0x80) {
	out[0] = (unsigned char) b;
	return 1;
    }
    out[0] = (unsigned char) (0xC0 | (b >> 6));
    out[1] = (unsigned char) (0x80 | (b & 0x3F));
    return 2;
}

/*
 *----------------------------------------------------------------------
 *
 * The native kinds --
 *
 *----------------------------------------------------------------------
 */

static void
binary_passes_bytes_both_ways(void **state)
{
    static struct sink s;
    struct sc__codec c;
    static const unsigned char odd[] = {0xFF, 0x00, 0xC3, 0xE2, 0x82};

    (void) state;
    ASSERT_DECODES("binary", "\xff\x00\xc3\xa9", "\xff\x00\xc3\xa9");
    /* Output: one emit call with src itself, split characters and all. */
    Open("binary", 1, &c);
    SinkReset(&s);
    assert_int_equal(sc__encode(&c, odd, sizeof(odd), 0, Collect, &s), 0);
    assert_int_equal(s.calls, 1);
    assert_int_equal(s.len, sizeof(odd));
    assert_memory_equal(s.buf, odd, sizeof(odd));
    assert_int_equal(c.carryLen, 0);
    assert_int_equal(sc__encode(&c, odd, 0, 1, Collect, &s), 0);
    assert_int_equal(s.calls, 1);
    sc__codec_free(&c);
}

static void
utf8_decodes_valid_characters(void **state)
{
    static const char *const valid[] = {
	"A", "\x7f", "\xc2\x80", "\xc3\xa9", "\xdf\xbf", "\xe0\xa0\x80",
	"\xe2\x82\xac", "\xed\x9f\xbf", "\xee\x80\x80", "\xef\xbf\xbf",
	"\xf0\x90\x80\x80", "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf",
    };
    struct sc__codec c;
    size_t i;

    (void) state;
    Open("utf-8", 0, &c);
    for (i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
	size_t len = strlen(valid[i]);

	DecodeOne(&c, valid[i], len, 0, len, valid[i], len);
	DecodeOne(&c, valid[i], len, 1, len, valid[i], len);
    }
    /* Only the first character is taken. */
    DecodeOne(&c, "\xc3\xa9z", 3, 0, 2, "\xc3\xa9", 2);
    sc__codec_free(&c);
}

static void
utf8_lone_continuation_byte(void **state)
{
    struct sc__codec c;

    (void) state;
    Open("utf-8", 0, &c);
    DecodeOne(&c, "\x80", 1, 0, 1, "\xc2\x80", 2);
    DecodeOne(&c, "\xbf\x80", 2, 0, 1, "\xc2\xbf", 2);
    DecodeOne(&c, "\xa9z", 2, 1, 1, "\xc2\xa9", 2);
    sc__codec_free(&c);
    ASSERT_DECODES("utf-8", "a\x80z", "a\xc2\x80z");
}

static void
utf8_overlong_forms(void **state)
{
    struct sc__codec c;

    (void) state;
    Open("utf-8", 0, &c);
    /* C0 and C1 never start a character; not even C0 80 (Tcl's NUL). */
    DecodeOne(&c, "\xc0\x80", 2, 0, 1, "\xc3\x80", 2);
    DecodeOne(&c, "\xc1\xbf", 2, 0, 1, "\xc3\x81", 2);
    DecodeOne(&c, "\xc0", 1, 0, 1, "\xc3\x80", 2);
    /* E0 80..9F and F0 80..8F are overlong: rejected at once. */
    DecodeOne(&c, "\xe0\x80\x80", 3, 0, 1, "\xc3\xa0", 2);
    DecodeOne(&c, "\xe0\x9f", 2, 0, 1, "\xc3\xa0", 2);
    DecodeOne(&c, "\xf0\x80\x80\x80", 4, 0, 1, "\xc3\xb0", 2);
    DecodeOne(&c, "\xf0\x8f", 2, 0, 1, "\xc3\xb0", 2);
    sc__codec_free(&c);
    ASSERT_DECODES("utf-8", "\xc0\x80", "\xc3\x80\xc2\x80");
    ASSERT_DECODES("utf-8", "\xe0\x80\xaf",
	    "\xc3\xa0\xc2\x80\xc2\xaf");
}

static void
utf8_surrogates_and_beyond_max(void **state)
{
    struct sc__codec c;

    (void) state;
    Open("utf-8", 0, &c);
    DecodeOne(&c, "\xed\xa0\x80", 3, 0, 1, "\xc3\xad", 2);
    DecodeOne(&c, "\xed\xbf\xbf", 3, 0, 1, "\xc3\xad", 2);
    DecodeOne(&c, "\xf4\x90\x80\x80", 4, 0, 1, "\xc3\xb4", 2);
    DecodeOne(&c, "\xf5\x80\x80\x80", 4, 0, 1, "\xc3\xb5", 2);
    DecodeOne(&c, "\xfe", 1, 0, 1, "\xc3\xbe", 2);
    DecodeOne(&c, "\xff", 1, 0, 1, "\xc3\xbf", 2);
    sc__codec_free(&c);
    /* A surrogate pair in CESU form is six bytes, each U+00XX. */
    ASSERT_DECODES("utf-8", "\xed\xa0\xbd\xed\xb8\x80",
	    "\xc3\xad\xc2\xa0\xc2\xbd\xc3\xad\xc2\xb8\xc2\x80");
}

static void
utf8_truncated_waits_unless_eof(void **state)
{
    struct sc__codec c;

    (void) state;
    Open("utf-8", 0, &c);
    /* A valid prefix: more input may come. */
    DecodeOne(&c, "\xc3", 1, 0, 0, NULL, 0);
    DecodeOne(&c, "\xe2\x82", 2, 0, 0, NULL, 0);
    DecodeOne(&c, "\xe0", 1, 0, 0, NULL, 0);
    DecodeOne(&c, "\xf0\x9f\x98", 3, 0, 0, NULL, 0);
    DecodeOne(&c, "\xf4\x8f", 2, 0, 0, NULL, 0);
    /* The same at the end of input: one byte at a time. */
    DecodeOne(&c, "\xe2\x82", 2, 1, 1, "\xc3\xa2", 2);
    DecodeOne(&c, "\x82", 1, 1, 1, "\xc2\x82", 2);
    DecodeOne(&c, "\xf0\x9f\x98", 3, 1, 1, "\xc3\xb0", 2);
    /* A prefix broken by a byte that does not continue it. */
    DecodeOne(&c, "\xe2\x82\x41", 3, 0, 1, "\xc3\xa2", 2);
    sc__codec_free(&c);
    ASSERT_DECODES("utf-8", "ok\xf0\x9f\x98", "ok\xc3\xb0\xc2\x9f\xc2\x98");
}

static void
utf8_output_is_passthrough(void **state)
{
    static struct sink s;
    struct sc__codec c;

    (void) state;
    Open("utf-8", 1, &c);
    SinkReset(&s);
    /* No carry: a split character goes out as it is, in one call. */
    assert_int_equal(sc__encode(&c, (const unsigned char *) "h\xc3", 2, 0,
	    Collect, &s), 0);
    assert_int_equal(s.calls, 1);
    assert_int_equal(c.carryLen, 0);
    assert_int_equal(sc__encode(&c, (const unsigned char *) "\xa9\xff", 2,
	    1, Collect, &s), 0);
    assert_int_equal(s.calls, 2);
    assert_int_equal(s.len, 4);
    assert_memory_equal(s.buf, "h\xc3\xa9\xff", 4);
    assert_int_equal(sc__encode(&c, (const unsigned char *) "", 0, 1,
	    Collect, &s), 0);
    assert_int_equal(s.calls, 2);
    sc__codec_free(&c);
}

static void
latin1_both_ways(void **state)
{
    (void) state;
    ASSERT_DECODES("iso8859-1", "caf\xe9\xff\x80",
	    "caf\xc3\xa9\xc3\xbf\xc2\x80");
    ASSERT_ENCODES("iso8859-1", "caf\xc3\xa9 \xc3\xbf\xc2\x80\x7f",
	    "caf\xe9 \xff\x80\x7f");
}

static void
latin1_unrepresentable_is_question(void **state)
{
    (void) state;
    /* U+20AC, U+0100, U+1F600. */
    ASSERT_ENCODES("iso8859-1", "a\xe2\x82\xac\xc4\x80\xf0\x9f\x98\x80z",
	    "a???z");
    /* Bytes of the program's string that are not UTF-8 are U+00XX. */
    ASSERT_ENCODES("iso8859-1", "\xff\x80\xc0\x80\xed\xa0\x80",
	    "\xff\x80\xc0\x80\xed\xa0\x80");
}

static void
ascii_both_ways(void **state)
{
    (void) state;
    ASSERT_DECODES("ascii", "abc\x7f\xe9\x80", "abc\x7f\xc3\xa9\xc2\x80");
    ASSERT_ENCODES("ascii", "abc\x00\x7f", "abc\x00\x7f");
}

static void
ascii_unrepresentable_is_question(void **state)
{
    (void) state;
    ASSERT_ENCODES("ascii", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
	    "caf? ? ?");
    /* Invalid UTF-8 is U+00XX, which ASCII cannot represent either. */
    ASSERT_ENCODES("ascii", "a\xff\x80z", "a??z");
}

static void
decode_every_byte_native(void **state)
{
    static const char *const kinds[] = {
	"binary", "utf-8", "iso8859-1", "ascii"
    };
    size_t k;
    unsigned b;

    (void) state;
    for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
	struct sc__codec c;

	Open(kinds[k], 0, &c);
	for (b = 0; b < 256; b++) {
	    unsigned char in = (unsigned char) b, want[2], ch[SC__MAXCHAR];
	    size_t wantLen = Latin1Utf8(b, want), chLen = 99, n;
	    int atEof;

	    if (k == 0) {
		want[0] = in;
		wantLen = 1;
	    }
	    for (atEof = 0; atEof <= 1; atEof++) {
		n = sc__decode_char(&c, &in, 1, atEof, ch, &chLen);
		if (k == 1 && !atEof && b >= 0xC2 && b <= 0xF4) {
		    /* A UTF-8 lead byte waits for the rest. */
		    assert_int_equal(n, 0);
		    continue;
		}
		assert_int_equal(n, 1);
		assert_int_equal(chLen, wantLen);
		assert_memory_equal(ch, want, wantLen);
	    }
	}
	sc__codec_free(&c);
    }
}

/*
 *----------------------------------------------------------------------
 *
 * The carry --
 *
 *----------------------------------------------------------------------
 */

static void
output_carries_split_character(void **state)
{
    static struct sink s;
    struct sc__codec c;
    static const char *const encs[] = {"iso8859-1", "cp1252"};
    size_t i;

    (void) state;
    for (i = 0; i < sizeof(encs) / sizeof(encs[0]); i++) {
	Open(encs[i], 1, &c);
	SinkReset(&s);
	assert_int_equal(sc__encode(&c, (const unsigned char *) "caf\xc3", 4,
		0, Collect, &s), 0);
	assert_int_equal(s.len, 3);
	assert_int_equal(c.carryLen, 1);
	assert_int_equal(c.carry[0], 0xC3);
	assert_int_equal(sc__encode(&c, (const unsigned char *) "\xa9!", 2,
		0, Collect, &s), 0);
	assert_int_equal(c.carryLen, 0);
	assert_int_equal(s.len, 5);
	assert_memory_equal(s.buf, "caf\xe9!", 5);
	sc__codec_free(&c);
    }

    /* A four-byte character a byte at a time: the carry grows to 3. */
    Open("ascii", 1, &c);
    SinkReset(&s);
    for (i = 0; i < 4; i++) {
	assert_int_equal(sc__encode(&c,
		(const unsigned char *) "\xf0\x9f\x98\x80" + i, 1, 0, Collect,
		&s), 0);
	assert_int_equal(c.carryLen, i < 3 ? i + 1 : 0);
    }
    assert_int_equal(s.len, 1);
    assert_int_equal(s.buf[0], '?');
    sc__codec_free(&c);

    /* € split 1 + 2 in cp1252 is 0x80. */
    Open("cp1252", 1, &c);
    SinkReset(&s);
    assert_int_equal(sc__encode(&c, (const unsigned char *) "\xe2", 1, 0,
	    Collect, &s), 0);
    assert_int_equal(s.len, 0);
    assert_int_equal(sc__encode(&c, (const unsigned char *) "\x82\xac", 2,
	    1, Collect, &s), 0);
    assert_int_equal(s.len, 1);
    assert_int_equal(s.buf[0], 0x80);
    sc__codec_free(&c);
}

static void
carry_broken_by_next_call(void **state)
{
    static struct sink s;
    struct sc__codec c;

    (void) state;
    /* The carried prefix turns out invalid: each of its bytes is U+00XX. */
    Open("iso8859-1", 1, &c);
    SinkReset(&s);
    assert_int_equal(sc__encode(&c, (const unsigned char *) "\xe2\x82", 2,
	    0, Collect, &s), 0);
    assert_int_equal(c.carryLen, 2);
    assert_int_equal(sc__encode(&c, (const unsigned char *) "Az", 2, 0,
	    Collect, &s), 0);
    assert_int_equal(c.carryLen, 0);
    assert_int_equal(s.len, 4);
    assert_memory_equal(s.buf, "\xe2\x82" "Az", 4);
    /* A short call that still leaves a prefix keeps carrying. */
    assert_int_equal(sc__encode(&c, (const unsigned char *) "\xf0", 1, 0,
	    Collect, &s), 0);
    assert_int_equal(sc__encode(&c, (const unsigned char *) "\x9f", 1, 0,
	    Collect, &s), 0);
    assert_int_equal(c.carryLen, 2);
    assert_int_equal(s.len, 4);
    sc__codec_free(&c);
}

static void
flush_encodes_dangling_prefix(void **state)
{
    static struct sink s;
    struct sc__codec c;

    (void) state;
    ASSERT_ENCODES("iso8859-1", "a\xe2\x82", "a\xe2\x82");
    ASSERT_ENCODES("ascii", "a\xe2\x82", "a??");
    ASSERT_ENCODES("cp1252", "a\xc3", "a\xc3");

    /* A carry from an earlier call, flushed by an empty one. */
    Open("iso8859-1", 1, &c);
    SinkReset(&s);
    assert_int_equal(sc__encode(&c, (const unsigned char *) "\xe2\x82", 2,
	    0, Collect, &s), 0);
    assert_int_equal(s.calls, 0);
    assert_int_equal(sc__encode(&c, (const unsigned char *) "", 0, 1,
	    Collect, &s), 0);
    assert_int_equal(c.carryLen, 0);
    assert_int_equal(s.len, 2);
    assert_memory_equal(s.buf, "\xe2\x82", 2);
    sc__codec_free(&c);
}

static void
reset_forgets_carry(void **state)
{
    static struct sink s;
    struct sc__codec c;

    (void) state;
    Open("iso8859-1", 1, &c);
    SinkReset(&s);
    assert_int_equal(sc__encode(&c, (const unsigned char *) "\xc3", 1, 0,
	    Collect, &s), 0);
    assert_int_equal(c.carryLen, 1);
    sc__codec_reset(&c);
    assert_int_equal(c.carryLen, 0);
    /* The continuation byte is now alone: U+00A9. */
    assert_int_equal(sc__encode(&c, (const unsigned char *) "\xa9", 1, 1,
	    Collect, &s), 0);
    assert_int_equal(s.len, 1);
    assert_int_equal(s.buf[0], 0xA9);
    sc__codec_free(&c);
}

static void
output_comes_in_pieces(void **state)
{
    static struct sink s;
    static char text[3 * 4000];
    static const char *const encs[] = {"iso8859-1", "cp1252", "koi8-r"};
    size_t i, k;

    (void) state;
    for (k = 0; k < sizeof(encs) / sizeof(encs[0]); k++) {
	/* é in the first two, Ж in koi8-r: two bytes in, one out. */
	for (i = 0; i < 4000; i++) {
	    text[2 * i] = k < 2 ? '\xc3' : '\xd0';
	    text[2 * i + 1] = k < 2 ? '\xa9' : '\x96';
	}
	EncodeAll(encs[k], text, 2 * 4000, &s);
	assert_int_equal(s.len, 4000);
	assert_true(s.calls > 1);
	for (i = 0; i < 4000; i++) {
	    assert_int_equal(s.buf[i], k < 2 ? 0xE9 : 0xF6);
	}
    }
}

static void
emit_error_is_passed_on(void **state)
{
    static struct sink s;
    static char text[2000];
    static const char *const encs[] = {
	"binary", "utf-8", "iso8859-1", "ascii", "cp1252", "iso2022-jp"
    };
    size_t k;

    (void) state;
    memset(text, 'x', sizeof(text));
    for (k = 0; k < sizeof(encs) / sizeof(encs[0]); k++) {
	struct sc__codec c;

	Open(encs[k], 1, &c);
	SinkReset(&s);
	s.failAt = 1;
	errno = 0;
	assert_int_equal(sc__encode(&c, (const unsigned char *) text,
		sizeof(text), 1, Collect, &s), -1);
	assert_int_equal(errno, EPIPE);
	assert_int_equal(s.calls, 1);
	sc__codec_free(&c);
    }
}

/*
 *----------------------------------------------------------------------
 *
 * iconv encodings --
 *
 *----------------------------------------------------------------------
 */

static void
cp1252_both_ways(void **state)
{
    struct sc__encinfo info;

    (void) state;
    Info("cp1252", &info);
    assert_int_equal(info.kind, SC_ENC_ICONV);
    ASSERT_ENCODES("cp1252", "\xe2\x82\xac \xc5\xb8\xc3\xa9" "A",
	    "\x80 \x9f\xe9" "A");
    ASSERT_DECODES("cp1252", "\x80 \x9f\xe9" "A",
	    "\xe2\x82\xac \xc5\xb8\xc3\xa9" "A");
    /* 0x81 is undefined in cp1252: iconv rejects it, and it is U+0081. */
    ASSERT_DECODES("cp1252", "a\x81z", "a\xc2\x81z");
}

static void
cp1252_unmappable_is_question(void **state)
{
    (void) state;
    /* U+4E00, U+0081 (undefined there), U+1F600. */
    ASSERT_ENCODES("cp1252", "a\xe4\xb8\x80 \xc2\x81 \xf0\x9f\x98\x80z",
	    "a? ? ?z");
    /* A stray byte of the program's string is U+00XX: 0xE9 is é. */
    ASSERT_ENCODES("cp1252", "\xe9!", "\xe9!");
    ASSERT_ENCODES("cp1252", "\x81!", "?!");
}

static void
shiftjis_both_ways(void **state)
{
    struct sc__codec c;

    (void) state;
    /* あ 日 本 half-width ｱ A */
    ASSERT_ENCODES("shiftjis", "\xe3\x81\x82\xe6\x97\xa5\xe6\x9c\xac"
	    "\xef\xbd\xb1" "A", "\x82\xa0\x93\xfa\x96\x7b\xb1" "A");
    ASSERT_DECODES("shiftjis", "\x82\xa0\x93\xfa\x96\x7b\xb1" "A",
	    "\xe3\x81\x82\xe6\x97\xa5\xe6\x9c\xac\xef\xbd\xb1" "A");
    /* € is not in Shift_JIS. */
    ASSERT_ENCODES("shiftjis", "\xe2\x82\xac", "?");

    Open("shiftjis", 0, &c);
    /* The lead byte alone: wait; at the end of input, U+0082. */
    DecodeOne(&c, "\x82", 1, 0, 0, NULL, 0);
    DecodeOne(&c, "\x82\xa0", 2, 0, 2, "\xe3\x81\x82", 3);
    DecodeOne(&c, "\x82", 1, 1, 1, "\xc2\x82", 2);
    /* A byte Shift_JIS does not have: U+00XX, one byte. */
    DecodeOne(&c, "\x80" "A", 2, 0, 1, "\xc2\x80", 2);
    DecodeOne(&c, "A\x82\xa0", 3, 0, 1, "A", 1);
    sc__codec_free(&c);
}

static void
eucjp_both_ways(void **state)
{
    (void) state;
    ASSERT_ENCODES("euc-jp", "\xe6\x97\xa5\xe6\x9c\xac\xef\xbd\xb1!",
	    "\xc6\xfc\xcb\xdc\x8e\xb1!");
    ASSERT_DECODES("euc-jp", "\xc6\xfc\xcb\xdc\x8e\xb1!",
	    "\xe6\x97\xa5\xe6\x9c\xac\xef\xbd\xb1!");
    ASSERT_DECODES("euc-jp", "\xff!", "\xc3\xbf!");
}

static void
unicode_is_utf16le(void **state)
{
    struct sc__encinfo info;
    struct sc__codec c;

    (void) state;
    Info("unicode", &info);
    assert_string_equal(info.name, "unicode");
    assert_string_equal(info.iconvName, "UTF-16LE");
    ASSERT_ENCODES("unicode", "A\xe2\x82\xac\xf0\x9f\x98\x80",
	    "A\x00\xac\x20\x3d\xd8\x00\xde");
    ASSERT_DECODES("unicode", "A\x00\xac\x20\x3d\xd8\x00\xde",
	    "A\xe2\x82\xac\xf0\x9f\x98\x80");

    Open("unicode", 0, &c);
    DecodeOne(&c, "A", 1, 0, 0, NULL, 0);
    DecodeOne(&c, "A\x00", 2, 0, 2, "A", 1);
    /* Half a surrogate pair waits for the other half. */
    DecodeOne(&c, "\x3d\xd8\x00", 3, 0, 0, NULL, 0);
    DecodeOne(&c, "\x3d\xd8\x00\xde", 4, 0, 4, "\xf0\x9f\x98\x80", 4);
    /* An odd byte at the end of input is U+00XX. */
    DecodeOne(&c, "\xe9", 1, 1, 1, "\xc3\xa9", 2);
    sc__codec_free(&c);
}

static void
wide_question_mark_is_two_bytes(void **state)
{
    (void) state;
    /* UCS-2 has no room for U+1F600: '?' is 3F 00 (00 3F big-endian). */
    ASSERT_ENCODES("ucs-2le", "A\xf0\x9f\x98\x80z", "A\x00?\x00z\x00");
    ASSERT_ENCODES("ucs-2be", "A\xf0\x9f\x98\x80", "\x00" "A\x00?");
    /* In UTF-16 a stray byte of the program's string is U+00XX. */
    ASSERT_ENCODES("utf-16be", "\xff", "\x00\xff");
    ASSERT_ENCODES("utf-16le", "a\x80", "a\x00\x80\x00");
}

static void
koi8r_both_ways(void **state)
{
    (void) state;
    /* Ж ж Ё ё */
    ASSERT_ENCODES("koi8-r", "\xd0\x96\xd0\xb6\xd0\x81\xd1\x91",
	    "\xf6\xd6\xb3\xa3");
    ASSERT_DECODES("koi8-r", "\xf6\xd6\xb3\xa3",
	    "\xd0\x96\xd0\xb6\xd0\x81\xd1\x91");
    ASSERT_ENCODES("koi8-r", "\xc3\xa9", "?");
}

static void
iso2022jp_keeps_state(void **state)
{
    static struct sink s;
    struct sc__codec c;

    (void) state;
    ASSERT_ENCODES("iso2022-jp", "a\xe3\x81\x82" "b",
	    "a\x1b$B$\"\x1b(Bb");

    /* Split on output; the flush shifts back to ASCII. */
    Open("iso2022-jp", 1, &c);
    SinkReset(&s);
    assert_int_equal(sc__encode(&c, (const unsigned char *) "a\xe3\x81", 3,
	    0, Collect, &s), 0);
    assert_int_equal(sc__encode(&c, (const unsigned char *) "\x82", 1, 1,
	    Collect, &s), 0);
    assert_int_equal(s.len, 9);
    assert_memory_equal(s.buf, "a\x1b$B$\"\x1b(B", 9);
    /* An unmappable character: '?' in ASCII, after shifting back. */
    SinkReset(&s);
    assert_int_equal(sc__encode(&c, (const unsigned char *)
	    "\xe3\x81\x82\xe2\x82\xac", 6, 1, Collect, &s), 0);
    assert_int_equal(s.len, 9);
    assert_memory_equal(s.buf, "\x1b$B$\"\x1b(B?", 9);
    sc__codec_free(&c);

    /*
     * Input a character at a time: the shift into JIS X 0208 is taken
     * with the first character after it, and stays for the next.
     */
    Open("iso2022-jp", 0, &c);
    DecodeOne(&c, "a\x1b$B$\"$$\x1b(Bb", 13, 0, 1, "a", 1);
    DecodeOne(&c, "\x1b$B$\"$$\x1b(Bb", 12, 0, 5, "\xe3\x81\x82", 3);
    DecodeOne(&c, "$$\x1b(Bb", 6, 0, 2, "\xe3\x81\x84", 3);
    /*
     * A shift with nothing after it yet is taken by itself, with no
     * character: iconv has consumed it, and must not see it again.
     */
    DecodeOne(&c, "\x1b(B", 3, 0, 3, "", 0);
    DecodeOne(&c, "b", 1, 0, 1, "b", 1);
    DecodeOne(&c, "\x1b$B", 3, 1, 3, "", 0);
    DecodeOne(&c, "$\"", 2, 1, 2, "\xe3\x81\x82", 3);
    sc__codec_reset(&c);
    DecodeOne(&c, "$\"", 2, 1, 1, "$", 1);
    sc__codec_free(&c);
}

static void
byte_order_mark_taken_with_first_character(void **state)
{
    struct sc__codec c;

    (void) state;
    /*
     * iconv's "UTF16" reads a byte order mark and drops it; it is taken
     * with the character after it, not returned as U+FEFF. The 3-byte
     * € needs iconv's output room to grow while the mark is consumed.
     */
    Open("UTF16", 0, &c);
    DecodeOne(&c, "\xff\xfe\xac\x20" "A", 5, 0, 4, "\xe2\x82\xac", 3);
    DecodeOne(&c, "A\x00", 2, 0, 2, "A", 1);
    sc__codec_free(&c);
    ASSERT_DECODES("UTF16", "\xfe\xff\x20\xac\x00" "A", "\xe2\x82\xac" "A");
}

static void
shift_out_of_base64_taken_once(void **state)
{
    struct sc__codec c;

    (void) state;
    /*
     * "a+AOk", then "-", then "-b" is "aé-b" in UTF-7: the first '-'
     * ends the base64 run and is no character; the second is a '-'. The
     * first, alone in src, is taken with no character, never offered to
     * iconv twice.
     */
    Open("UTF-7", 0, &c);
    DecodeOne(&c, "a+AOk", 5, 0, 1, "a", 1);
    DecodeOne(&c, "+AOk", 4, 0, 4, "\xc3\xa9", 2);
    DecodeOne(&c, "-", 1, 0, 1, "", 0);
    DecodeOne(&c, "-b", 2, 0, 1, "-", 1);
    DecodeOne(&c, "b", 1, 1, 1, "b", 1);
    sc__codec_free(&c);
    ASSERT_DECODES("UTF-7", "+AOk--+AOk-x", "\xc3\xa9-\xc3\xa9x");
}

static void
codec_init_fails_for_unknown_iconv_name(void **state)
{
    struct sc__encinfo info;
    struct sc__codec c;

    (void) state;
    memset(&info, 0, sizeof(info));
    info.kind = SC_ENC_ICONV;
    strcpy(info.name, "nonesuch");
    strcpy(info.iconvName, "NO-SUCH-ENCODING");
    errno = 0;
    assert_int_equal(sc__codec_init(&c, &info, 1), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(sc__codec_init(&c, &info, 0), -1);
    /* Native codecs need nothing, and free twice is harmless. */
    Info("utf-8", &info);
    assert_int_equal(sc__codec_init(&c, &info, 0), 0);
    assert_null(c.cd);
    sc__codec_free(&c);
    sc__codec_free(&c);
}

/*
 *----------------------------------------------------------------------
 *
 * Names --
 *
 *----------------------------------------------------------------------
 */

struct nameCase {
    const char *given;
    int kind;
    const char *name;
    const char *iconvName;
};

static void
CheckNames(const struct nameCase *cases, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
	struct sc__encinfo info;

	memset(&info, 0xAA, sizeof(info));
	Info(cases[i].given, &info);
	assert_int_equal(info.kind, cases[i].kind);
	assert_string_equal(info.name, cases[i].name);
	assert_string_equal(info.iconvName, cases[i].iconvName);
    }
}

static void
find_canonical_names(void **state)
{
    static const struct nameCase cases[] = {
	{"binary", SC_ENC_BINARY, "binary", ""},
	{"utf-8", SC_ENC_UTF8, "utf-8", ""},
	{"iso8859-1", SC_ENC_LATIN1, "iso8859-1", ""},
	{"ascii", SC_ENC_ASCII, "ascii", ""},
	{"cp1252", SC_ENC_ICONV, "cp1252", "CP1252"},
	{"cp437", SC_ENC_ICONV, "cp437", "CP437"},
	{"iso8859-15", SC_ENC_ICONV, "iso8859-15", "ISO-8859-15"},
	{"iso8859-2", SC_ENC_ICONV, "iso8859-2", "ISO-8859-2"},
	{"shiftjis", SC_ENC_ICONV, "shiftjis", "CP932"},
	{"euc-jp", SC_ENC_ICONV, "euc-jp", "EUC-JP"},
	{"euc-kr", SC_ENC_ICONV, "euc-kr", "EUC-KR"},
	{"euc-cn", SC_ENC_ICONV, "euc-cn", "EUC-CN"},
	{"big5", SC_ENC_ICONV, "big5", "BIG5"},
	{"gb2312", SC_ENC_ICONV, "gb2312", "GB2312"},
	{"koi8-r", SC_ENC_ICONV, "koi8-r", "KOI8-R"},
	{"koi8-u", SC_ENC_ICONV, "koi8-u", "KOI8-U"},
	{"macRoman", SC_ENC_ICONV, "macRoman", "MACINTOSH"},
	{"unicode", SC_ENC_ICONV, "unicode", "UTF-16LE"},
	{"utf-16be", SC_ENC_ICONV, "utf-16be", "UTF-16BE"},
	{"utf-32le", SC_ENC_ICONV, "utf-32le", "UTF-32LE"},
	{"iso2022-jp", SC_ENC_ICONV, "iso2022-jp", "ISO-2022-JP"},
    };

    (void) state;
    CheckNames(cases, sizeof(cases) / sizeof(cases[0]));
}

static void
find_ignores_case(void **state)
{
    static const struct nameCase cases[] = {
	{"BINARY", SC_ENC_BINARY, "binary", ""},
	{"UTF-8", SC_ENC_UTF8, "utf-8", ""},
	{"Iso8859-1", SC_ENC_LATIN1, "iso8859-1", ""},
	{"ASCII", SC_ENC_ASCII, "ascii", ""},
	{"CP1252", SC_ENC_ICONV, "cp1252", "CP1252"},
	{"ISO8859-15", SC_ENC_ICONV, "iso8859-15", "ISO-8859-15"},
	{"ShiftJIS", SC_ENC_ICONV, "shiftjis", "CP932"},
	{"MACROMAN", SC_ENC_ICONV, "macRoman", "MACINTOSH"},
	{"macroman", SC_ENC_ICONV, "macRoman", "MACINTOSH"},
	{"Unicode", SC_ENC_ICONV, "unicode", "UTF-16LE"},
    };
    struct sc__encinfo a, b;

    (void) state;
    CheckNames(cases, sizeof(cases) / sizeof(cases[0]));
    Info("SYSTEM", &a);
    Info("system", &b);
    assert_string_equal(a.name, b.name);
}

static void
find_unknown_names(void **state)
{
    static const char *const unknown[] = {
	"", "nonesuch", "utf-8x", "utf-9", "cp", "cp99999", "cp01252",
	"iso8859-", "iso8859-99", "iso8859-01", "UTF-8//TRANSLIT",
	"CP1252//IGNORE", "a-name-that-is-far-too-long-for-any-encoding",
    };
    struct sc__encinfo info;
    size_t i;

    (void) state;
    for (i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
	if (sc__enc_find(unknown[i], &info) != -1) {
	    fail_msg("\"%s\" was found as \"%s\"", unknown[i], info.name);
	}
    }
    assert_int_equal(sc__enc_find(NULL, &info), -1);
}

static void
find_iconv_fallback(void **state)
{
    static const struct nameCase cases[] = {
	{"GB18030", SC_ENC_ICONV, "gb18030", "GB18030"},
	{"UTF-7", SC_ENC_ICONV, "utf-7", "UTF-7"},
	{"IBM850", SC_ENC_ICONV, "ibm850", "IBM850"},
	/* Other spellings of the native kinds stay native. */
	{"Latin1", SC_ENC_LATIN1, "iso8859-1", ""},
	{"ISO-8859-1", SC_ENC_LATIN1, "iso8859-1", ""},
	{"utf8", SC_ENC_UTF8, "utf-8", ""},
	{"US-ASCII", SC_ENC_ASCII, "ascii", ""},
    };

    (void) state;
    CheckNames(cases, sizeof(cases) / sizeof(cases[0]));
    /* What it finds, it can use. */
    ASSERT_ENCODES("GB18030", "\xe4\xb8\x80" "a", "\xd2\xbb" "a");
    ASSERT_DECODES("GB18030", "\xd2\xbb" "a", "\xe4\xb8\x80" "a");
}

/*
 *----------------------------------------------------------------------
 *
 * The system encoding --
 *
 *----------------------------------------------------------------------
 */

static const char *const localeVars[] = {"LC_ALL", "LC_CTYPE", "LANG"};

static void
SetVar(const char *var, const char *value)
{
    if (value == NULL) {
	assert_int_equal(unsetenv(var), 0);
    } else {
	assert_int_equal(setenv(var, value, 1), 0);
    }
}

static void
system_follows_locale_environment(void **state)
{
    static const struct {
	const char *vars[3];	/* LC_ALL, LC_CTYPE, LANG; NULL: unset. */
	const char *want;
    } cases[] = {
	{{NULL, NULL, NULL}, "iso8859-1"},
	{{NULL, NULL, "C"}, "iso8859-1"},
	{{NULL, NULL, "POSIX"}, "iso8859-1"},
	{{NULL, NULL, "en_US"}, "iso8859-1"},
	{{NULL, NULL, "en_US.UTF-8"}, "utf-8"},
	{{NULL, NULL, "C.UTF-8"}, "utf-8"},
	{{NULL, NULL, "de_DE.utf8@euro"}, "utf-8"},
	{{NULL, NULL, "en_US.ISO-8859-1"}, "iso8859-1"},
	{{NULL, NULL, "fr_FR.ISO-8859-15@euro"}, "iso8859-15"},
	{{NULL, NULL, "en_US.ANSI_X3.4-1968"}, "iso8859-1"},
	{{NULL, NULL, "ja_JP.eucJP"}, "euc-jp"},
	{{NULL, NULL, "ja_JP.EUC-JP"}, "euc-jp"},
	{{NULL, NULL, "ja_JP.SJIS"}, "shiftjis"},
	{{NULL, NULL, "ru_RU.KOI8-R"}, "koi8-r"},
	{{NULL, NULL, "xx_XX.CP1252"}, "cp1252"},
	{{NULL, NULL, "zh_CN.GB18030"}, "gb18030"},
	{{NULL, NULL, "xx_XX.NO-SUCH-CODESET"}, "iso8859-1"},
	{{NULL, NULL, "xx_XX."}, "iso8859-1"},
	/* The first variable set and not empty wins. */
	{{"", "", "en_US.UTF-8"}, "utf-8"},
	{{"C", NULL, "en_US.UTF-8"}, "iso8859-1"},
	{{NULL, "ja_JP.eucJP", "en_US.UTF-8"}, "euc-jp"},
	{{"ru_RU.KOI8-R", "ja_JP.eucJP", "C"}, "koi8-r"},
    };
    char *saved[3];
    size_t i, v;

    (void) state;
    for (v = 0; v < 3; v++) {
	const char *value = getenv(localeVars[v]);

	saved[v] = value ? strdup(value) : NULL;
    }
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
	struct sc__encinfo info;
	const char *got;

	for (v = 0; v < 3; v++) {
	    SetVar(localeVars[v], cases[i].vars[v]);
	}
	got = sc__enc_system();
	if (strcmp(got, cases[i].want) != 0) {
	    fail_msg("case %zu: system is \"%s\", not \"%s\"", i, got,
		    cases[i].want);
	}
	Info("system", &info);
	assert_string_equal(info.name, cases[i].want);
	assert_int_equal(info.kind, strcmp(cases[i].want, "utf-8") == 0
		? SC_ENC_UTF8 : strcmp(cases[i].want, "iso8859-1") == 0
		? SC_ENC_LATIN1 : SC_ENC_ICONV);
    }
    for (v = 0; v < 3; v++) {
	SetVar(localeVars[v], saved[v]);
	free(saved[v]);
    }
}

/*
 *----------------------------------------------------------------------
 *
 * Random text --
 *
 *----------------------------------------------------------------------
 */

static unsigned long long rngState;

static unsigned
Random(unsigned n)
{
    rngState ^= rngState << 13;
    rngState ^= rngState >> 7;
    rngState ^= rngState << 17;
    return (unsigned) (rngState % n);
}

static size_t
PutUtf8(unsigned cp, unsigned char *out)
{
    if (cp < 0x80) {
	out[0] = (unsigned char) cp;
	return 1;
    } else if (cp < 0x800) {
	out[0] = (unsigned char) (0xC0 | (cp >> 6));
	out[1] = (unsigned char) (0x80 | (cp & 0x3F));
	return 2;
    } else if (cp < 0x10000) {
	out[0] = (unsigned char) (0xE0 | (cp >> 12));
	out[1] = (unsigned char) (0x80 | ((cp >> 6) & 0x3F));
	out[2] = (unsigned char) (0x80 | (cp & 0x3F));
	return 3;
    }
    out[0] = (unsigned char) (0xF0 | (cp >> 18));
    out[1] = (unsigned char) (0x80 | ((cp >> 12) & 0x3F));
    out[2] = (unsigned char) (0x80 | ((cp >> 6) & 0x3F));
    out[3] = (unsigned char) (0x80 | (cp & 0x3F));
    return 4;
}

/* Ranges of code points [lo, hi] that an encoding can represent. */
struct range {
    unsigned lo, hi;
};

struct repertoire {
    const char *encoding;
    struct range ranges[6];
};

static unsigned
RandomChar(const struct repertoire *r)
{
    size_t n = 0;
    const struct range *g;
    unsigned cp;

    while (n < 6 && r->ranges[n].hi != 0) {
	n++;
    }
    g = &r->ranges[Random((unsigned) n)];
    do {
	cp = g->lo + Random(g->hi - g->lo + 1);
    } while (cp >= 0xD800 && cp <= 0xDFFF);
    return cp;
}

static void
roundtrip_random_text(void **state)
{
    static const struct repertoire reps[] = {
	{"unicode", {{0x20, 0x7E}, {0xA0, 0x24F}, {0x400, 0xFFFD},
		{0x10000, 0x10FFFF}}},
	{"utf-16be", {{0x01, 0xFFFD}, {0x10000, 0x10FFFF}}},
	{"utf-32", {{0x01, 0xFFFD}, {0x10000, 0x10FFFF}}},
	{"cp1252", {{0x20, 0x7E}, {0xA0, 0xFF}, {0x20AC, 0x20AC},
		{0x2018, 0x201A}, {0x0160, 0x0161}}},
	{"koi8-r", {{0x20, 0x7E}, {0x410, 0x44F}, {0x401, 0x401},
		{0x451, 0x451}}},
	{"shiftjis", {{0x20, 0x5B}, {0x5D, 0x7D}, {0x3041, 0x3093},
		{0x30A1, 0x30F6}, {0x4E00, 0x4E01}, {0xFF61, 0xFF9F}}},
	{"euc-jp", {{0x20, 0x7E}, {0x3041, 0x3093}, {0x30A1, 0x30F6},
		{0x65E5, 0x65E5}, {0x672C, 0x672C}, {0xFF61, 0xFF9F}}},
	{"iso2022-jp", {{0x20, 0x7D}, {0x3041, 0x3093}, {0x30A1, 0x30F6},
		{0x65E5, 0x65E5}, {0x672C, 0x672C}}},
	{"GB18030", {{0x20, 0x7E}, {0x4E00, 0x9FA5}, {0xA1, 0xFF}}},
	{"UTF-7", {{0x20, 0x7E}, {0xA0, 0x24F}, {0x3041, 0x3093},
		{0x10000, 0x1FFFF}}},
    };
    static unsigned char text[4 * 3000], got[4 * 3000];
    static struct sink s;
    size_t k, round;

    (void) state;
    rngState = 0x9E3779B97F4A7C15ull;
    for (k = 0; k < sizeof(reps) / sizeof(reps[0]); k++) {
	for (round = 0; round < 4; round++) {
	    struct sc__codec c;
	    size_t len = 0, pos, avail, gotLen = 0, i;
	    size_t nChars = 1 + Random(3000);

	    for (i = 0; i < nChars; i++) {
		len += PutUtf8(RandomChar(&reps[k]), text + len);
	    }

	    /* Out, in pieces of 1..7 bytes that split characters. */
	    Open(reps[k].encoding, 1, &c);
	    SinkReset(&s);
	    for (pos = 0; pos < len; pos += i) {
		i = 1 + Random(7);
		if (i > len - pos) {
		    i = len - pos;
		}
		assert_int_equal(sc__encode(&c, text + pos, i,
			pos + i == len, Collect, &s), 0);
	    }
	    assert_int_equal(c.carryLen, 0);
	    sc__codec_free(&c);
	    /* Nothing was replaced by '?'. */
	    assert_true(s.len > 0);

	    /* In, as the bytes arrive in pieces of 1..7. */
	    Open(reps[k].encoding, 0, &c);
	    pos = 0;
	    avail = 0;
	    while (pos < s.len) {
		unsigned char ch[SC__MAXCHAR];
		size_t n, chLen;

		if (avail == pos) {
		    avail += 1 + Random(7);
		}
		if (avail > s.len) {
		    avail = s.len;
		}
		n = sc__decode_char(&c, s.buf + pos, avail - pos,
			avail == s.len, ch, &chLen);
		if (n == 0) {
		    assert_true(avail < s.len);
		    avail += 1 + Random(7);
		    continue;
		}
		assert_true(gotLen + chLen <= sizeof(got));
		memcpy(got + gotLen, ch, chLen);
		gotLen += chLen;
		pos += n;
	    }
	    sc__codec_free(&c);
	    if (gotLen != len || memcmp(got, text, len) != 0) {
		for (i = 0; i < len && i < gotLen && got[i] == text[i]; i++) {
		}
		fail_msg("%s, round %zu: %zu bytes back for %zu, first "
			"difference at %zu", reps[k].encoding, round, gotLen,
			len, i);
	    }
	}
    }
}

static const struct CMUnitTest tests[] = {
    SCT(binary_passes_bytes_both_ways),
    SCT(utf8_decodes_valid_characters),
    SCT(utf8_lone_continuation_byte),
    SCT(utf8_overlong_forms),
    SCT(utf8_surrogates_and_beyond_max),
    SCT(utf8_truncated_waits_unless_eof),
    SCT(utf8_output_is_passthrough),
    SCT(latin1_both_ways),
    SCT(latin1_unrepresentable_is_question),
    SCT(ascii_both_ways),
    SCT(ascii_unrepresentable_is_question),
    SCT(decode_every_byte_native),
    SCT(output_carries_split_character),
    SCT(carry_broken_by_next_call),
    SCT(flush_encodes_dangling_prefix),
    SCT(reset_forgets_carry),
    SCT(output_comes_in_pieces),
    SCT(emit_error_is_passed_on),
    SCT(cp1252_both_ways),
    SCT(cp1252_unmappable_is_question),
    SCT(shiftjis_both_ways),
    SCT(eucjp_both_ways),
    SCT(unicode_is_utf16le),
    SCT(wide_question_mark_is_two_bytes),
    SCT(koi8r_both_ways),
    SCT(iso2022jp_keeps_state),
    SCT(byte_order_mark_taken_with_first_character),
    SCT(shift_out_of_base64_taken_once),
    SCT(codec_init_fails_for_unknown_iconv_name),
    SCT(find_canonical_names),
    SCT(find_ignores_case),
    SCT(find_unknown_names),
    SCT(find_iconv_fallback),
    SCT(system_follows_locale_environment),
    SCT(roundtrip_random_text),
};

SCT_MAIN(tests)
