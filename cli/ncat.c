/*
 * ncat.c --
 *
 *	What ncat's and nmap's users type, where sockchan differs from the
 *	rest of the command: the allow and deny lists of a listener, and the
 *	ncat and nmap flags sockchan lacks, each refused with the reason
 *	(sockchan(1), NCAT AND NMAP EQUIVALENTS).
 */

#include "cli.h"
#include "targets.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/*
 *----------------------------------------------------------------------
 *
 * Flags refused.
 *
 *----------------------------------------------------------------------
 */

static const struct {
    const char *name;		/* The long name, or NULL. */
    int letter;			/* The short one, or 0. */
    const char *what, *why;
} refused[] = {
    {"udp", 'u', "UDP", "sockchan speaks only TCP and Unix stream sockets"},
    {"sctp", 0, "SCTP", "sockchan speaks only TCP and Unix stream sockets"},
    {"vsock", 0, "vsock", "sockchan speaks only TCP and Unix stream sockets"},
    {"unixsock", 'U', "Unix sockets", "use sockchan unix connect|listen "
	    "PATH"},
    {"listen", 'l', "listen mode", "use sockchan listen [options] PORT"},
    {"source-port", 'p', "source port", "use --myport PORT to connect "
	    "from a port; sockchan listen takes its PORT as an argument"},
    {"source", 's', "source address", "use --myaddr ADDR"},
    {NULL, 'z', "zero-I/O mode", "use sockchan scan -p PORT HOST for a "
	    "port's state"},
    {"telnet", 't', "Telnet negotiation", "not supported"},
    {NULL, 'g', "loose source routing", "not supported (and dropped by "
	    "most networks)"},
    {NULL, 'G', "loose source routing", "not supported (and dropped by "
	    "most networks)"},
    {"delay", 'd', "line delay", "not supported"},
    {"output", 'o', "session dump", "not supported: pipe through tee"},
    {"hex-dump", 'x', "hex dump", "not supported: pipe through od or "
	    "xxd"},
    {"append-output", 0, "session dump", "not supported"},
    {"broker", 0, "connection brokering", "not supported"},
    {"chat", 0, "chat server", "not supported"},
    {"talk", 0, "chat server", "not supported"},
    {"proxy", 0, "proxy", "proxies are not supported"},
    {"proxy-type", 0, "proxy", "proxies are not supported"},
    {"proxy-auth", 0, "proxy", "proxies are not supported"},
    {"proxy-dns", 0, "proxy", "proxies are not supported"},
    {"lua-exec", 0, "Lua", "not supported: use -e PROG or -c CMD"},
    {NULL, 'q', "quit after", "not supported: see END OF INPUT in "
	    "sockchan(1)"},
    {"nsock-engine", 0, "nsock engine", "sockchan has its own event loop"},
    {"version", 0, "version", "use sockchan --version"},
};

void
cli_refuse_ncat(const char *command, const char *arg, int letter)
{
    size_t i, len;

    if (arg == NULL) {
	return;
    }
    len = strcspn(arg + 2, "=");
    for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
	if (letter != 0 ? refused[i].letter == letter
		: arg[0] == '-' && arg[1] == '-' && refused[i].name != NULL
		&& strlen(refused[i].name) == len
		&& strncmp(arg + 2, refused[i].name, len) == 0) {
	    char shown[64];

	    if (letter != 0) {
		snprintf(shown, sizeof(shown), "-%c", letter);
	    } else {
		snprintf(shown, sizeof(shown), "--%.*s", (int) len, arg + 2);
	    }
	    cli_usage(command, "ncat's \"%s\" (%s) is refused: %s", shown,
		    refused[i].what, refused[i].why);
	}
    }
}

/* nmap's flags that sockchan scan lacks (cli_refuse_nmap). */
static const struct {
    const char *name;
    const char *why;
} nmapRefused[] = {
    {"-O", "no OS detection: sockchan only connects"},
    {"-A", "no OS, version or script scans: sockchan only connects"},
    {"-sC", "no scripts: sockchan only connects"},
    {"--script", "no scripts: sockchan only connects"},
    {"--version-intensity", "no version detection: sockchan only connects"},
    {"--traceroute", "no traceroute: sockchan only connects"},
    {"-R", "no name lookups of the addresses found (none is ever made)"},
    {"--dns-servers", "sockchan looks names up with the system's resolver"},
    {"-D", "no decoys: a connect() scan comes from this host only"},
    {"-S", "no spoofed source: a connect() scan needs the replies"},
    {"-e", "no interface choice: the routing table decides"},
    {"-g", "no source port: each connect() gets its own"},
    {"--source-port", "no source port: each connect() gets its own"},
    {"-f", "no fragmentation: the kernel builds the packets"},
    {"--mtu", "no fragmentation: the kernel builds the packets"},
    {"--data-length", "the kernel builds the packets"},
    {"--ttl", "the kernel builds the packets"},
    {"--spoof-mac", "the kernel builds the packets"},
    {"--badsum", "the kernel builds the packets"},
    {"-iR", "no random targets"},
    {"-oS", "no script kiddie output"},
    {"--resume", "an interrupted scan is not resumed; scan again"},
    {"--scan-delay", "use --max-rate N"},
    {"--max-scan-delay", "use --max-rate N"},
    {"--min-rtt-timeout", "timeouts are fixed: --timeout MS"},
    {"--initial-rtt-timeout", "timeouts are fixed: --timeout MS"},
    {"--min-parallelism", "use --concurrency N"},
    {"--min-hostgroup", "use --concurrency N"},
    {"--max-hostgroup", "use --concurrency N"},
    {"--packet-trace", "use -v for the scan's counts"},
    {"--privileged", "sockchan needs no privileges"},
};

void
cli_refuse_nmap(const char *arg)
{
    size_t i, len = strcspn(arg, "=");

    for (i = 0; i < sizeof(nmapRefused) / sizeof(nmapRefused[0]); i++) {
	if (strlen(nmapRefused[i].name) == len
		&& strncmp(arg, nmapRefused[i].name, len) == 0) {
	    cli_usage("scan", "nmap's \"%.*s\" is refused: %s", (int) len,
		    arg, nmapRefused[i].why);
	}
    }
}

/*
 *----------------------------------------------------------------------
 *
 * Allow and deny lists.
 *
 *----------------------------------------------------------------------
 */

struct cli_acl {
    cli_targets allow, deny;
    int hasAllow;		/* --allow or --allowfile was given (an
				 * empty file still allows no one). */
};

#define ACL_FILE_MAX (16L * 1024 * 1024)

/* A whole file as a string (malloc'ed), or exit 2. */
static char *
ReadFile(const char *command, const char *option, const char *path,
	size_t *lenPtr)
{
    FILE *f = fopen(path, "r");
    char *text;
    size_t len;

    if (f == NULL) {
	cli_usage(command, "couldn't open \"%s\" for %s: %s", path, option,
		sc_errno_msg(errno));
    }
    text = malloc(ACL_FILE_MAX + 1);
    if (text == NULL) {
	cli_die(EXIT_NET, "out of memory");
    }
    len = fread(text, 1, ACL_FILE_MAX + 1, f);
    if (ferror(f)) {
	cli_usage(command, "error reading \"%s\" for %s: %s", path, option,
		sc_errno_msg(errno));
    }
    fclose(f);
    if (len > ACL_FILE_MAX) {
	cli_usage(command, "\"%s\" for %s: too large (at most %ld bytes)",
		path, option, ACL_FILE_MAX);
    }
    *lenPtr = len;
    return text;
}

void
cli_acl_add(cli_acl **aclPtr, const char *command, const char *option,
	const char *value)
{
    cli_acl *acl = *aclPtr;
    int deny = strstr(option, "deny") != NULL;
    int file = strstr(option, "file") != NULL;
    cli_targets *list;
    char err[CLI_ERR_LEN];
    size_t before, len;
    char *text;
    int r;

    if (acl == NULL) {
	acl = *aclPtr = calloc(1, sizeof(*acl));
	if (acl == NULL) {
	    cli_die(EXIT_NET, "out of memory");
	}
    }
    list = deny ? &acl->deny : &acl->allow;
    acl->hasAllow |= !deny;
    before = list->count;
    if (file) {
	text = ReadFile(command, option, value, &len);
	r = cli_targets_parse(list, text, len, err, sizeof(err));
	free(text);
    } else {
	r = cli_targets_parse(list, value, strlen(value), err, sizeof(err));
	if (r == 0 && list->count == before) {
	    cli_usage(command, "bad value \"%s\" for %s: should be "
		    "addresses, CIDR blocks or names, separated by commas",
		    value, option);
	}
    }
    if (r < 0) {
	cli_usage(command, "in %s: %s", option, err);
    }
}

/* IPv4-mapped IPv6 (::ffff:a.b.c.d)? */
static int
Mapped(const unsigned char *a)
{
    static const unsigned char prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0xff, 0xff};

    return memcmp(a, prefix, sizeof(prefix)) == 0;
}

/* A rule inside ::ffff:0:0/96 becomes the IPv4 rule it stands for. */
static void
Unmap(cli_targets *list)
{
    size_t i;

    for (i = 0; i < list->count; i++) {
	cli_target *t = &list->items[i];

	if (t->family == AF_INET6 && Mapped(t->first) && Mapped(t->last)) {
	    t->family = AF_INET;
	    memmove(t->first, t->first + 12, 4);
	    memmove(t->last, t->last + 12, 4);
	    memset(t->first + 4, 0, 12);
	    memset(t->last + 4, 0, 12);
	}
    }
}

void
cli_acl_resolve(cli_acl *acl, const char *command, int noNames)
{
    char err[CLI_ERR_LEN];
    size_t i;

    if (acl == NULL) {
	return;
    }
    for (i = 0; noNames && i < acl->allow.count + acl->deny.count; i++) {
	const cli_target *t = i < acl->allow.count ? &acl->allow.items[i]
		: &acl->deny.items[i - acl->allow.count];

	if (t->family == 0) {
	    cli_usage(command, "-n: \"%s\" in --%s is not an IP address",
		    t->name, i < acl->allow.count ? "allow" : "deny");
	}
    }
    if (cli_targets_resolve(&acl->allow, 0, err, sizeof(err)) < 0
	    || cli_targets_resolve(&acl->deny, 0, err, sizeof(err)) < 0) {
	cli_usage(command, "in --allow or --deny: %s", err);
    }
    Unmap(&acl->allow);
    Unmap(&acl->deny);
}

/* Is the address (family, bytes) in one of list's blocks? */
static int
Contains(const cli_targets *list, int family, const unsigned char *a)
{
    size_t i, n = family == AF_INET ? 4 : 16;

    for (i = 0; i < list->count; i++) {
	const cli_target *t = &list->items[i];

	if (t->family == family && memcmp(t->first, a, n) <= 0
		&& memcmp(a, t->last, n) <= 0) {
	    return 1;
	}
    }
    return 0;
}

const char *
cli_acl_check(const cli_acl *acl, const char *address)
{
    unsigned char a[16];
    char text[64];
    int family = AF_INET;

    if (acl == NULL) {
	return NULL;
    }
    snprintf(text, sizeof(text), "%s", address);
    text[strcspn(text, "%")] = '\0';	/* A zone is not matched. */
    memset(a, 0, sizeof(a));
    if (inet_pton(AF_INET, text, a) != 1) {
	family = AF_INET6;
	if (inet_pton(AF_INET6, text, a) != 1) {
	    return "not an IP address";
	}
	if (Mapped(a)) {
	    family = AF_INET;
	    memmove(a, a + 12, 4);
	}
    }
    /* As ncat 7.93 does (its manual says otherwise): outside the allow
     * list, or inside the deny list, is refused. */
    if (acl->hasAllow && !Contains(&acl->allow, family, a)) {
	return "not allowed";
    }
    if (Contains(&acl->deny, family, a)) {
	return "denied";
    }
    return NULL;
}

void
cli_acl_free(cli_acl *acl)
{
    if (acl != NULL) {
	cli_targets_free(&acl->allow);
	cli_targets_free(&acl->deny);
	free(acl);
    }
}
