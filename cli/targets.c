/*
 * targets.c --
 *
 *	The scanner's parsers: what to scan (addresses, CIDR blocks,
 *	ranges, names) and which ports. Pure functions over caller-owned
 *	structures, so that fuzz targets can drive them; see targets.h.
 */

#include "targets.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define MAX_TOKEN 300		/* Longest target: a 253-byte name + "/N". */
#define QUOTE_LEN 64		/* Longest piece of input a message quotes. */

/*
 * Leave a message in err (which may be NULL) and return -1.
 */
static int
Fail(char *err, size_t errLen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
Fail(char *err, size_t errLen, const char *fmt, ...)
{
    va_list ap;

    if (err != NULL && errLen > 0) {
	va_start(ap, fmt);
	vsnprintf(err, errLen, fmt, ap);
	va_end(ap);
    }
    return -1;
}

/*
 * Copy a piece of user input into buf for a message: at most QUOTE_LEN
 * bytes, anything unprintable as '?', and "..." when cut short.
 */
static const char *
Quote(const char *s, size_t n, char *buf, size_t bufLen)
{
    size_t i, max = bufLen - 4;

    if (max > QUOTE_LEN) {
	max = QUOTE_LEN;
    }
    for (i = 0; i < n && i < max; i++) {
	unsigned char c = (unsigned char) s[i];

	buf[i] = (c >= 0x20 && c < 0x7f) ? (char) c : '?';
    }
    if (i < n) {
	memcpy(buf + i, "...", 3);
	i += 3;
    }
    buf[i] = '\0';
    return buf;
}

static int
AddrLen(int family)
{
    return family == AF_INET ? 4 : 16;
}

static int
MaxPrefix(int family)
{
    return family == AF_INET ? 32 : 128;
}

/* Set first and last to addr's block under a prefix of bits. */
static void
ApplyPrefix(cli_target *t, const unsigned char *addr, int bits)
{
    int i, n = AddrLen(t->family);

    for (i = 0; i < n; i++) {
	int keep = bits >= 8 * (i + 1) ? 8 : (bits > 8 * i ? bits - 8 * i : 0);
	unsigned char mask = (unsigned char) (0xff00u >> keep);

	t->first[i] = addr[i] & mask;
	t->last[i] = (unsigned char) (addr[i] | (unsigned char) ~mask);
    }
}

/*
 * Parse a whole decimal (base 10) or hexadecimal (16) number of at most
 * maxDigits digits, no sign; -1 if s is not one.
 */
static long
ParseNumber(const char *s, int base, int maxDigits)
{
    long n = 0;
    int digits = 0;

    for (; *s != '\0'; s++, digits++) {
	int d;

	if (*s >= '0' && *s <= '9') {
	    d = *s - '0';
	} else if (base == 16 && *s >= 'a' && *s <= 'f') {
	    d = *s - 'a' + 10;
	} else if (base == 16 && *s >= 'A' && *s <= 'F') {
	    d = *s - 'A' + 10;
	} else {
	    return -1;
	}
	if (digits >= maxDigits) {
	    return -1;
	}
	n = n * base + d;
    }
    return digits > 0 ? n : -1;
}

/* Is s a host name: dot-separated labels of letters, digits, '-', '_'? */
static int
IsHostName(const char *s)
{
    size_t label = 0, len = strlen(s);

    if (len == 0 || len > 253) {
	return 0;
    }
    for (; *s != '\0'; s++) {
	if (*s == '.') {
	    if (label == 0) {
		return 0;
	    }
	    label = 0;
	} else if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')
		|| (*s >= '0' && *s <= '9') || *s == '_'
		|| (*s == '-' && label > 0)) {
	    if (++label > 63) {
		return 0;
	    }
	} else {
	    return 0;
	}
    }
    return 1;
}

/*
 * Parse one address or range (no prefix) of family into t: "A",
 * "A-B" with B a whole address, or "A-N" with N the last octet (IPv4,
 * decimal) or group (IPv6, hex).
 */
static int
ParseBlock(cli_target *t, int family, char *s, const char *tok, char *err,
	size_t errLen)
{
    char *dash = strchr(s, '-'), q[QUOTE_LEN + 4];
    unsigned char addr[16];
    int n = AddrLen(family);

    if (dash != NULL) {
	*dash = '\0';
    }
    memset(addr, 0, sizeof(addr));
    if (inet_pton(family, s, addr) != 1) {
	return Fail(err, errLen, "bad address \"%s\"",
		Quote(tok, strlen(tok), q, sizeof(q)));
    }
    t->family = family;
    memcpy(t->first, addr, sizeof(addr));
    memcpy(t->last, addr, sizeof(addr));
    if (dash == NULL) {
	return 0;
    }
    s = dash + 1;
    if (strchr(s, family == AF_INET ? '.' : ':') != NULL) {
	if (inet_pton(family, s, t->last) != 1) {
	    return Fail(err, errLen, "bad range \"%s\": the end is not an "
		    "address", Quote(tok, strlen(tok), q, sizeof(q)));
	}
    } else {
	long last = family == AF_INET ? ParseNumber(s, 10, 3)
		: ParseNumber(s, 16, 4);

	if (last < 0 || last > (family == AF_INET ? 255 : 0xffff)) {
	    return Fail(err, errLen, "bad range \"%s\": the end should be "
		    "%s", Quote(tok, strlen(tok), q, sizeof(q)),
		    family == AF_INET ? "0 to 255 or an address"
		    : "a hex group 0 to ffff or an address");
	}
	if (family == AF_INET) {
	    t->last[3] = (unsigned char) last;
	} else {
	    t->last[14] = (unsigned char) (last >> 8);
	    t->last[15] = (unsigned char) last;
	}
    }
    if (memcmp(t->first, t->last, (size_t) n) > 0) {
	return Fail(err, errLen, "bad range \"%s\": the end comes before the "
		"start", Quote(tok, strlen(tok), q, sizeof(q)));
    }
    return 0;
}

/*
 * The interface of an IPv6 zone ("eth0", or an index such as "2"): its
 * index, or 0 if there is no such interface.
 */
static unsigned
ZoneIndex(const char *zone)
{
    long n = ParseNumber(zone, 10, 9);

    if (n > 0) {
	return (unsigned) n;
    }
    return zone[0] != '\0' && strlen(zone) < IF_NAMESIZE
	    ? if_nametoindex(zone) : 0;
}

/*
 * Parse one target (n bytes at tok, no separators) into t.
 */
static int
ParseTarget(cli_target *t, const char *tok, size_t n, char *err,
	size_t errLen)
{
    char whole[MAX_TOKEN + 1], work[MAX_TOKEN + 1], q[QUOTE_LEN + 4];
    char *host = work, *slash, *zone, *p;
    long prefix = -1;
    int family, numeric = 1;

    memset(t, 0, sizeof(*t));
    t->prefix = -1;
    if (memchr(tok, '\0', n) != NULL) {
	return Fail(err, errLen, "bad target \"%s\": it holds a NUL byte",
		Quote(tok, n, q, sizeof(q)));
    }
    if (n > MAX_TOKEN) {
	return Fail(err, errLen, "bad target \"%s\": too long",
		Quote(tok, n, q, sizeof(q)));
    }
    memcpy(whole, tok, n);
    whole[n] = '\0';
    memcpy(work, whole, n + 1);
    Quote(whole, n, q, sizeof(q));

    slash = strchr(work, '/');
    if (slash != NULL) {
	*slash = '\0';
	prefix = ParseNumber(slash + 1, 10, 3);
	if (prefix < 0) {
	    return Fail(err, errLen, "bad CIDR block \"%s\": the prefix "
		    "should be a number of bits", q);
	}
    }
    if (host[0] == '[') {
	size_t hl = strlen(host);

	if (hl < 3 || host[hl - 1] != ']') {
	    return Fail(err, errLen, "bad address \"%s\"", q);
	}
	host[hl - 1] = '\0';
	host++;
	if (strchr(host, ':') == NULL) {
	    return Fail(err, errLen, "bad address \"%s\": brackets are for "
		    "IPv6 addresses", q);
	}
    }
    zone = strchr(host, '%');
    if (zone != NULL) {
	*zone++ = '\0';
	if (strchr(host, ':') == NULL) {
	    return Fail(err, errLen, "bad target \"%s\": a zone (%%) is for "
		    "IPv6 addresses", q);
	}
	t->scope = ZoneIndex(zone);
	if (t->scope == 0) {
	    char zq[QUOTE_LEN + 4];

	    return Fail(err, errLen, "bad address \"%s\": no interface \"%s\"",
		    q, Quote(zone, strlen(zone), zq, sizeof(zq)));
	}
    }
    for (p = host; *p != '\0'; p++) {
	if (!((*p >= '0' && *p <= '9') || *p == '.' || *p == '-')) {
	    numeric = 0;
	}
    }
    if (strchr(host, ':') != NULL) {
	family = AF_INET6;
    } else if (numeric && host[0] != '\0') {
	family = AF_INET;
    } else if (IsHostName(host)) {
	if (prefix > 128) {
	    return Fail(err, errLen, "bad CIDR block \"%s\": the prefix "
		    "should be 0 to 128", q);
	}
	t->name = strdup(host);
	if (t->name == NULL) {
	    return Fail(err, errLen, "out of memory");
	}
	t->prefix = (int) prefix;
	return 0;
    } else {
	return Fail(err, errLen, "bad target \"%s\": not an address, a "
		"CIDR block, a range or a host name", q);
    }

    if (slash != NULL && strchr(host, '-') != NULL) {
	return Fail(err, errLen, "bad target \"%s\": a range can't have a "
		"prefix", q);
    }
    if (ParseBlock(t, family, host, whole, err, errLen) < 0) {
	return -1;
    }
    if (family == AF_INET6 && t->scope == 0 && t->first[0] == 0xfe
	    && (t->first[1] & 0xc0) == 0x80) {
	/* connect() would fail with "invalid argument" for every port. */
	return Fail(err, errLen, "bad address \"%s\": a link-local address "
		"needs a zone, such as %%eth0", q);
    }
    if (slash != NULL) {
	unsigned char addr[16];

	if (prefix > MaxPrefix(family)) {
	    return Fail(err, errLen, "bad CIDR block \"%s\": the prefix "
		    "should be 0 to %d", q, MaxPrefix(family));
	}
	memcpy(addr, t->first, sizeof(addr));
	ApplyPrefix(t, addr, (int) prefix);
    }
    return 0;
}

/* Make room for one more target. */
static int
Grow(cli_targets *list)
{
    if (list->count == list->cap) {
	size_t cap = list->cap ? 2 * list->cap : 16;
	cli_target *items = realloc(list->items, cap * sizeof(*items));

	if (items == NULL) {
	    return -1;
	}
	list->items = items;
	list->cap = cap;
    }
    return 0;
}

static int
IsSeparator(char c)
{
    return c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r'
	    || c == '\v' || c == '\f';
}

/*
 *----------------------------------------------------------------------
 *
 * cli_targets_parse --
 *
 *	Parse a list of targets (an argument, or a file's contents).
 *
 * Results:
 *	0, or -1 with a message in err.
 *
 * Side effects:
 *	Appends to list; names are copied and owned by the list.
 *
 *----------------------------------------------------------------------
 */

int
cli_targets_parse(cli_targets *list, const char *text, size_t len,
	char *err, size_t errLen)
{
    size_t i = 0;

    while (i < len) {
	size_t start;

	if (IsSeparator(text[i])) {
	    i++;
	    continue;
	}
	if (text[i] == '#') {
	    while (i < len && text[i] != '\n') {
		i++;
	    }
	    continue;
	}
	start = i;
	while (i < len && !IsSeparator(text[i]) && text[i] != '#') {
	    i++;
	}
	if (Grow(list) < 0) {
	    return Fail(err, errLen, "out of memory");
	}
	if (ParseTarget(&list->items[list->count], text + start, i - start,
		err, errLen) < 0) {
	    return -1;
	}
	list->count++;
    }
    return 0;
}

void
cli_targets_free(cli_targets *list)
{
    size_t i;

    for (i = 0; i < list->count; i++) {
	free(list->items[i].name);
    }
    free(list->items);
    list->items = NULL;
    list->count = list->cap = 0;
}

void
cli_host_format(const cli_host *host, char *buf, size_t bufLen)
{
    char name[IF_NAMESIZE];
    size_t len;

    if (inet_ntop(host->family, host->addr, buf, (socklen_t) bufLen)
	    == NULL) {
	if (bufLen > 0) {
	    buf[0] = '\0';
	}
	return;
    }
    if (host->scope != 0) {
	/* The interface's name where it still has one, else its index. */
	len = strlen(buf);
	if (if_indextoname(host->scope, name) != NULL) {
	    snprintf(buf + len, bufLen - len, "%%%s", name);
	} else {
	    snprintf(buf + len, bufLen - len, "%%%u", host->scope);
	}
    }
}

/*
 *----------------------------------------------------------------------
 *
 * cli_targets_resolve --
 *
 *	Look up the names in list, and check the family of the rest.
 *
 * Results:
 *	0, or -1 with a message in err.
 *
 * Side effects:
 *	Name lookups (getaddrinfo, which may block). Each name's entry is
 *	replaced by one block per distinct address, in the order the
 *	resolver gave them; on -1 the list is left as it was.
 *
 *----------------------------------------------------------------------
 */

int
cli_targets_resolve(cli_targets *list, int family, char *err,
	size_t errLen)
{
    cli_targets out = CLI_TARGETS_INIT;
    char q[QUOTE_LEN + 4], text[INET6_ADDRSTRLEN];
    size_t i;

    for (i = 0; i < list->count; i++) {
	cli_target *t = &list->items[i];
	struct addrinfo hints, *res, *ai;
	size_t before = out.count;
	int r;

	if (t->name == NULL || t->family != 0) {
	    if (family != 0 && t->family != family) {
		inet_ntop(t->family, t->first, text, sizeof(text));
		Fail(err, errLen, "%s is an IPv%d address, but only IPv%d "
			"was asked for", text, t->family == AF_INET ? 4 : 6,
			family == AF_INET ? 4 : 6);
		goto fail;
	    }
	    if (Grow(&out) < 0) {
		goto nomem;
	    }
	    out.items[out.count] = *t;
	    out.items[out.count].name = NULL;
	    if (t->name != NULL
		    && (out.items[out.count].name = strdup(t->name)) == NULL) {
		goto nomem;
	    }
	    out.count++;
	    continue;
	}

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	Quote(t->name, strlen(t->name), q, sizeof(q));
	r = getaddrinfo(t->name, NULL, &hints, &res);
	if (r != 0) {
	    Fail(err, errLen, "unknown host \"%s\": %s", q,
		    r == EAI_SYSTEM ? strerror(errno) : gai_strerror(r));
	    goto fail;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
	    cli_target b;
	    const unsigned char *addr;
	    size_t j;
	    int dup = 0;

	    if (ai->ai_family == AF_INET) {
		addr = (const unsigned char *)
			&((const struct sockaddr_in *) (const void *)
			ai->ai_addr)->sin_addr;
	    } else if (ai->ai_family == AF_INET6) {
		addr = (const unsigned char *)
			&((const struct sockaddr_in6 *) (const void *)
			ai->ai_addr)->sin6_addr;
	    } else {
		continue;
	    }
	    memset(&b, 0, sizeof(b));
	    b.family = ai->ai_family;
	    b.prefix = -1;
	    if (t->prefix > MaxPrefix(b.family)) {
		freeaddrinfo(res);
		Fail(err, errLen, "bad CIDR block \"%s/%d\": the prefix should "
			"be 0 to %d for an IPv%d address", q, t->prefix,
			MaxPrefix(b.family), b.family == AF_INET ? 4 : 6);
		goto fail;
	    }
	    ApplyPrefix(&b, addr, t->prefix >= 0 ? t->prefix
		    : MaxPrefix(b.family));
	    for (j = before; j < out.count; j++) {
		if (out.items[j].family == b.family
			&& memcmp(out.items[j].first, b.first, 16) == 0
			&& memcmp(out.items[j].last, b.last, 16) == 0) {
		    dup = 1;
		}
	    }
	    if (dup) {
		continue;
	    }
	    if (Grow(&out) < 0 || (b.name = strdup(t->name)) == NULL) {
		freeaddrinfo(res);
		goto nomem;
	    }
	    out.items[out.count++] = b;
	}
	freeaddrinfo(res);
	if (out.count == before) {
	    Fail(err, errLen, "unknown host \"%s\": no IPv%d address", q,
		    family == AF_INET ? 4 : 6);
	    goto fail;
	}
    }
    cli_targets_free(list);
    *list = out;
    return 0;

  nomem:
    Fail(err, errLen, "out of memory");
  fail:
    cli_targets_free(&out);
    return -1;
}

/*
 *----------------------------------------------------------------------
 *
 * cli_targets_expand --
 *
 *	The single addresses of a resolved target list, less exclusions.
 *
 * Results:
 *	0 with *hostsPtr and *countPtr set, or -1 with a message in err.
 *
 * Side effects:
 *	Allocates the host array, which the caller frees.
 *
 *----------------------------------------------------------------------
 */

/* How many addresses a block holds, or max + 1 if more than max. */
static uint64_t
BlockSize(const cli_target *t, uint64_t max)
{
    uint64_t first = 0, last = 0;
    int i, n = AddrLen(t->family);

    /* Only the low 8 bytes may differ in a block that is small enough. */
    if (n == 16 && memcmp(t->first, t->last, 8) != 0) {
	return max + 1;
    }
    for (i = n > 8 ? n - 8 : 0; i < n; i++) {
	first = first << 8 | t->first[i];
	last = last << 8 | t->last[i];
    }
    if (last - first >= max) {
	return max + 1;
    }
    return last - first + 1;
}

static int
CompareHosts(const void *a, const void *b)
{
    const cli_host *x = a, *y = b;
    int c;

    if (x->family != y->family) {
	return x->family == AF_INET ? -1 : 1;
    }
    c = memcmp(x->addr, y->addr, sizeof(x->addr));
    if (c == 0 && x->scope != y->scope) {
	c = x->scope < y->scope ? -1 : 1;
    }
    return c;
}

static int
CompareBlocks(const void *a, const void *b)
{
    const cli_target *x = a, *y = b;

    if (x->family != y->family) {
	return x->family == AF_INET ? -1 : 1;
    }
    return memcmp(x->first, y->first, sizeof(x->first));
}

/* Add one to a big-endian address of n bytes. */
static void
Increment(unsigned char *addr, int n)
{
    while (n-- > 0 && ++addr[n] == 0) {
	/* Carry. */
    }
}

/* Is host inside one of the n sorted, disjoint blocks? */
static int
Excluded(const cli_host *host, const cli_target *blocks, size_t n)
{
    size_t lo = 0, hi = n;

    /* Find the last block that starts at or before host. */
    while (lo < hi) {
	size_t mid = lo + (hi - lo) / 2;
	const cli_target *b = &blocks[mid];
	int c = b->family != host->family
		? (b->family == AF_INET ? -1 : 1)
		: memcmp(b->first, host->addr, 16);

	if (c <= 0) {
	    lo = mid + 1;
	} else {
	    hi = mid;
	}
    }
    return lo > 0 && blocks[lo - 1].family == host->family
	    && memcmp(blocks[lo - 1].last, host->addr, 16) >= 0;
}

int
cli_targets_expand(const cli_targets *include, const cli_targets *exclude,
	size_t max, cli_host **hostsPtr, size_t *countPtr, char *err,
	size_t errLen)
{
    cli_host *hosts = NULL;
    cli_target *blocks = NULL;
    size_t i, total = 0, n = 0, nb = 0;

    *hostsPtr = NULL;
    *countPtr = 0;
    for (i = 0; i < include->count; i++) {
	const cli_target *t = &include->items[i];
	uint64_t size;

	if (t->family != AF_INET && t->family != AF_INET6) {
	    return Fail(err, errLen, "host \"%s\" was not resolved",
		    t->name ? t->name : "?");
	}
	size = BlockSize(t, max);
	if (size > max - total) {
	    return Fail(err, errLen, "too many addresses: a scan may cover "
		    "at most %zu", max);
	}
	total += (size_t) size;
    }
    if (total == 0) {
	return 0;
    }
    hosts = malloc(total * sizeof(*hosts));
    if (hosts == NULL) {
	return Fail(err, errLen, "out of memory for %zu addresses", total);
    }
    for (i = 0; i < include->count; i++) {
	const cli_target *t = &include->items[i];
	uint64_t k, size = BlockSize(t, max);
	unsigned char addr[16];

	memcpy(addr, t->first, sizeof(addr));
	for (k = 0; k < size; k++) {
	    hosts[n].family = t->family;
	    hosts[n].scope = t->scope;
	    memcpy(hosts[n].addr, addr, sizeof(addr));
	    hosts[n].name = t->name;
	    n++;
	    Increment(addr, AddrLen(t->family));
	}
    }
    qsort(hosts, n, sizeof(*hosts), CompareHosts);

    /* The exclusions, sorted and merged into disjoint blocks. */
    if (exclude != NULL && exclude->count > 0) {
	blocks = malloc(exclude->count * sizeof(*blocks));
	if (blocks == NULL) {
	    free(hosts);
	    return Fail(err, errLen, "out of memory");
	}
	for (i = 0; i < exclude->count; i++) {
	    if (exclude->items[i].family == AF_INET
		    || exclude->items[i].family == AF_INET6) {
		blocks[nb] = exclude->items[i];
		memset(blocks[nb].first + AddrLen(blocks[nb].family), 0,
			16 - (size_t) AddrLen(blocks[nb].family));
		memset(blocks[nb].last + AddrLen(blocks[nb].family), 0,
			16 - (size_t) AddrLen(blocks[nb].family));
		nb++;
	    }
	}
	qsort(blocks, nb, sizeof(*blocks), CompareBlocks);
	if (nb > 0) {
	    size_t m = 0;

	    for (i = 1; i < nb; i++) {
		if (blocks[i].family == blocks[m].family
			&& memcmp(blocks[i].first, blocks[m].last, 16) <= 0) {
		    if (memcmp(blocks[i].last, blocks[m].last, 16) > 0) {
			memcpy(blocks[m].last, blocks[i].last, 16);
		    }
		} else {
		    blocks[++m] = blocks[i];
		}
	    }
	    nb = m + 1;
	}
    }

    /* Drop duplicates (keeping a name if one has it) and exclusions. */
    {
	size_t out = 0;

	for (i = 0; i < n; i++) {
	    if (out > 0 && CompareHosts(&hosts[out - 1], &hosts[i]) == 0) {
		if (hosts[out - 1].name == NULL) {
		    hosts[out - 1].name = hosts[i].name;
		}
		continue;
	    }
	    if (nb > 0 && Excluded(&hosts[i], blocks, nb)) {
		continue;
	    }
	    hosts[out++] = hosts[i];
	}
	n = out;
    }
    free(blocks);
    if (n == 0) {
	free(hosts);
	hosts = NULL;
    }
    *hostsPtr = hosts;
    *countPtr = n;
    return 0;
}

/*
 *----------------------------------------------------------------------
 *
 * Ports --
 *
 *----------------------------------------------------------------------
 */

/*
 * The default list: well-known services that are often found listening,
 * chosen for this tool (about a hundred; -p- scans them all).
 */
static const uint16_t defaultPorts[] = {
    7, 9, 13, 21, 22, 23, 25, 26, 37, 53, 79, 80, 81, 88, 106, 110, 111,
    113, 119, 135, 139, 143, 144, 179, 199, 389, 427, 443, 444, 445, 465,
    513, 514, 515, 543, 544, 548, 554, 587, 631, 636, 646, 873, 990, 993,
    995, 1025, 1026, 1027, 1080, 1110, 1433, 1521, 1720, 1723, 1755, 1883,
    1900, 2000, 2001, 2049, 2121, 2375, 2376, 2717, 3000, 3128, 3306,
    3389, 3986, 4899, 5000, 5009, 5051, 5060, 5101, 5190, 5357, 5432,
    5631, 5666, 5672, 5800, 5900, 5985, 6000, 6001, 6379, 6443, 6646,
    7070, 8000, 8008, 8009, 8080, 8081, 8443, 8888, 9000, 9090, 9100,
    9200, 9999, 10000, 11211, 27017, 32768, 49152, 49153, 49154, 49155,
    49156, 49157,
};

void
cli_ports_init(cli_ports *ports)
{
    memset(ports, 0, sizeof(*ports));
}

int
cli_ports_has(const cli_ports *ports, unsigned port)
{
    return port < 65536 && (ports->bits[port >> 3] >> (port & 7)) & 1;
}

static void
AddPort(cli_ports *ports, unsigned port)
{
    if (!cli_ports_has(ports, port)) {
	ports->bits[port >> 3] |= (unsigned char) (1u << (port & 7));
	ports->count++;
    }
}

void
cli_ports_add_default(cli_ports *ports)
{
    size_t i;

    for (i = 0; i < sizeof(defaultPorts) / sizeof(defaultPorts[0]); i++) {
	AddPort(ports, defaultPorts[i]);
    }
}

void
cli_ports_remove(cli_ports *ports, const cli_ports *other)
{
    unsigned port;

    for (port = 1; port < 65536; port++) {
	if (cli_ports_has(ports, port) && cli_ports_has(other, port)) {
	    ports->bits[port >> 3] &= (unsigned char) ~(1u << (port & 7));
	    ports->count--;
	}
    }
}

size_t
cli_ports_list(const cli_ports *ports, uint16_t *out)
{
    unsigned port;
    size_t n = 0;

    for (port = 1; port < 65536; port++) {
	if (cli_ports_has(ports, port)) {
	    out[n++] = (uint16_t) port;
	}
    }
    return n;
}

/* A port number 1-65535 written as digits only; -1 if s is not one. */
static long
PortNumber(const char *s)
{
    long n = ParseNumber(s, 10, 5);

    return n >= 1 && n <= 65535 ? n : -1;
}

/*
 * Parse one item of a port list (NUL terminated) into the set.
 */
static int
ParsePortItem(cli_ports *ports, char *item, char *err, size_t errLen)
{
    char q[QUOTE_LEN + 4], *dash;
    long lo, hi;

    Quote(item, strlen(item), q, sizeof(q));
    if (strcmp(item, "-") == 0) {
	lo = 1;
	hi = 65535;
    } else if ((item[0] >= 'a' && item[0] <= 'z')
	    || (item[0] >= 'A' && item[0] <= 'Z')) {
	struct servent se, *result = NULL;
	char buf[1024];

	if (getservbyname_r(item, "tcp", &se, buf, sizeof(buf), &result) != 0
		|| result == NULL) {
	    return Fail(err, errLen, "unknown service \"%s\"", q);
	}
	lo = hi = ntohs((uint16_t) result->s_port);
	if (lo == 0) {
	    return Fail(err, errLen, "bad port \"%s\": service port 0", q);
	}
    } else {
	dash = item[0] == '-' ? NULL : strchr(item, '-');
	if (dash != NULL) {
	    *dash = '\0';
	}
	lo = PortNumber(item);
	if (lo < 0) {
	    if (dash != NULL) {
		*dash = '-';
	    }
	    return Fail(err, errLen, "bad port \"%s\": should be 1 to 65535 "
		    "or a service name", q);
	}
	hi = lo;
	if (dash != NULL) {
	    hi = dash[1] == '\0' ? 65535 : PortNumber(dash + 1);
	    if (hi < 0) {
		return Fail(err, errLen, "bad port range \"%s\": the end "
			"should be 1 to 65535", q);
	    }
	    if (hi < lo) {
		return Fail(err, errLen, "bad port range \"%s\": the end "
			"comes before the start", q);
	    }
	}
    }
    for (; lo <= hi; lo++) {
	AddPort(ports, (unsigned) lo);
    }
    return 0;
}

/*
 *----------------------------------------------------------------------
 *
 * cli_ports_parse --
 *
 *	Parse a port list such as "22,80,8000-8100,http" or "-".
 *
 * Results:
 *	0, or -1 with a message in err.
 *
 * Side effects:
 *	Adds to the set; reads the services database for names.
 *
 *----------------------------------------------------------------------
 */

int
cli_ports_parse(cli_ports *ports, const char *text, size_t len, char *err,
	size_t errLen)
{
    char item[64], q[QUOTE_LEN + 4];
    size_t i = 0;

    if (len == 0) {
	return Fail(err, errLen, "bad port list \"\": no port in it");
    }
    for (;;) {
	size_t start = i;

	while (i < len && text[i] != ',') {
	    i++;
	}
	if (i == start) {
	    return Fail(err, errLen, "bad port list \"%s\": an empty item",
		    Quote(text, len, q, sizeof(q)));
	}
	if (memchr(text + start, '\0', i - start) != NULL
		|| i - start >= sizeof(item)) {
	    return Fail(err, errLen, "bad port \"%s\"",
		    Quote(text + start, i - start, q, sizeof(q)));
	}
	memcpy(item, text + start, i - start);
	item[i - start] = '\0';
	if (ParsePortItem(ports, item, err, errLen) < 0) {
	    return -1;
	}
	if (i == len) {
	    return 0;
	}
	i++;			/* The comma. */
	if (i == len) {
	    return Fail(err, errLen, "bad port list \"%s\": an empty item",
		    Quote(text, len, q, sizeof(q)));
	}
    }
}
