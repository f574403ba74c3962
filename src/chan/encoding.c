/*
 * encoding.c --
 *
 *	Channel encodings (see encoding.h): the native kinds (binary, utf-8,
 *	iso8859-1, ascii) are converted here, every other encoding through
 *	iconv(3), to and from UTF-8. Tcl's names are mapped to iconv's by a
 *	table; any other name iconv knows in both directions is taken as it
 *	is.
 *
 *	The program's UTF-8 is read, on output, by the utf-8 decoder itself
 *	(sc__decode_char), so that what counts as a valid character is
 *	defined in one place.
 */

#include "chan/encoding.h"

#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The wide Unicode forms without a byte order in their name (unicode,
 * utf-16, utf-32, ucs-2) use the host's, as Tcl's do.
 */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define NATIVE_UTF16 "UTF-16BE"
#define NATIVE_UTF32 "UTF-32BE"
#define NATIVE_UCS2 "UCS-2BE"
#else
#define NATIVE_UTF16 "UTF-16LE"
#define NATIVE_UTF32 "UTF-32LE"
#define NATIVE_UCS2 "UCS-2LE"
#endif

#define NAME_MAX_LEN 31		/* The longest name an sc__encinfo holds. */
#define OUT_SIZE 512		/* Bytes collected before each emit. */

struct nativeName {
    const char *name;
    int kind;
};

static const struct nativeName nativeNames[] = {
    {"binary", SC_ENC_BINARY},
    {"utf-8", SC_ENC_UTF8},
    {"iso8859-1", SC_ENC_LATIN1},
    {"ascii", SC_ENC_ASCII},
};

/*
 * Tcl's names for the encodings that iconv has under another name. The
 * families iso8859-N and cpNNNN are not listed: their iconv names are
 * derived (ISO-8859-N, CPNNNN). Tcl's raw 94x94 tables (jis0208,
 * ksc5601, ...), symbol and dingbats have no iconv counterpart.
 */
struct encName {
    const char *name;		/* Tcl's canonical name. */
    const char *iconvName;
};

static const struct encName encNames[] = {
    {"big5", "BIG5"},
    {"euc-cn", "EUC-CN"},
    {"euc-jp", "EUC-JP"},
    {"euc-kr", "EUC-KR"},
    {"gb1988", "GB_1988-80"},
    {"gb2312", "GB2312"},
    {"iso2022-jp", "ISO-2022-JP"},
    {"iso2022-kr", "ISO-2022-KR"},
    {"koi8-r", "KOI8-R"},
    {"koi8-u", "KOI8-U"},
    {"macCentEuro", "MAC-CENTRALEUROPE"},
    {"macCyrillic", "MAC-CYRILLIC"},
    {"macIceland", "MAC-IS"},
    {"macRoman", "MACINTOSH"},
    {"macUkraine", "MAC-UK"},
    {"shiftjis", "CP932"},	/* glibc's SHIFT_JIS maps 0x5C to the yen. */
    {"tis-620", "TIS-620"},
    {"ucs-2", NATIVE_UCS2},
    {"ucs-2be", "UCS-2BE"},
    {"ucs-2le", "UCS-2LE"},
    {"unicode", NATIVE_UTF16},
    {"utf-16", NATIVE_UTF16},
    {"utf-16be", "UTF-16BE"},
    {"utf-16le", "UTF-16LE"},
    {"utf-32", NATIVE_UTF32},
    {"utf-32be", "UTF-32BE"},
    {"utf-32le", "UTF-32LE"},
};

/*
 * Locale codesets whose loose form (see LooseKey) is not that of a Tcl
 * name. Tcl takes the C library's ASCII for iso8859-1 too.
 */
struct codesetAlias {
    const char *key;		/* The codeset's loose form. */
    const char *name;		/* Tcl's name. */
};

static const struct codesetAlias codesetAliases[] = {
    {"ansix3.41968", "iso8859-1"},
    {"sjis", "shiftjis"},
};

/*
 *----------------------------------------------------------------------
 *
 * Names --
 *
 *----------------------------------------------------------------------
 */

/* ASCII lower case: names are compared the same in every locale. */
static int
Lower(int ch)
{
    return (ch >= 'A' && ch <= 'Z') ? ch - 'A' + 'a' : ch;
}

static int
SameName(const char *a, const char *b)
{
    while (*a != '\0'
	    && Lower((unsigned char) *a) == Lower((unsigned char) *b)) {
	a++;
	b++;
    }
    return *a == '\0' && *b == '\0';
}

/*
 * Copy at most NAME_MAX_LEN characters of src, lower-cased, to dst.
 * Returns 0, or -1 when src is empty or too long.
 */
static int
LowerCopy(char dst[NAME_MAX_LEN + 1], const char *src)
{
    size_t i;

    for (i = 0; src[i] != '\0'; i++) {
	if (i == NAME_MAX_LEN) {
	    return -1;
	}
	dst[i] = (char) Lower((unsigned char) src[i]);
    }
    dst[i] = '\0';
    return i == 0 ? -1 : 0;
}

/* Is s a number of 1 to max digits with no leading zero? */
static int
IsNumber(const char *s, size_t max)
{
    size_t i;

    if (s[0] < '1' || s[0] > '9') {
	return 0;
    }
    for (i = 1; s[i] != '\0'; i++) {
	if (s[i] < '0' || s[i] > '9' || i == max) {
	    return 0;
	}
    }
    return 1;
}

/* Can iconv convert between iconvName and UTF-8 both ways? */
static int
IconvKnows(const char *iconvName)
{
    iconv_t cd;

    cd = iconv_open(iconvName, "UTF-8");
    if (cd == (iconv_t) -1) {
	return 0;
    }
    iconv_close(cd);
    cd = iconv_open("UTF-8", iconvName);
    if (cd == (iconv_t) -1) {
	return 0;
    }
    iconv_close(cd);
    return 1;
}

static int
FillInfo(struct sc__encinfo *info, int kind, const char *name,
	const char *iconvName)
{
    if (kind == SC_ENC_ICONV && !IconvKnows(iconvName)) {
	return -1;
    }
    info->kind = kind;
    snprintf(info->name, sizeof(info->name), "%s", name);
    snprintf(info->iconvName, sizeof(info->iconvName), "%s", iconvName);
    return 0;
}

/*
 * Resolve a lower-cased name among Tcl's: the native ones, the table,
 * and the iso8859-N and cpNNNN families. Returns 0 and fills *info, or
 * -1.
 */
static int
FindTclName(const char *lower, struct sc__encinfo *info)
{
    char iconvName[NAME_MAX_LEN + 1];
    size_t i;

    for (i = 0; i < sizeof(nativeNames) / sizeof(nativeNames[0]); i++) {
	if (strcmp(lower, nativeNames[i].name) == 0) {
	    return FillInfo(info, nativeNames[i].kind, nativeNames[i].name,
		    "");
	}
    }
    for (i = 0; i < sizeof(encNames) / sizeof(encNames[0]); i++) {
	if (SameName(lower, encNames[i].name)) {
	    return FillInfo(info, SC_ENC_ICONV, encNames[i].name,
		    encNames[i].iconvName);
	}
    }
    if (strncmp(lower, "iso8859-", 8) == 0 && IsNumber(lower + 8, 2)) {
	snprintf(iconvName, sizeof(iconvName), "ISO-8859-%.2s", lower + 8);
	return FillInfo(info, SC_ENC_ICONV, lower, iconvName);
    }
    if (strncmp(lower, "cp", 2) == 0 && IsNumber(lower + 2, 5)) {
	snprintf(iconvName, sizeof(iconvName), "CP%.5s", lower + 2);
	return FillInfo(info, SC_ENC_ICONV, lower, iconvName);
    }
    return -1;
}

/*
 * Resolve a name that is not "system": one of Tcl's, or else one that
 * iconv knows, reported lower-cased. A name with a '/' is refused, so
 * that iconv's suffixes (//TRANSLIT, //IGNORE) cannot change what a
 * conversion does.
 */
static int
FindName(const char *name, struct sc__encinfo *info)
{
    char lower[NAME_MAX_LEN + 1];

    if (LowerCopy(lower, name) < 0) {
	return -1;
    }
    if (FindTclName(lower, info) == 0) {
	return 0;
    }
    if (strchr(name, '/') != NULL) {
	return -1;
    }
    return FillInfo(info, SC_ENC_ICONV, lower, name);
}

/*
 * A codeset's loose form, to match a locale's spelling against Tcl's:
 * lower case, without '-' and '_' ("EUC-JP", "eucJP" -> "eucjp").
 */
static void
LooseKey(char dst[NAME_MAX_LEN + 1], const char *src, size_t len)
{
    size_t i, n = 0;

    for (i = 0; i < len && n < NAME_MAX_LEN; i++) {
	if (src[i] != '-' && src[i] != '_') {
	    dst[n++] = (char) Lower((unsigned char) src[i]);
	}
    }
    dst[n] = '\0';
}

/*
 * The encoding of the locale in LC_ALL, LC_CTYPE or LANG (the first
 * that is set and not empty): its codeset, the part after '.' and
 * before '@', matched loosely against Tcl's names, then taken as an
 * iconv name; iso8859-1 for C, POSIX, no codeset or one that is unknown.
 */
static void
SystemInfo(struct sc__encinfo *info)
{
    static const char *const vars[] = {"LC_ALL", "LC_CTYPE", "LANG"};
    const char *locale = NULL, *dot, *end;
    char key[NAME_MAX_LEN + 1], codeset[NAME_MAX_LEN + 1];
    char tclKey[NAME_MAX_LEN + 1];
    size_t i, len;

    for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
	locale = getenv(vars[i]);
	if (locale != NULL && locale[0] != '\0') {
	    break;
	}
	locale = NULL;
    }
    dot = locale ? strchr(locale, '.') : NULL;
    if (dot == NULL) {
	goto fallback;
    }
    end = strchr(dot + 1, '@');
    len = end ? (size_t) (end - dot - 1) : strlen(dot + 1);
    if (len == 0 || len > NAME_MAX_LEN) {
	goto fallback;
    }
    memcpy(codeset, dot + 1, len);
    codeset[len] = '\0';
    LooseKey(key, codeset, len);

    for (i = 0; i < sizeof(codesetAliases) / sizeof(codesetAliases[0]); i++) {
	if (strcmp(key, codesetAliases[i].key) == 0) {
	    FindTclName(codesetAliases[i].name, info);
	    return;
	}
    }
    for (i = 0; i < sizeof(nativeNames) / sizeof(nativeNames[0]); i++) {
	LooseKey(tclKey, nativeNames[i].name, strlen(nativeNames[i].name));
	if (strcmp(key, tclKey) == 0) {
	    FindTclName(nativeNames[i].name, info);
	    return;
	}
    }
    for (i = 0; i < sizeof(encNames) / sizeof(encNames[0]); i++) {
	LooseKey(tclKey, encNames[i].name, strlen(encNames[i].name));
	if (strcmp(key, tclKey) == 0 && FindTclName(encNames[i].name,
		info) == 0) {
	    return;
	}
    }
    if (strncmp(key, "iso8859", 7) == 0 && IsNumber(key + 7, 2)) {
	snprintf(tclKey, sizeof(tclKey), "iso8859-%.2s", key + 7);
	if (FindTclName(tclKey, info) == 0) {
	    return;
	}
    }
    if (FindName(codeset, info) == 0) {
	return;
    }

  fallback:
    FindTclName("iso8859-1", info);
}

/*
 *----------------------------------------------------------------------
 *
 * sc__enc_find --
 *
 *	Resolves a Tcl encoding name, in any case: see encoding.h.
 *
 * Results:
 *	0 with *info filled, or -1 for an unknown name (*info is then
 *	undefined).
 *
 * Side effects:
 *	For an iconv encoding, opens and closes a converter each way to
 *	make sure that iconv has it.
 *
 *----------------------------------------------------------------------
 */

int
sc__enc_find(const char *name, struct sc__encinfo *info)
{
    static const char *const nativeAliases[][2] = {
	/* Other spellings of the native kinds, so that they never reach
	 * iconv (whose UTF-8 treats invalid bytes otherwise). */
	{"utf8", "utf-8"},
	{"iso-8859-1", "iso8859-1"},
	{"latin1", "iso8859-1"},
	{"latin-1", "iso8859-1"},
	{"us-ascii", "ascii"},
    };
    size_t i;

    if (name == NULL || info == NULL) {
	return -1;
    }
    if (SameName(name, "system")) {
	SystemInfo(info);
	return 0;
    }
    for (i = 0; i < sizeof(nativeAliases) / sizeof(nativeAliases[0]); i++) {
	if (SameName(name, nativeAliases[i][0])) {
	    name = nativeAliases[i][1];
	    break;
	}
    }
    return FindName(name, info);
}

/*
 *----------------------------------------------------------------------
 *
 * sc__enc_system --
 *
 *	The canonical Tcl name of the locale's encoding, read from the
 *	environment at each call.
 *
 * Results:
 *	The name, in storage of the calling thread that the next call
 *	overwrites; the caller must not free it.
 *
 * Side effects:
 *	None.
 *
 *----------------------------------------------------------------------
 */

const char *
sc__enc_system(void)
{
    static _Thread_local struct sc__encinfo info;

    SystemInfo(&info);
    return info.name;
}

/*
 *----------------------------------------------------------------------
 *
 * sc__codec_init --
 *
 *	Prepares a converter for info's encoding, in the direction that
 *	output says (1: UTF-8 to the wire, 0: the wire to UTF-8).
 *
 * Results:
 *	0, or -1 with errno set when iconv cannot open the encoding.
 *
 * Side effects:
 *	For the iconv kind, opens an iconv converter that sc__codec_free
 *	closes.
 *
 *----------------------------------------------------------------------
 */

int
sc__codec_init(struct sc__codec *c, const struct sc__encinfo *info,
	int output)
{
    memset(c, 0, sizeof(*c));
    c->kind = info->kind;
    c->output = output != 0;
    if (info->kind == SC_ENC_ICONV) {
	iconv_t cd = output ? iconv_open(info->iconvName, "UTF-8")
		: iconv_open("UTF-8", info->iconvName);

	if (cd == (iconv_t) -1) {
	    return -1;
	}
	c->cd = cd;
    }
    return 0;
}

void
sc__codec_free(struct sc__codec *c)
{
    if (c->cd != NULL) {
	iconv_close((iconv_t) c->cd);
	c->cd = NULL;
    }
    c->carryLen = 0;
}

void
sc__codec_reset(struct sc__codec *c)
{
    c->carryLen = 0;
    if (c->cd != NULL) {
	iconv((iconv_t) c->cd, NULL, NULL, NULL, NULL);
    }
}

/*
 *----------------------------------------------------------------------
 *
 * Input --
 *
 *----------------------------------------------------------------------
 */

/*
 * One character through iconv. iconv has no way to ask for one
 * character, so it is offered output room of 1, 2, 3 and 4 bytes in
 * turn: the first room that takes any output takes exactly one
 * character. A refusal for want of room (E2BIG) converts nothing, but
 * may have consumed a shift sequence before the character, and changed
 * the converter's state to match: each retry therefore goes on from
 * where iconv stopped, never from src again, and the bytes that it
 * consumed count as taken.
 *
 * When src holds shift sequences and nothing else, iconv has consumed
 * them and there is no character to give. They are taken all the same,
 * with *outLen 0: returning 0 ("more input") would have the caller
 * offer them again, and a converter that has seen them once must not
 * see them twice (UTF-7's '-' that ends base64 is a plain '-' the second
 * time).
 */
static size_t
IconvDecode(struct sc__codec *c, const unsigned char *src, size_t len,
	int atEof, unsigned char out[SC__MAXCHAR], size_t *outLen)
{
    size_t taken = 0, room, r;
    int savedErrno = errno, err = 0;
    unsigned char byte;

    for (room = 1; room <= SC__MAXCHAR; room++) {
	char *in = (char *) (uintptr_t) (src + taken);
	char *o = (char *) out;
	size_t inLeft = len - taken, outLeft = room;

	errno = 0;
	r = iconv((iconv_t) c->cd, &in, &inLeft, &o, &outLeft);
	err = errno;
	taken = len - inLeft;
	if (outLeft < room) {
	    errno = savedErrno;
	    *outLen = room - outLeft;
	    return taken;
	}
	if (r != (size_t) -1) {
	    errno = savedErrno;
	    *outLen = 0;
	    return taken;
	}
	if (err != E2BIG) {
	    break;
	}
    }
    errno = savedErrno;
    if (err == EINVAL && !atEof) {
	return 0;
    }

    /*
     * A byte iconv rejects (EILSEQ), the start of a character that the
     * input ends in (EINVAL at the end), or a character too long for out
     * (E2BIG throughout): one byte as U+00XX.
     */
    byte = src[taken];
    if (byte < 0x80) {
	out[0] = byte;
	*outLen = 1;
    } else {
	out[0] = (unsigned char) (0xC0 | (byte >> 6));
	out[1] = (unsigned char) (0x80 | (byte & 0x3F));
	*outLen = 2;
    }
    return taken + 1;
}

/*
 *----------------------------------------------------------------------
 *
 * sc__decode_char --
 *
 *	Decodes one character of input to UTF-8. The native kinds are
 *	decoded here without another call, as this is called once per
 *	character of input.
 *
 * Results:
 *	The number of bytes of src taken (>= 1), with the character in
 *	out[0..*outLen); or 0 when src holds only the start of a character
 *	and atEof is 0. For the iconv kind, src may begin with shift
 *	sequences and nothing else: they are taken with *outLen 0.
 *
 * Side effects:
 *	Advances an iconv converter's state. errno is preserved.
 *
 *----------------------------------------------------------------------
 */

size_t
sc__decode_char(struct sc__codec *c, const unsigned char *src, size_t len,
	int atEof, unsigned char out[SC__MAXCHAR], size_t *outLen)
{
    unsigned char b = src[0];

    switch (c->kind) {
    case SC_ENC_BINARY:
	out[0] = b;
	*outLen = 1;
	return 1;
    case SC_ENC_UTF8:
	if (b < 0x80) {
	    out[0] = b;
	    *outLen = 1;
	    return 1;
	}
	if (b >= 0xC2 && b <= 0xF4) {
	    /*
	     * A lead byte: the second byte's range excludes overlong forms
	     * (E0, F0), surrogates (ED) and code points above U+10FFFF
	     * (F4), so that a prefix that can never complete is rejected
	     * at once instead of waiting for more input.
	     */
	    size_t need = b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4, i;
	    unsigned char lo = 0x80, hi = 0xBF;

	    if (b == 0xE0) {
		lo = 0xA0;
	    } else if (b == 0xED) {
		hi = 0x9F;
	    } else if (b == 0xF0) {
		lo = 0x90;
	    } else if (b == 0xF4) {
		hi = 0x8F;
	    }
	    for (i = 1; i < need && i < len; i++) {
		if (src[i] < lo || src[i] > hi) {
		    break;
		}
		lo = 0x80;
		hi = 0xBF;
	    }
	    if (i == need) {
		for (i = 0; i < need; i++) {
		    out[i] = src[i];
		}
		*outLen = need;
		return need;
	    }
	    if (i == len && !atEof) {
		return 0;
	    }
	}
	/* Not the start of a valid character: U+00XX. */
	out[0] = (unsigned char) (0xC0 | (b >> 6));
	out[1] = (unsigned char) (0x80 | (b & 0x3F));
	*outLen = 2;
	return 1;
    case SC_ENC_LATIN1:
    case SC_ENC_ASCII:
	if (b < 0x80) {
	    out[0] = b;
	    *outLen = 1;
	} else {
	    out[0] = (unsigned char) (0xC0 | (b >> 6));
	    out[1] = (unsigned char) (0x80 | (b & 0x3F));
	    *outLen = 2;
	}
	return 1;
    default:
	return IconvDecode(c, src, len, atEof, out, outLen);
    }
}

/*
 *----------------------------------------------------------------------
 *
 * Output --
 *
 *----------------------------------------------------------------------
 */

/* Output collected in pieces of up to OUT_SIZE bytes for emit. */
struct outBuf {
    sc__emit_proc *emit;
    void *emitData;
    size_t len;
    unsigned char bytes[OUT_SIZE];
};

/* Emit what ob holds. Returns 0, or -1 when emit did. */
static int
FlushOut(struct outBuf *ob)
{
    size_t n = ob->len;

    ob->len = 0;
    if (n > 0 && ob->emit(ob->emitData, ob->bytes, n) < 0) {
	return -1;
    }
    return 0;
}

static int
PutByte(struct outBuf *ob, unsigned char byte)
{
    if (ob->len == sizeof(ob->bytes) && FlushOut(ob) < 0) {
	return -1;
    }
    ob->bytes[ob->len++] = byte;
    return 0;
}

/*
 * Run n bytes through iconv into ob. An error other than E2BIG means
 * that the character at the point iconv stopped cannot be represented
 * (EILSEQ; EINVAL cannot happen on whole characters, and is treated the
 * same): it becomes '?' in the target encoding, converted through the
 * same converter, so that a stateful encoding shifts back first.
 * Returns 0, or -1 when emit did.
 */
static int
IconvPut(struct sc__codec *c, struct outBuf *ob, const unsigned char *p,
	size_t n, int isQuestion)
{
    char *in = (char *) (uintptr_t) p;

    while (n > 0) {
	char *o = (char *) ob->bytes + ob->len;
	size_t room = sizeof(ob->bytes) - ob->len, r;
	int err;

	r = iconv((iconv_t) c->cd, &in, &n, &o, &room);
	err = errno;
	ob->len = sizeof(ob->bytes) - room;
	if (r != (size_t) -1) {
	    break;
	}
	if (err == E2BIG && ob->len > 0) {
	    if (FlushOut(ob) < 0) {
		return -1;
	    }
	} else if (isQuestion) {
	    break;		/* Not even '?' is representable. */
	} else {
	    /* The input is whole characters of valid UTF-8. */
	    unsigned char lead = (unsigned char) *in;
	    size_t skip = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3
		    : 4;

	    if (skip > n) {
		skip = n;
	    }
	    in += skip;
	    n -= skip;
	    if (IconvPut(c, ob, (const unsigned char *) "?", 1, 1) < 0) {
		return -1;
	    }
	}
    }
    return 0;
}

/*
 * Encode the characters that start in p[0..want) for a latin1, ascii or
 * iconv codec, reading p[0..len) as the program's UTF-8: a byte that
 * does not start a valid character is U+00XX. Stops early at a valid
 * but incomplete character at the end of p, unless atEnd. Sets *used to
 * the number of bytes encoded. Returns 0, or -1 when emit did.
 */
static int
EncodeSpan(struct sc__codec *c, struct outBuf *ob, const unsigned char *p,
	size_t len, int atEnd, size_t want, size_t *used)
{
    struct sc__codec utf8;
    unsigned char ch[SC__MAXCHAR];
    size_t i = 0, run = 0, n, chLen;
    int limit = c->kind == SC_ENC_LATIN1 ? 0xFF : 0x7F, cp;

    memset(&utf8, 0, sizeof(utf8));
    utf8.kind = SC_ENC_UTF8;
    while (i < want) {
	if (p[i] < 0x80) {
	    if (c->kind != SC_ENC_ICONV && PutByte(ob, p[i]) < 0) {
		return -1;
	    }
	    i++;
	    continue;
	}
	n = sc__decode_char(&utf8, p + i, len - i, atEnd, ch, &chLen);
	if (n == 0) {
	    break;
	}
	if (c->kind == SC_ENC_ICONV) {
	    /*
	     * Valid characters are passed on in runs; a byte taken as
	     * U+00XX ends a run and goes through iconv by itself.
	     */
	    if (n == chLen) {
		i += n;
		continue;
	    }
	    if (IconvPut(c, ob, p + run, i - run, 0) < 0
		    || IconvPut(c, ob, ch, chLen, 0) < 0) {
		return -1;
	    }
	    i += n;
	    run = i;
	    continue;
	}
	/* Latin-1 and ASCII: a code point in range is one byte. */
	cp = (chLen == 2 && ch[0] <= 0xC3)
		? ((ch[0] & 0x1F) << 6) | (ch[1] & 0x3F) : 0x100;
	if (PutByte(ob, (unsigned char) (cp <= limit ? cp : '?')) < 0) {
	    return -1;
	}
	i += n;
    }
    if (c->kind == SC_ENC_ICONV && IconvPut(c, ob, p + run, i - run, 0) < 0) {
	return -1;
    }
    *used = i;
    return 0;
}

/*
 *----------------------------------------------------------------------
 *
 * sc__encode --
 *
 *	Encodes the program's UTF-8 for the wire and hands the result to
 *	emit. binary and utf-8 pass src on unchanged in one call. The
 *	others carry a character split at the end of src to the next call,
 *	unless flush.
 *
 * Results:
 *	0, or -1 when emit returned -1 (its errno is left as it was).
 *
 * Side effects:
 *	Calls emit; updates the carry and iconv's shift state; with flush,
 *	emits whatever returns a stateful encoding to its initial state.
 *
 *----------------------------------------------------------------------
 */

int
sc__encode(struct sc__codec *c, const unsigned char *src, size_t len,
	int flush, sc__emit_proc *emit, void *emitData)
{
    struct outBuf ob;
    size_t used;

    if (c->kind == SC_ENC_BINARY || c->kind == SC_ENC_UTF8) {
	if (len > 0 && emit(emitData, src, len) < 0) {
	    return -1;
	}
	return 0;
    }
    ob.emit = emit;
    ob.emitData = emitData;
    ob.len = 0;

    if (c->carryLen > 0) {
	/*
	 * Finish the carried character with the first bytes of src. The
	 * carry is a valid prefix, so it either completes, or is rejected
	 * a byte at a time, or (src being short) is still a prefix.
	 */
	unsigned char tmp[2 * SC__MAXCHAR];
	size_t old = c->carryLen;
	size_t add = len < SC__MAXCHAR ? len : SC__MAXCHAR;

	memcpy(tmp, c->carry, old);
	if (add > 0) {
	    memcpy(tmp + old, src, add);
	}
	c->carryLen = 0;
	if (EncodeSpan(c, &ob, tmp, old + add, flush, old, &used) < 0) {
	    return -1;
	}
	if (used < old) {
	    memcpy(c->carry, tmp + used, old + add - used);
	    c->carryLen = old + add - used;
	    return FlushOut(&ob);
	}
	src += used - old;
	len -= used - old;
    }
    if (EncodeSpan(c, &ob, src, len, flush, len, &used) < 0) {
	return -1;
    }
    if (used < len) {
	memcpy(c->carry, src + used, len - used);
	c->carryLen = len - used;
    }
    if (flush && c->kind == SC_ENC_ICONV) {
	for (;;) {
	    char *o = (char *) ob.bytes + ob.len;
	    size_t room = sizeof(ob.bytes) - ob.len;
	    size_t r = iconv((iconv_t) c->cd, NULL, NULL, &o, &room);

	    ob.len = sizeof(ob.bytes) - room;
	    if (r != (size_t) -1 || errno != E2BIG || ob.len == 0) {
		break;
	    }
	    if (FlushOut(&ob) < 0) {
		return -1;
	    }
	}
    }
    return FlushOut(&ob);
}
