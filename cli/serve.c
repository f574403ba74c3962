/*
 * serve.c --
 *
 *	sockchan serve time|echo: the seed services, many clients at once.
 *	time is the time server of Tcl's socket(n): two lines, the date and
 *	"N since start", then close. echo sends back everything until the
 *	client closes.
 */

#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char serveHelp[] =
"usage: sockchan serve time|echo [options] [PORT]\n"
"\n"
"Serve a seed service on PORT (default 0: the system chooses) on every\n"
"interface, or on a Unix-domain socket, to many clients at once, until\n"
"interrupted. Prints \"listening on ADDR PORT\" (or PATH) on stderr.\n"
"\n"
"  time                   the time server of Tcl's socket(n): the date,\n"
"                         then \"N since start\", then close\n"
"  echo                   everything a client sends comes back, until it\n"
"                         closes\n"
"\n"
"  --unix PATH            listen on a Unix-domain socket instead\n"
"  --myaddr ADDR          listen on this address only\n"
"  --allow HOST[,HOST...] only these clients (addresses, CIDR blocks, ranges,\n"
"                         names); others are closed at once; TCP only\n"
"  --deny HOST[,HOST...]  not these clients (deny wins over allow)\n"
"  --allowfile FILE, --denyfile FILE\n"
"                         the same from FILE (# starts a comment)\n"
"  -v, --verbose          \"connection from ADDR:PORT\" on stderr for each\n"
"                         client, and why one was denied\n"
"  --output-limit BYTES   echo: at most BYTES queued for a client that does\n"
"                         not read (default 64K); K, M, G suffixes\n"
"  --output-budget BYTES  echo: at most BYTES queued for all clients\n"
"                         (default 16M); past it, clients with output\n"
"                         waiting are not read until it drains\n"
"  --ssl                  serve over TLS; without --ssl-cert, with a\n"
"                         temporary self-signed certificate whose SHA-256\n"
"                         fingerprint is printed on stderr\n"
"  --ssl-cert FILE, --ssl-key FILE, --ssl-trustfile FILE, --ssl-alpn LIST,\n"
"  --ssl-ciphers LIST     as for sockchan listen\n"
"  -h, --help             this text\n";

static sc_loop *loop;
static time_t startTime;
static int stop = -1;
static cli_echo *echoService;
static sc_accept_proc *serviceProc;	/* AcceptTls, or serveProc. */
static const char *unixWhere;
static cli_acl *acl;
static int verbose;
static cli_tls tls;
static sc_accept_proc *serveProc;	/* AcceptEcho or AcceptTime. */

static void
AcceptEcho(void *clientData, sc_chan *chan, const char *address, int port)
{
    (void) clientData;
    (void) address;
    (void) port;
    cli_echo_start(echoService, chan);
}

static void
AcceptTime(void *clientData, sc_chan *chan, const char *address, int port)
{
    time_t now = time(NULL);
    char date[64];

    (void) clientData;
    (void) address;
    (void) port;
    strftime(date, sizeof(date), "%a %b %d %H:%M:%S %Z %Y", localtime(&now));
    /* Nonblocking: a slow client never holds the others up; the close
     * finishes sending in the background. */
    sc_chan_configure(chan, "-blocking", "0");
    sc_puts(chan, date);
    sc_printf(chan, "%ld since start\n", (long) (now - startTime));
    sc_close(chan);
}

/* -v, --allow, --deny: then the service (through AcceptTls with --ssl). */
static void
Accept(void *clientData, sc_chan *chan, const char *address, int port)
{
    const char *why;
    char from[1100];

    if (verbose) {
	if (unixWhere != NULL) {
	    fprintf(stderr, "sockchan: connection on %s\n", unixWhere);
	} else {
	    cli_endpoint(from, sizeof(from), address, port);
	    fprintf(stderr, "sockchan: connection from %s\n", from);
	}
    }
    if (acl && (why = cli_acl_check(acl, address)) != NULL) {
	if (verbose) {
	    fprintf(stderr, "sockchan: connection denied: %s\n", why);
	}
	sc_close(chan);
	return;
    }
    serviceProc(clientData, chan, address, port);
}

/* With --ssl: the service once the handshake is done. */
static void
AcceptTls(void *clientData, sc_chan *chan, const char *address, int port)
{
    cli_tls_accept(&tls, chan, address, port, serveProc, clientData);
}

static void
Signal(void *clientData, int signo)
{
    (void) clientData;
    if (signo != SIGCHLD) {
	stop = 128 + signo;	/* 130 for Ctrl-C, 143 for SIGTERM. */
    }
}

int
cmd_serve(int argc, char **argv)
{
    static const struct option longs[] = {
	{"unix", required_argument, NULL, 'u'},
	{"myaddr", required_argument, NULL, 'm'},
	{"output-limit", required_argument, NULL, 'l'},
	{"output-budget", required_argument, NULL, 'b'},
	{"help", no_argument, NULL, 'h'},
	{"verbose", no_argument, NULL, 'v'},
	{"allow", required_argument, NULL, 'a'},
	{"deny", required_argument, NULL, 'a'},
	{"allowfile", required_argument, NULL, 'a'},
	{"denyfile", required_argument, NULL, 'a'},
	CLI_TLS_LONGOPTS,
	{NULL, 0, NULL, 0}
    };
    const char *service, *unixPath = NULL, *myaddr = NULL, *port = "0";
    long limit = 0, budget = 0;
    sc_accept_proc *proc;
    sc_chan *server;
    int c, index = -1;
    char option[16];

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":hv", longs, &index)) != -1) {
	if (cli_tls_option(&tls, c, optarg)) {
	    continue;
	}
	switch (c) {
	case 'v':
	    verbose = 1;
	    break;
	case 'a':
	    snprintf(option, sizeof(option), "--%s", longs[index].name);
	    cli_acl_add(&acl, "serve", option, optarg);
	    break;
	case 'h':
	    fputs(serveHelp, stdout);
	    return 0;
	case 'u':
	    unixPath = optarg;
	    break;
	case 'm':
	    myaddr = optarg;
	    break;
	case 'l':
	    limit = cli_size_arg("serve", "--output-limit", optarg, 1L << 30);
	    break;
	case 'b':
	    budget = cli_size_arg("serve", "--output-budget", optarg,
		    1L << 40);
	    break;
	case ':':
	    cli_usage("serve", "option \"%s\" needs a value",
		    argv[optind - 1]);
	default:
	    cli_usage("serve", "unknown option \"%s\"", argv[optind - 1]);
	}
    }
    if (optind >= argc) {
	cli_usage("serve", "serve takes a service: time or echo");
    }
    service = argv[optind++];
    if (strcmp(service, "time") == 0) {
	proc = AcceptTime;
    } else if (strcmp(service, "echo") == 0) {
	proc = AcceptEcho;
    } else {
	cli_usage("serve", "unknown service \"%s\": should be time or echo",
		service);
    }
    if (optind < argc) {
	port = argv[optind++];
	if (unixPath != NULL) {
	    cli_usage("serve", "a PORT and --unix can't be used together");
	}
	if (cli_port(port) < 0) {
	    cli_usage("serve", "bad port \"%s\": should be a number from 0 "
		    "to 65535 or a service name", port);
	}
    }
    if (optind < argc) {
	cli_usage("serve", "unexpected argument \"%s\"", argv[optind]);
    }
    if (unixPath != NULL && (myaddr != NULL || acl != NULL)) {
	cli_usage("serve", "--myaddr, --allow and --deny are for TCP");
    }
    cli_acl_resolve(acl, "serve", 0);
    if (unixPath != NULL && unixPath[0] == '\0') {
	cli_usage("serve", "--unix needs a PATH: got \"\"");
    }
    if (proc != AcceptEcho && (limit || budget)) {
	cli_usage("serve", "--output-limit and --output-budget are for echo");
    }
    cli_tls_check(&tls, "serve", 1);
    serveProc = proc;
    if (tls.on) {
	proc = AcceptTls;
    }
    echoService = cli_echo_new((size_t) (limit ? limit : CLI_ECHO_LIMIT),
	    (size_t) (budget ? budget : CLI_ECHO_BUDGET), NULL, NULL);

    startTime = time(NULL);
    signal(SIGPIPE, SIG_IGN);
    loop = sc_loop_new(0);
    if (loop == NULL || cli_watch_signals(loop, Signal, NULL) < 0) {
	cli_die(EXIT_NET, "can't start: %s", sc_errno_msg(errno));
    }
    cli_raise_nofile();
    serviceProc = proc;
    unixWhere = unixPath;
    if (unixPath != NULL) {
	server = sc_open_unix_server(loop, unixPath, NULL, Accept, NULL);
    } else {
	server = sc_open_tcp_server(loop, port, myaddr, Accept, NULL);
    }
    if (server == NULL) {
	/* A path taken by a file, or too long, is the user's input. */
	cli_die(errno == EEXIST || errno == ENAMETOOLONG ? EXIT_USAGE
		: EXIT_NET, "%s", sc_errmsg(loop));
    }
    cli_announce(server, unixPath);
    while (stop < 0) {
	if (sc_do_one_event(loop, SC_ALL_EVENTS) < 0) {
	    cli_die(EXIT_NET, "%s", sc_errmsg(loop));
	}
    }
    sc_close(server);		/* A Unix server removes its file. */
    cli_tls_abort();
    cli_unwatch_signals(loop);
    /* Let closes that are still sending finish (5 s without progress
     * at most). */
    (void) cli_drain(loop, 5000);
    cli_acl_free(acl);
    return stop == 128 + SIGINT ? EXIT_INTERRUPTED : stop;
}
