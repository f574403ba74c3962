/*
 * main.c --
 *
 *	The sockchan command: netcat-style connect and listen over TCP and
 *	Unix sockets, the seed services, and a port scanner. See sockchan(1).
 */

#include "cli.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>

static const char usage[] =
"usage: sockchan COMMAND [options] [arguments]\n"
"\n"
"Tcl's socket model on the command line.\n"
"\n"
"Commands:\n"
"  connect HOST PORT      connect over TCP and relay stdin and stdout\n"
"  listen PORT            accept TCP connections and relay, echo or exec\n"
"  unix listen|connect PATH\n"
"                         the same over Unix-domain sockets\n"
"  serve time|echo [PORT] the time server of socket(n), or an echo server\n"
"  scan TARGET... -p PORTS\n"
"                         an asynchronous TCP connect scanner\n"
"\n"
"connect, listen, unix and serve speak TLS with --ssl (ncat's --ssl-*\n"
"options; a client verifies the server by default).\n"
"\n"
"Options:\n"
"  -h, --help             this text; sockchan COMMAND --help for a command\n"
"  --version              the version\n"
"\n"
"Exit status: 0 success, 1 the network said no (refused, timed out, host\n"
"not found) or stdout could not be written, 2 bad usage or bad input,\n"
"130 interrupted.\n"
"See sockchan(1) for more.\n";

int
main(int argc, char **argv)
{
    static const struct {
	const char *name;
	int (*proc)(int argc, char **argv);
    } commands[] = {
	{"connect", cmd_connect},
	{"listen", cmd_listen},
	{"unix", cmd_unix},
	{"serve", cmd_serve},
	{"scan", cmd_scan},
    };
    size_t i;
    int fd;

    /* Descriptors 0-2 closed by the caller would be reused by our own
     * (a socket as "stdout"): hold them with /dev/null. */
    for (fd = 0; fd < 3; fd++) {
	if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) < 0) {
	    return EXIT_NET;
	}
    }
    cli_check_stdout_at_exit();
    if (argc < 2) {
	fputs(usage, stderr);
	return EXIT_USAGE;
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0
	    || strcmp(argv[1], "help") == 0) {
	fputs(usage, stdout);
	return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
	printf("sockchan %s\n", sc_version());
	return 0;
    }
    for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
	if (strcmp(argv[1], commands[i].name) == 0) {
	    int status = commands[i].proc(argc - 1, argv + 1);

	    /* Output that never arrived is a failure. */
	    return cli_check_stdout() < 0 && status == 0 ? EXIT_NET : status;
	}
    }
    cli_usage(NULL, "unknown command \"%s\": should be connect, listen, "
	    "unix, serve or scan", argv[1]);
}
