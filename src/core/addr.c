/*
 * addr.c --
 *
 *	Hosts, services and addresses: port numbers and service names,
 *	resolving (numeric hosts without a resolver), formatting, and Tcl's
 *	words for the errors.
 */

#include "core/sock.h"
#include "core/sys.h"
#include "sockchan.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
sc__err_set(struct sc__err *err, int code)
{
    err->code = code;
    snprintf(err->text, sizeof(err->text), "%s", sc_errno_msg(code));
}

static void
ErrText(struct sc__err *err, int code, const char *text)
{
    err->code = code;
    snprintf(err->text, sizeof(err->text), "%s", text);
}

/*
 *----------------------------------------------------------------------
 *
 * sc__parse_port --
 *
 *	A port is an integer in Tcl's syntax (decimal, 0x hex, 0o octal) or
 *	a service name from the services database.
 *
 *----------------------------------------------------------------------
 */

int
sc__parse_int(const char *text, long *value)
{
    const char *p = text;
    int neg = 0, base = 10;
    unsigned long u;
    char *end;

    while (isspace((unsigned char) *p)) {
	p++;
    }
    if (*p == '+' || *p == '-') {
	neg = (*p++ == '-');
    }
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
	base = 16, p += 2;
    } else if (p[0] == '0' && (p[1] == 'o' || p[1] == 'O')) {
	base = 8, p += 2;
    } else if (p[0] == '0' && (p[1] == 'b' || p[1] == 'B')) {
	base = 2, p += 2;
    } else if (p[0] == '0') {
	base = 8;
    }
    if (!isxdigit((unsigned char) *p)) {
	return -1;		/* No digit: "", "-", "0x", "0o" ... */
    }
    errno = 0;
    u = strtoul(p, &end, base);
    if (end == p) {
	return -1;
    }
    while (isspace((unsigned char) *end)) {
	end++;
    }
    if (*end != '\0') {
	return -1;
    }
    if (errno == ERANGE || u > LONG_MAX) {
	return -2;
    }
    *value = neg ? -(long) u : (long) u;
    return 0;
}

int
sc__parse_port(const char *service, int *port, struct sc__err *err)
{
    long n = 0;
    int r;

    if (service == NULL) {
	ErrText(err, EINVAL, "no port given");
	return -1;
    }
    r = sc__parse_int(service, &n);
    if (r != -1) {
	if (r == -2 || n > 0xffff) {
	    ErrText(err, EINVAL, "port number too high");
	    return -1;
	}
	if (n < 0) {
	    ErrText(err, EINVAL, "invalid port number");
	    return -1;
	}
	*port = (int) n;
	return 0;
    }
    {
	struct servent se, *result = NULL;
	char buf[1024];

	if (service[0] != '\0'
		&& getservbyname_r(service, "tcp", &se, buf, sizeof(buf),
		    &result) == 0 && result != NULL) {
	    *port = ntohs((uint16_t) result->s_port);
	    return 0;
	}
    }
    err->code = EINVAL;
    snprintf(err->text, sizeof(err->text), "expected integer but got \"%.100s\"",
	    service);
    return -1;
}

int
sc__host_is_numeric(const char *host)
{
    unsigned char buf[sizeof(struct in6_addr)];

    return host == NULL || inet_pton(AF_INET, host, buf) == 1
	    || inet_pton(AF_INET6, host, buf) == 1;
}

/*
 *----------------------------------------------------------------------
 *
 * sc__resolve --
 *
 *	See sock.h.
 *
 *----------------------------------------------------------------------
 */

int
sc__resolve(const char *host, int port, int family, int passive,
	struct addrinfo **res, struct sc__err *err)
{
    struct addrinfo hints, *list = NULL;
    char service[16];
    int r;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = family == SC__FAMILY_INET ? AF_INET
	    : family == SC__FAMILY_INET6 ? AF_INET6 : AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0)
	    | (host != NULL && sc__host_is_numeric(host) ? AI_NUMERICHOST : 0);
    snprintf(service, sizeof(service), "%d", port);
    r = sc__getaddrinfo(host, service, &hints, &list);
    if (r != 0) {
	if (r == EAI_SYSTEM) {
	    sc__err_set(err, errno);
	} else {
	    ErrText(err, 0, gai_strerror(r));
	}
	return -1;
    }
    if (passive) {
	/* IPv4 first, as Tcl lists a server's sockets. */
	struct addrinfo *v4 = NULL, **v4Tail = &v4, *other = NULL,
		**otherTail = &other, *ai, *next;

	for (ai = list; ai != NULL; ai = next) {
	    next = ai->ai_next;
	    ai->ai_next = NULL;
	    if (ai->ai_family == AF_INET) {
		*v4Tail = ai;
		v4Tail = &ai->ai_next;
	    } else {
		*otherTail = ai;
		otherTail = &ai->ai_next;
	    }
	}
	*v4Tail = other;
	list = v4;
    }
    *res = list;
    return 0;
}

int
sc__resolve_pair(const char *host, int port, const char *myaddr, int myport,
	int family, struct addrinfo **remote, struct addrinfo **local,
	struct sc__err *err)
{
    *remote = *local = NULL;
    if (sc__resolve(host, port, family, 0, remote, err) < 0) {
	return -1;
    }
    if ((myaddr != NULL || myport != 0)
	    && sc__resolve(myaddr, myport, family, 1, local, err) < 0) {
	sc__freeaddrinfo(*remote);
	*remote = NULL;
	return -1;
    }
    return 0;
}

void
sc__addr_numeric(const struct sockaddr *sa, socklen_t len, char *host,
	size_t hostSize, int *port)
{
    char serv[16];

    if (getnameinfo(sa, len, host, (socklen_t) hostSize, serv, sizeof(serv),
	    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
	snprintf(host, hostSize, "?");
	*port = 0;
	return;
    }
    *port = atoi(serv);
}

int
sc__addr_names(const struct sockaddr *sa, socklen_t len, int reverse,
	struct sc__names *names)
{
    int port;

    names->host[0] = names->port[0] = '\0';
    if (sa->sa_family == AF_UNIX) {
	sc__unix_name((const struct sockaddr_un *) (const void *) sa, len,
		names->addr, sizeof(names->addr));
	return 1;
    }
    sc__addr_numeric(sa, len, names->addr, sizeof(names->addr), &port);
    snprintf(names->port, sizeof(names->port), "%d", port);
    if (!reverse || strcmp(names->addr, "0.0.0.0") == 0
	    || strcmp(names->addr, "::") == 0
	    || strcmp(names->addr, "::ffff:0.0.0.0") == 0
	    || getnameinfo(sa, len, names->host, sizeof(names->host), NULL, 0,
		    NI_NAMEREQD) != 0) {
	snprintf(names->host, sizeof(names->host), "%s", names->addr);
    }
    return 3;
}
