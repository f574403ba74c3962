/*
 * encoding.h --
 *
 *	Channel encodings: the conversion between the bytes on the wire and
 *	the UTF-8 that a C program reads and writes (Tcl's -encoding). The
 *	generic I/O layer (chan.c) decodes input one character at a time,
 *	lazily, so that a change of -encoding applies to every byte not yet
 *	consumed; it encodes output a chunk at a time as it is written.
 *
 *	Kinds:
 *	  binary    no conversion at all, either way (bytes in, bytes out);
 *	  utf-8     input: valid UTF-8 passes; a byte that does not start a
 *	            valid sequence becomes the character with that byte's
 *	            code (U+0080..U+00FF, as Tcl 8.6 does), written as UTF-8;
 *	            output: passes unchanged;
 *	  iso8859-1 input: byte -> U+00XX; output: U+0000..U+00FF -> one
 *	            byte, anything else -> '?';
 *	  ascii     input: 0x00..0x7F as is, other bytes -> U+00XX (Tcl 8.6's
 *	            fallback for unmapped bytes); output: U+0000..U+007F,
 *	            anything else -> '?';
 *	  iconv     every other name iconv(3) knows: input bytes that iconv
 *	            rejects (EILSEQ) become U+00XX one byte at a time; output
 *	            characters the encoding cannot represent become '?'
 *	            (encoded in the target encoding).
 *	On output, bytes of the program's string that are not valid UTF-8
 *	are taken as U+00XX (one byte each) for the non-UTF-8 encodings.
 *
 *	Internal to the library; not installed.
 */

#ifndef SC_CHAN_ENCODING_H
#define SC_CHAN_ENCODING_H

#include <stddef.h>

enum sc__enc_kind {
    SC_ENC_BINARY,
    SC_ENC_UTF8,
    SC_ENC_LATIN1,
    SC_ENC_ASCII,
    SC_ENC_ICONV
};

/* The longest decoded form of one character: 4 bytes of UTF-8. */
#define SC__MAXCHAR 4

/*
 * What a name resolves to. name is the canonical Tcl name that
 * fconfigure reports ("utf-8", "iso8859-1", "ascii", "binary",
 * "cp1252", "shiftjis", "euc-jp", ...); iconvName is what iconv_open
 * takes (empty for the native kinds).
 */
struct sc__encinfo {
    int kind;
    char name[32];
    char iconvName[32];
};

/*
 * Resolves a Tcl encoding name (case-insensitive): the native ones,
 * "system" (the encoding of the locale in LC_ALL, LC_CTYPE or LANG:
 * utf-8 when its codeset is UTF-8, iso8859-1 for C/POSIX or none, or the
 * codeset otherwise), Tcl's names of common encodings mapped to iconv's
 * (iso8859-N -> ISO-8859-N, cpNNNN -> CPNNNN, shiftjis -> SHIFT_JIS,
 * euc-jp/euc-kr/euc-cn, big5, koi8-r, koi8-u, macRoman -> MACINTOSH,
 * unicode -> UTF-16LE, utf-16/utf-32 with an endianness, gb2312, ...),
 * and finally any name iconv_open accepts in both directions with UTF-8.
 * Returns 0 and fills *info, or -1 for an unknown name (the caller says
 * Tcl's: unknown encoding "NAME").
 */
int sc__enc_find(const char *name, struct sc__encinfo *info);

/* The canonical Tcl name of the system encoding ("utf-8" usually). */
const char *sc__enc_system(void);

/*
 * A converter for one direction of one channel. Only the iconv kind and
 * the output side of latin1/ascii need state; the others may use a codec
 * made by sc__codec_init all the same (it never allocates for them).
 */
struct sc__codec {
    int kind;
    int output;			/* 1: UTF-8 -> wire; 0: wire -> UTF-8. */
    void *cd;			/* iconv_t, or NULL. */
    unsigned char carry[SC__MAXCHAR];	/* Output: a split UTF-8 char. */
    size_t carryLen;
};

/*
 * Prepares c for info's encoding in one direction (output 0 or 1).
 * Returns 0, or -1 with errno set when iconv cannot open it.
 */
int sc__codec_init(struct sc__codec *c, const struct sc__encinfo *info,
	int output);
void sc__codec_free(struct sc__codec *c);
/* Forget partial state (a carried UTF-8 prefix; iconv's shift state). */
void sc__codec_reset(struct sc__codec *c);

/*
 * Decodes exactly one character from src[0..len) (len > 0).
 * Returns the number of bytes of src it took (>= 1) and puts the
 * character's UTF-8 form (for binary: the byte itself) in out, its length
 * in *outLen. Returns 0 when src holds only the start of a character and
 * more input may come (atEof == 0); at end of input (atEof != 0) an
 * incomplete sequence is decoded one byte at a time as U+00XX instead.
 * A decoder never fails. It may take bytes that make no character (an
 * escape sequence of a stateful encoding such as ISO-2022-JP or UTF-7):
 * then it returns their count with *outLen 0.
 */
size_t sc__decode_char(struct sc__codec *c, const unsigned char *src,
	size_t len, int atEof, unsigned char out[SC__MAXCHAR],
	size_t *outLen);

/*
 * Encodes src[0..len) (UTF-8 from the program) for the wire, calling
 * emit(emitData, bytes, n) for the result, possibly in several pieces.
 * A UTF-8 character split at the end of src is carried to the next call;
 * with flush != 0 nothing is carried: a dangling prefix is encoded as
 * U+00XX bytes and iconv's shift state is closed. Returns 0, or -1 when
 * emit returned -1 (its error is passed on).
 */
typedef int sc__emit_proc(void *emitData, const unsigned char *bytes,
	size_t n);
int sc__encode(struct sc__codec *c, const unsigned char *src, size_t len,
	int flush, sc__emit_proc *emit, void *emitData);

#endif /* SC_CHAN_ENCODING_H */
