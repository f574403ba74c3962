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
"  -h, --help             this text\n";

#define CHUNK 16384

static sc_loop *loop;
static time_t startTime;
static int stop = -1;

struct echo {
    sc_chan *chan;
    char buf[CHUNK];
    size_t len, off;
};

static void EchoEvent(void *clientData, int mask);

static void
EchoEnd(struct echo *e)
{
    sc_close(e->chan);		/* What is queued goes in the background. */
    free(e);
}

static void
EchoEvent(void *clientData, int mask)
{
    struct echo *e = clientData;

    (void) mask;
    for (;;) {
	long n;

	if (e->off < e->len) {
	    n = sc_write(e->chan, e->buf + e->off, e->len - e->off);
	    if (n == SC_ERROR) {
		EchoEnd(e);
		return;
	    }
	    e->off += n > 0 ? (size_t) n : 0;
	    if (e->off < e->len) {
		sc_chan_event(e->chan, SC_READABLE, NULL, NULL);
		sc_chan_event(e->chan, SC_WRITABLE, EchoEvent, e);
		return;
	    }
	    sc_chan_event(e->chan, SC_WRITABLE, NULL, NULL);
	}
	n = sc_read(e->chan, e->buf, sizeof(e->buf));
	if (n > 0) {
	    e->len = (size_t) n;
	    e->off = 0;
	    continue;
	}
	if (n == SC_BLOCKED) {
	    sc_chan_event(e->chan, SC_READABLE, EchoEvent, e);
	    return;
	}
	EchoEnd(e);
	return;
    }
}

static void
AcceptEcho(void *clientData, sc_chan *chan, const char *address, int port)
{
    struct echo *e = calloc(1, sizeof(*e));

    (void) clientData;
    (void) address;
    (void) port;
    if (e == NULL || sc_chan_configure(chan, "-translation", "binary") < 0
	    || sc_chan_configure(chan, "-blocking", "0") < 0) {
	free(e);
	sc_close(chan);
	return;
    }
    e->chan = chan;
    EchoEvent(e, SC_READABLE);
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

static void
Late(void *clientData)
{
    *(int *) clientData = 1;
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
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0}
    };
    const char *service, *unixPath = NULL, *myaddr = NULL, *port = "0";
    sc_accept_proc *proc;
    sc_chan *server;
    int c;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", longs, NULL)) != -1) {
	switch (c) {
	case 'h':
	    fputs(serveHelp, stdout);
	    return 0;
	case 'u':
	    unixPath = optarg;
	    break;
	case 'm':
	    myaddr = optarg;
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
    if (unixPath != NULL && myaddr != NULL) {
	cli_usage("serve", "--myaddr is for TCP");
    }

    startTime = time(NULL);
    signal(SIGPIPE, SIG_IGN);
    loop = sc_loop_new(0);
    if (loop == NULL || cli_watch_signals(loop, Signal, NULL) < 0) {
	cli_die(EXIT_NET, "can't start: %s", sc_errno_msg(errno));
    }
    cli_raise_nofile();
    if (unixPath != NULL) {
	server = sc_open_unix_server(loop, unixPath, NULL, proc, NULL);
    } else {
	server = sc_open_tcp_server(loop, port, myaddr, proc, NULL);
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
    cli_unwatch_signals(loop);
    /* Let closes that are still sending finish (at most 5 s). */
    {
	int late = 0;
	sc_timer t = sc_create_timer(loop, 5000, Late, &late);

	while (!late && sc_loop_handlers(loop, SC_FILE_EVENTS) > 0) {
	    if (sc_do_one_event(loop, SC_ALL_EVENTS) < 0) {
		break;
	    }
	}
	sc_delete_timer(loop, t);
    }
    return stop == 128 + SIGINT ? EXIT_INTERRUPTED : stop;
}
