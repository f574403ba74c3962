/*
 * targets.h --
 *
 *	The scanner's parsers: targets (names, addresses, CIDR blocks,
 *	ranges) and port lists. Kept apart from scan.c so that the fuzz
 *	targets can call them.
 *
 *	Conventions: every call that can fail returns 0 or -1 and, on -1,
 *	leaves one line saying what was wrong in the caller's buffer err
 *	(errLen bytes; CLI_ERR_LEN is enough), such as
 *	'bad CIDR block "10.0.0.0/33": the prefix should be 0 to 32'.
 *	Nothing here prints, exits or keeps global state. Text comes with
 *	its length and need not be NUL terminated (a NUL in it is an error).
 *	Only cli_targets_resolve() does I/O (name lookups), and
 *	cli_ports_parse() reads the services database for service names.
 */

#ifndef SC_CLI_TARGETS_H
#define SC_CLI_TARGETS_H

#include <stddef.h>
#include <stdint.h>

#define CLI_ERR_LEN 320		/* Room for any message below. */

/* --- Targets ------------------------------------------------------------- */

/*
 * One target as written: a block of consecutive addresses of one family
 * (a single address, a CIDR block, or a range), or a host name still to
 * be looked up (family 0). Addresses are in network order; an IPv4
 * address takes the first 4 bytes of the 16.
 */
typedef struct cli_target {
    int family;			/* AF_INET, AF_INET6, or 0 for a name. */
    int prefix;			/* A name's "/N", or -1 (block: unused). */
    unsigned char first[16];	/* First and last address of the block. */
    unsigned char last[16];
    unsigned scope;		/* An IPv6 zone ("%eth0"): the interface
				 * index, or 0 for none. */
    char *name;			/* The host name as written (malloc'ed,
				 * owned by the list), or NULL. It stays on
				 * the blocks a name resolved to. */
} cli_target;

/* A growable list of targets; start it zeroed (CLI_TARGETS_INIT). */
typedef struct cli_targets {
    cli_target *items;
    size_t count, cap;
} cli_targets;

#define CLI_TARGETS_INIT {NULL, 0, 0}

/*
 * Parse text (len bytes) and append its targets to list. Targets are
 * separated by commas, spaces, tabs or newlines; '#' starts a comment
 * that runs to the end of the line (so a file's contents parse too).
 * Each target is one of
 *	127.0.0.1   ::1   [::1]		an address
 *	127.0.0.0/24   ::1/128		a CIDR block (host bits are ignored)
 *	127.0.0.1-20   ::1-ff		a range of the last octet or group
 *	127.0.0.1-127.0.1.5		a range between two addresses
 *	fe80::1%eth0   fe80::/64%2	an IPv6 address, block or range with
 *					a zone: an interface name or index
 *	localhost   localhost/30	a host name (with a prefix to apply)
 * Returns 0, or -1 with a message; on -1 the targets before the bad one
 * are kept. Text without a target is not an error.
 */
int cli_targets_parse(cli_targets *list, const char *text, size_t len,
	char *err, size_t errLen);

/*
 * Replace every name in list by the blocks of the addresses it resolves
 * to (getaddrinfo; each address once, with the name's prefix applied).
 * family (AF_INET, AF_INET6, or 0 for both) keeps one family: a name
 * without an address of it, or an address of the other family, is an
 * error. Returns 0, or -1 with 'unknown host "x": ...' or such.
 */
int cli_targets_resolve(cli_targets *list, int family, char *err,
	size_t errLen);

/* Free what the list holds and leave it empty. */
void cli_targets_free(cli_targets *list);

/* One address to scan. */
typedef struct cli_host {
    int family;			/* AF_INET or AF_INET6. */
    unsigned char addr[16];	/* Network order; IPv4 in the first 4. */
    unsigned scope;		/* IPv6 zone (interface index), or 0. */
    const char *name;		/* The name it came from, or NULL: points
				 * into the include list's strings. */
} cli_host;

/*
 * Expand the blocks of include (resolved: no names left) into single
 * addresses, sorted (IPv4 first, then by address and zone) and without
 * duplicates, leaving out those in exclude's blocks (NULL: none). Fails
 * if they would be more than max before exclusion. On success,
 * *hostsPtr is a new array (the caller frees it; NULL when *countPtr is
 * 0) whose names stay valid while include does.
 */
int cli_targets_expand(const cli_targets *include,
	const cli_targets *exclude, size_t max, cli_host **hostsPtr,
	size_t *countPtr, char *err, size_t errLen);

/* Room for any host's address as text, a zone included. */
#define CLI_HOST_LEN (46 + 1 + 16)

/* Format a host's address ("127.0.0.1", "::1", "fe80::1%eth0") into buf
 * (CLI_HOST_LEN bytes). */
void cli_host_format(const cli_host *host, char *buf, size_t bufLen);

/* --- Ports --------------------------------------------------------------- */

/* A set of TCP ports 1-65535: a bitmap and its population. */
typedef struct cli_ports {
    unsigned char bits[65536 / 8];
    unsigned count;
} cli_ports;

/* Empty the set. */
void cli_ports_init(cli_ports *ports);

/*
 * Parse a port list (len bytes) and add its ports to the set. Items are
 * separated by commas:
 *	22   8000-8100   1024- (to 65535)   - (all: 1-65535)   http
 * A name is looked up in the services database (tcp); a range between
 * names is not supported, nor a range open at the start ("-100"), so
 * that "-1" reads as the bad port it looks like. Returns 0, or -1 with
 * 'bad port "70000": should be 1 to 65535', 'unknown service "x"', ...;
 * on -1 the set may hold some of the items.
 */
int cli_ports_parse(cli_ports *ports, const char *text, size_t len,
	char *err, size_t errLen);

/* Add the built-in list of the most common ports (a hundred or so). */
void cli_ports_add_default(cli_ports *ports);

/* Take the ports of other out of ports. */
void cli_ports_remove(cli_ports *ports, const cli_ports *other);

/* 1 if port is in the set, else 0. */
int cli_ports_has(const cli_ports *ports, unsigned port);

/* Write the set's ports in ascending order to out (room for count of
 * them); returns how many were written. */
size_t cli_ports_list(const cli_ports *ports, uint16_t *out);

#endif /* SC_CLI_TARGETS_H */
