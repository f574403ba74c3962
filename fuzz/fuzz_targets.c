/*
 * fuzz_targets.c --
 *
 *	The command's parsers: targets (cli_targets_parse, then
 *	cli_targets_expand with an exclude list), port lists
 *	(cli_ports_parse), and the endpoint parts: ports (cli_port,
 *	cli_number, the library's sc__parse_port), numeric hosts
 *	(sc__host_is_numeric) and Unix socket names (sc__unix_address).
 *	Nothing here resolves a name: cli_targets_resolve is not called (a
 *	name is left out of the expansion instead), and the only lookups are
 *	of service names in the services database (a file).
 *
 *	Input: up to three parts separated by NUL bytes: the targets, the
 *	excluded targets, the ports. Every part also goes through each
 *	endpoint parser. Checked: results are well formed (expansion
 *	sorted, without duplicates, within the include blocks and outside
 *	the exclude blocks, no more than the limit; port sets agree with
 *	their count and listing; formatted addresses read back; errors carry
 *	a message).
 */

#include "cli.h"
#include "targets.h"
#include "core/sock.h"
#include "fuzz_common.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_HOSTS 512

static size_t
AddrLen(int family)
{
    return family == AF_INET ? 4 : 16;
}

/* Order of the expansion: IPv4 first, then by address. */
static int
HostCompare(const cli_host *a, const cli_host *b)
{
    int c;

    if (a->family != b->family) {
	return a->family == AF_INET ? -1 : 1;
    }
    c = memcmp(a->addr, b->addr, AddrLen(a->family));
    if (c == 0 && a->scope != b->scope) {
	c = a->scope < b->scope ? -1 : 1;
    }
    return c;
}

static int
InBlock(const cli_host *h, const cli_target *t)
{
    size_t n = AddrLen(h->family);

    return t->family == h->family && memcmp(t->first, h->addr, n) <= 0
	    && memcmp(h->addr, t->last, n) <= 0;
}

static int
InList(const cli_host *h, const cli_targets *list)
{
    size_t i;

    for (i = 0; i < list->count; i++) {
	if (InBlock(h, &list->items[i])) {
	    return 1;
	}
    }
    return 0;
}

/* Drop the names (they would need a resolver). */
static void
DropNames(cli_targets *list)
{
    size_t i, j = 0;

    for (i = 0; i < list->count; i++) {
	if (list->items[i].family == 0) {
	    free(list->items[i].name);
	} else {
	    list->items[j++] = list->items[i];
	}
    }
    list->count = j;
}

static void
Targets(const char *inc, size_t incLen, const char *exc, size_t excLen)
{
    cli_targets include = CLI_TARGETS_INIT, exclude = CLI_TARGETS_INIT;
    cli_host *hosts = NULL;
    size_t count = 0, i;
    char err[CLI_ERR_LEN];
    int r;

    err[0] = '\0';
    if (cli_targets_parse(&include, inc, incLen, err, sizeof(err)) < 0) {
	FUZZ_CHECK(err[0] != '\0', "parse failed without a message");
    }
    for (i = 0; i < include.count; i++) {
	const cli_target *t = &include.items[i];

	FUZZ_CHECK(t->family == 0 || t->family == AF_INET
		|| t->family == AF_INET6, "family %d", t->family);
	FUZZ_CHECK(t->family != 0 || t->name != NULL, "a name without name");
	FUZZ_CHECK(t->family == 0 || memcmp(t->first, t->last,
		AddrLen(t->family)) <= 0, "a block ends before it starts");
    }
    err[0] = '\0';
    if (cli_targets_parse(&exclude, exc, excLen, err, sizeof(err)) < 0) {
	FUZZ_CHECK(err[0] != '\0', "parse failed without a message");
    }
    DropNames(&include);
    DropNames(&exclude);

    err[0] = '\0';
    r = cli_targets_expand(&include, &exclude, MAX_HOSTS, &hosts, &count,
	    err, sizeof(err));
    if (r < 0) {
	FUZZ_CHECK(err[0] != '\0', "expand failed without a message");
    } else {
	FUZZ_CHECK(count <= MAX_HOSTS, "%zu hosts", count);
	FUZZ_CHECK((count == 0) == (hosts == NULL), "hosts and count");
	for (i = 0; i < count; i++) {
	    const cli_host *h = &hosts[i];
	    char text[CLI_HOST_LEN], *zone;
	    unsigned char back[16];

	    FUZZ_CHECK(i == 0 || HostCompare(&hosts[i - 1], h) < 0,
		    "expansion not sorted or with a duplicate at %zu", i);
	    FUZZ_CHECK(InList(h, &include), "host %zu outside the blocks", i);
	    FUZZ_CHECK(!InList(h, &exclude), "host %zu is excluded", i);
	    if (i < 64) {
		cli_host_format(h, text, sizeof(text));
		zone = strchr(text, '%');
		FUZZ_CHECK((zone != NULL) == (h->scope != 0),
			"zone shown as %s", text);
		if (zone != NULL) {
		    *zone = '\0';
		}
		FUZZ_CHECK(inet_pton(h->family, text, back) == 1
			&& memcmp(back, h->addr, AddrLen(h->family)) == 0,
			"formatted as %s", text);
	    }
	}
    }
    free(hosts);
    cli_targets_free(&include);
    cli_targets_free(&exclude);
    FUZZ_CHECK(include.count == 0, "free left items");
}

static void
Ports(const char *text, size_t len)
{
    static cli_ports ports, other;
    static uint16_t list[65536];
    char err[CLI_ERR_LEN];
    size_t n, i;
    unsigned before;

    cli_ports_init(&ports);
    err[0] = '\0';
    if (cli_ports_parse(&ports, text, len, err, sizeof(err)) < 0) {
	FUZZ_CHECK(err[0] != '\0', "ports: failed without a message");
    }
    FUZZ_CHECK(!cli_ports_has(&ports, 0), "port 0 in the set");
    n = cli_ports_list(&ports, list);
    FUZZ_CHECK(n == ports.count, "list %zu, count %u", n, ports.count);
    /* All of a small set; of a big one (1024-, "-"), both ends. */
    for (i = 0; i < n; i = (n > 512 && i == 255) ? n - 256 : i + 1) {
	FUZZ_CHECK(list[i] >= 1 && (i == 0 || list[i - 1] < list[i]),
		"listing not ascending at %zu", i);
	FUZZ_CHECK(cli_ports_has(&ports, list[i]), "listed, not in the set");
    }
    /* Taking the default ports out and putting them back in. */
    cli_ports_init(&other);
    cli_ports_add_default(&other);
    before = ports.count;
    cli_ports_remove(&ports, &other);
    FUZZ_CHECK(ports.count <= before, "remove grew the set");
    cli_ports_add_default(&ports);
    FUZZ_CHECK(ports.count >= other.count, "defaults missing");
}

static void
Endpoint(const char *s, size_t len)
{
    struct sc__err err;
    struct sockaddr_un sun;
    socklen_t sunLen = 0;
    long n;
    int port = -1, r;

    if (strlen(s) == len) {
	n = cli_number(s, 65535);	/* -2: all digits, too large */
	FUZZ_CHECK(n >= -2 && n <= 65535, "cli_number %ld", n);
	FUZZ_CHECK(n != -2 || strspn(s, "0123456789") == len,
		"cli_number -2 for \"%s\"", s);
	r = cli_port(s);
	FUZZ_CHECK(r >= -1 && r <= 65535, "cli_port %d", r);
	memset(&err, 0, sizeof(err));
	if (sc__parse_port(s, &port, &err) == 0) {
	    FUZZ_CHECK(port >= 0 && port <= 65535, "sc__parse_port %d", port);
	} else {
	    FUZZ_CHECK(err.code != 0 || err.text[0] != '\0',
		    "sc__parse_port failed without a reason");
	}
	(void) sc__host_is_numeric(s);
    }
    memset(&err, 0, sizeof(err));
    memset(&sun, 0, sizeof(sun));
    if (sc__unix_address(s, len, &sun, &sunLen, &err) == 0) {
	FUZZ_CHECK(sunLen > offsetof(struct sockaddr_un, sun_path)
		&& sunLen <= sizeof(sun), "unix address length %u",
		(unsigned) sunLen);
	FUZZ_CHECK(sun.sun_family == AF_UNIX, "unix address family");
    } else {
	FUZZ_CHECK(err.code != 0 || err.text[0] != '\0',
		"sc__unix_address failed without a reason");
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = malloc(size + 1);
    char *part[3] = {NULL, NULL, NULL};
    size_t len[3] = {0, 0, 0}, i, start = 0;
    int k = 0;

    FUZZ_CHECK(copy != NULL, "out of memory");
    memcpy(copy, data, size);
    copy[size] = '\0';
    for (i = 0; i <= size && k < 3; i++) {
	if (i == size || copy[i] == '\0') {
	    part[k] = copy + start;
	    len[k++] = i - start;
	    start = i + 1;
	}
    }
    if (k < 3 && start <= size) {
	/* Fewer than three parts: the rest are empty. */
    }
    for (i = (size_t) k; i < 3; i++) {
	part[i] = copy + size;
	len[i] = 0;
    }
    /* The last part may hold NULs: the parsers must refuse them. */
    if (k == 3 && start <= size) {
	len[2] = size - (size_t) (part[2] - copy);
    }
    Targets(part[0], len[0], part[1], len[1]);
    Ports(part[2], len[2]);
    for (i = 0; i < 3; i++) {
	Endpoint(part[i], len[i]);
    }
    free(copy);
    return 0;
}
