/*
 * test_addr.c --
 *
 *	Ports, hosts and addresses (src/core/addr.c).
 */

#include "harness.h"
#include "core/sock.h"
#include "core/sys.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <string.h>

static void
ports(void **state)
{
    static const struct {
	const char *text;
	int port;
	const char *error;
    } cases[] = {
	{"0", 0, NULL},
	{"80", 80, NULL},
	{" 8080 ", 8080, NULL},
	{"0x50", 80, NULL},
	{"0o120", 80, NULL},
	{"65535", 65535, NULL},
	{"http", 80, NULL},
	{"65536", 0, "port number too high"},
	{"99999999999999999999", 0, "port number too high"},
	{"-1", 0, "invalid port number"},
	{"abc", 0, "expected integer but got \"abc\""},
	{"", 0, "expected integer but got \"\""},
	{"80x", 0, "expected integer but got \"80x\""},
	{"0o", 0, "expected integer but got \"0o\""},
	{"0x", 0, "expected integer but got \"0x\""},
	{"0b1010000", 80, NULL},
	{"+80", 80, NULL},
	{"0120", 80, NULL},	/* Tcl 8.6: a leading 0 is octal. */
    };
    size_t i;

    (void) state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
	struct sc__err err;
	int port = -7, r = sc__parse_port(cases[i].text, &port, &err);

	if (cases[i].error == NULL) {
	    if (r != 0) {
		fail_msg("\"%s\": %s", cases[i].text, err.text);
	    }
	    assert_int_equal(port, cases[i].port);
	} else {
	    assert_int_equal(r, -1);
	    assert_string_equal(err.text, cases[i].error);
	}
    }
}

static void
numeric_hosts(void **state)
{
    (void) state;
    assert_true(sc__host_is_numeric(NULL));
    assert_true(sc__host_is_numeric("127.0.0.1"));
    assert_true(sc__host_is_numeric("::1"));
    assert_true(sc__host_is_numeric("fe80::1"));
    assert_false(sc__host_is_numeric("localhost"));
    assert_false(sc__host_is_numeric("127.0.0.1.nip.io"));
    assert_false(sc__host_is_numeric(""));
}

/* Numeric hosts resolve without a resolver: getaddrinfo is told so. */
static int lastFlags;
static int (*realGai)(const char *, const char *, const struct addrinfo *,
	struct addrinfo **);

static int
SpyGai(const char *node, const char *service, const struct addrinfo *hints,
	struct addrinfo **res)
{
    lastFlags = hints->ai_flags;
    return realGai(node, service, hints, res);
}

static void
resolve_numeric_and_passive(void **state)
{
    struct addrinfo *list, *ai;
    struct sc__err err;
    int n = 0, sawV6 = 0;

    (void) state;
    realGai = sc__sys.getaddrinfo;
    sc__sys.getaddrinfo = SpyGai;
    assert_int_equal(sc__resolve("::1", 80, SC__FAMILY_ANY, 0, &list, &err),
	    0);
    assert_true(lastFlags & AI_NUMERICHOST);
    assert_int_equal(list->ai_family, AF_INET6);
    sc__freeaddrinfo(list);

    /* The wildcards of a server: IPv4 first, then IPv6. */
    assert_int_equal(sc__resolve(NULL, 0, SC__FAMILY_ANY, 1, &list, &err), 0);
    assert_true(lastFlags & AI_PASSIVE);
    for (ai = list; ai != NULL; ai = ai->ai_next, n++) {
	if (ai->ai_family == AF_INET6) {
	    sawV6 = 1;
	} else {
	    assert_false(sawV6);	/* No IPv4 after an IPv6. */
	}
    }
    assert_true(n >= 1);
    sc__freeaddrinfo(list);

    /* A family restriction. */
    assert_int_equal(sc__resolve("127.0.0.1", 1, SC__FAMILY_INET6, 0, &list,
	    &err), -1);
    assert_int_equal(err.code, 0);		/* A resolver's text... */
    assert_true(strlen(err.text) > 0);	/* ...which says something. */
    sc__sys.getaddrinfo = realGai;
}

static void
resolver_failures_in_its_words(void **state)
{
    struct addrinfo *list = NULL;
    struct sc__err err;

    (void) state;
    sc__fault_set(SC_SYS_GETADDRINFO, 1, 1, ENOMEM);
    assert_int_equal(sc__resolve("127.0.0.1", 1, SC__FAMILY_ANY, 0, &list,
	    &err), -1);
    sc__fault_clear();
    assert_int_equal(err.code, ENOMEM);
    assert_string_equal(err.text, "not enough memory");
    assert_null(list);
}

static void
numeric_formatting(void **state)
{
    struct sockaddr_in sin;
    struct sockaddr_in6 sin6;
    char host[64];
    int port;

    (void) state;
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons(4242);
    inet_pton(AF_INET, "127.0.0.9", &sin.sin_addr);
    sc__addr_numeric((struct sockaddr *) &sin, sizeof(sin), host,
	    sizeof(host), &port);
    assert_string_equal(host, "127.0.0.9");
    assert_int_equal(port, 4242);
    memset(&sin6, 0, sizeof(sin6));
    sin6.sin6_family = AF_INET6;
    sin6.sin6_port = htons(1);
    sin6.sin6_addr = in6addr_loopback;
    sc__addr_numeric((struct sockaddr *) &sin6, sizeof(sin6), host,
	    sizeof(host), &port);
    assert_string_equal(host, "::1");
    assert_int_equal(port, 1);
}

static const struct CMUnitTest tests[] = {
    SCT(ports),
    SCT(numeric_hosts),
    SCT(resolve_numeric_and_passive),
    SCT(resolver_failures_in_its_words),
    SCT(numeric_formatting),
};

SCT_MAIN(tests)
