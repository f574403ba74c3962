/*
 * acl_probe.c --
 *
 *	The allow and deny lists of sockchan listen and serve (cli/ncat.c)
 *	asked about addresses no loopback listener of sockchan can produce:
 *	IPv4-mapped IPv6 peers (sockchan's IPv6 listeners are IPV6_V6ONLY).
 *	tests/cli_flags.sh runs it.
 *
 *	Usage: acl_probe [--allow|--deny|--allowfile|--denyfile VALUE]...
 *	       -- ADDRESS...
 *	prints "ADDRESS allowed" or "ADDRESS refused: WHY" for each.
 */

#include "cli.h"

#include <stdio.h>
#include <string.h>

int
main(int argc, char **argv)
{
    cli_acl *acl = NULL;
    const char *why;
    int i = 1;

    while (i + 1 < argc && strcmp(argv[i], "--") != 0) {
	cli_acl_add(&acl, "listen", argv[i], argv[i + 1]);
	i += 2;
    }
    if (i >= argc || strcmp(argv[i], "--") != 0) {
	fprintf(stderr, "usage: acl_probe [OPTION VALUE]... -- ADDRESS...\n");
	return 2;
    }
    cli_acl_resolve(acl, "listen", 0);
    for (i++; i < argc; i++) {
	why = cli_acl_check(acl, argv[i]);
	if (why == NULL) {
	    printf("%s allowed\n", argv[i]);
	} else {
	    printf("%s refused: %s\n", argv[i], why);
	}
    }
    cli_acl_free(acl);
    return 0;
}
