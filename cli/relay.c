/*
 * relay.c --
 *
 *	sockchan connect, listen and unix: a socket relayed to stdin and
 *	stdout, echoed, or handed to a program, on sockchan's channels.
 *
 *	End of input is defined, not left to chance: when stdin ends, the
 *	socket's write side is half-closed and the command keeps reading
 *	until the peer closes (so a server that answers after our FIN is
 *	heard); --no-shutdown keeps the write side open. When the peer's end
 *	of file comes first, what stdin still has to send is sent (a peer that
 *	half-closed and reads on gets all of it; one that is gone makes the
 *	write fail) unless stdin is a terminal; then the command exits once
 *	everything is written. Nothing queued is dropped at exit: the loop
 *	runs until every close has finished sending.
 */

#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHUNK 65536

/*
 *----------------------------------------------------------------------
 *
 * A pump: bytes from one channel to another, with backpressure (while
 * out cannot take more, in is not read).
 *
 *----------------------------------------------------------------------
 */

struct pump {
    sc_chan *in, *out;
    char *buf;
    size_t len, off;		/* buf[off..len) waits for out. */
    int done;			/* in ended and everything went out. */
    void (*onEnd)(struct pump *p, const char *error);
    void (*onData)(void *owner);	/* Bytes moved (for idle timers). */
    void *owner;
};

static void Pump(struct pump *p);

static void
PumpEvent(void *clientData, int mask)
{
    (void) mask;
    Pump(clientData);
}

static void
PumpEnd(struct pump *p, const char *error)
{
    p->done = 1;
    sc_chan_event(p->in, SC_READABLE, NULL, NULL);
    sc_chan_event(p->out, SC_WRITABLE, NULL, NULL);
    if (p->onEnd) {
	p->onEnd(p, error);
    }
}

/* Move what can move now; arrange to be called when more can. */
static void
Pump(struct pump *p)
{
    for (;;) {
	long n;

	if (p->off < p->len) {
	    n = sc_write(p->out, p->buf + p->off, p->len - p->off);
	    if (n == SC_ERROR) {
		PumpEnd(p, sc_errmsg(sc_chan_loop(p->out)));
		return;
	    }
	    if (n > 0) {
		p->off += (size_t) n;
	    }
	    if (p->off < p->len) {
		/* out is full: wait for room, and read no more meanwhile. */
		sc_chan_event(p->in, SC_READABLE, NULL, NULL);
		sc_chan_event(p->out, SC_WRITABLE, PumpEvent, p);
		return;
	    }
	    sc_chan_event(p->out, SC_WRITABLE, NULL, NULL);
	}
	n = sc_read(p->in, p->buf, CHUNK);
	if (n > 0) {
	    p->len = (size_t) n;
	    p->off = 0;
	    if (p->onData) {
		p->onData(p->owner);
	    }
	    continue;
	}
	p->len = p->off = 0;
	if (n == SC_BLOCKED) {
	    sc_chan_event(p->in, SC_READABLE, PumpEvent, p);
	    return;
	}
	PumpEnd(p, n == SC_EOF ? NULL : sc_errmsg(sc_chan_loop(p->in)));
	return;
    }
}

static struct pump *
PumpNew(sc_chan *in, sc_chan *out, void (*onEnd)(struct pump *, const char *),
	void *owner)
{
    struct pump *p = calloc(1, sizeof(*p));

    if (p == NULL || (p->buf = malloc(CHUNK)) == NULL) {
	cli_die(EXIT_NET, "out of memory");
    }
    p->in = in;
    p->out = out;
    p->onEnd = onEnd;
    p->owner = owner;
    return p;
}

static void
PumpFree(struct pump *p)
{
    if (p != NULL) {
	free(p->buf);
	free(p);
    }
}

/*
 *----------------------------------------------------------------------
 *
 * Common state and helpers.
 *
 *----------------------------------------------------------------------
 */

struct options {
    const char *command;	/* "connect", "listen", "unix listen"... */
    int family;			/* SC_TCP_IPV4, SC_TCP_IPV6 or 0. */
    const char *myaddr, *myport;
    long timeout, idleTimeout;
    const char *translation;
    int noShutdown;
    int reuseaddr, reuseport;
    long backlog;
    int keepOpen;
    const char *exec;
    int echo;
    int mode;
    int unix;
};

static sc_loop *loop;
static int exitStatus = -1;	/* Set: the loop ends with it. */
static int stdinFlags = -1;	/* To give stdin its mode back. */
static sc_chan *stdIn, *stdOut;
static long idleMs;

static void
RestoreStdin(void)
{
    if (stdinFlags >= 0) {
	fcntl(0, F_SETFL, stdinFlags);
    }
}

static void
Finish(int status)
{
    if (exitStatus < 0) {
	exitStatus = status;
    }
}

/* A signal ends the command: 130 for Ctrl-C, 128 + N for the others. */
static void
Signal(void *clientData, int signo)
{
    (void) clientData;
    if (signo == SIGCHLD) {
	return;			/* Reaped where it is waited for. */
    }
    Finish(128 + signo);
}

static sc_chan *
StdChan(int fd, int mode)
{
    sc_chan *chan = sc_chan_open_fd(loop, fd, mode, SC_CHAN_KEEP_FD);

    if (chan == NULL || sc_chan_configure(chan, "-translation", "binary") < 0
	    || sc_chan_configure(chan, "-buffering", "none") < 0) {
	cli_die(EXIT_USAGE, "%s", sc_errmsg(loop));
    }
    return chan;
}

/* Socket channels: bytes as they are, unless --translation says. */
static void
SetUpSocket(sc_chan *sock, const struct options *o)
{
    if (sc_chan_configure(sock, "-translation", "binary") < 0
	    || sc_chan_configure(sock, "-buffering", "none") < 0
	    || sc_chan_configure(sock, "-blocking", "0") < 0
	    || (o->translation && sc_chan_configure(sock, "-translation",
		o->translation) < 0)) {
	cli_die(EXIT_USAGE, "%s", sc_errmsg(loop));
    }
}

static void
DrainTimeout(void *clientData)
{
    *(int *) clientData = 1;
}

/*
 * Run the loop until Finish; then let every close that is still sending
 * finish (giving up after 5 s without progress), and give stdin its mode
 * back. The status.
 */
static void StopListening(void);
static void EndSessions(void);

static int
Run(void)
{
    int stalled = 0;
    sc_timer t;

    while (exitStatus < 0) {
	if (sc_do_one_event(loop, SC_ALL_EVENTS) < 0) {
	    fprintf(stderr, "sockchan: %s\n", sc_errmsg(loop));
	    Finish(EXIT_NET);
	}
    }
    cli_unwatch_signals(loop);
    StopListening();		/* A Unix server removes its file. */
    EndSessions();		/* Before stdin and stdout close under them. */
    if (stdIn != NULL) {
	sc_chan_event(stdIn, SC_READABLE, NULL, NULL);
	sc_close(stdIn);
	stdIn = NULL;
    }
    if (stdOut != NULL) {
	sc_chan_event(stdOut, SC_WRITABLE, NULL, NULL);
	sc_close(stdOut);	/* Flushed, in the background if need be. */
	stdOut = NULL;
    }
    t = sc_create_timer(loop, 5000, DrainTimeout, &stalled);
    while (!stalled && sc_loop_handlers(loop, SC_FILE_EVENTS) > 0) {
	int r = sc_do_one_event(loop, SC_ALL_EVENTS);

	if (r < 0) {
	    break;
	}
	if (r > 0 && !stalled) {
	    sc_delete_timer(loop, t);	/* Progress: another 5 s. */
	    t = sc_create_timer(loop, 5000, DrainTimeout, &stalled);
	}
    }
    RestoreStdin();
    return exitStatus;
}

/*
 *----------------------------------------------------------------------
 *
 * A session: one connection relayed to stdin and stdout.
 *
 *----------------------------------------------------------------------
 */

struct session {
    sc_chan *sock, *in, *out;
    struct pump *up, *down;	/* stdin -> sock, sock -> stdout */
    const struct options *o;
    int failed;			/* The connection ended in an error. */
    sc_timer idle;
    sc_timer grace;		/* After the peer's end: stdin's last bytes. */
    void (*onClose)(struct session *s);
};

#define GRACE_MS 200

static struct session *current;

static void
EndSession(struct session *s)
{
    if (!s->up->done) {
	sc_chan_event(s->in, SC_READABLE, NULL, NULL);
    }
    if (s->idle) {
	sc_delete_timer(loop, s->idle);
    }
    if (s->grace) {
	sc_delete_timer(loop, s->grace);
    }
    sc_flush(s->out);
    /* A reset shows as end of file; -error tells them apart. */
    {
	char *e = sc_chan_cget(s->sock, "-error");

	if (e != NULL && e[0] != '\0') {
	    fprintf(stderr, "sockchan: %s\n", e);
	    s->failed = 1;
	}
	free(e);
    }
    sc_close(s->sock);		/* Queued output goes in the background. */
    PumpFree(s->up);
    PumpFree(s->down);
    current = NULL;
    if (s->onClose) {
	s->onClose(s);
    }
    free(s);
}

static void
SessionIdle(void *clientData)
{
    struct session *s = clientData;

    s->idle = 0;
    fprintf(stderr, "sockchan: idle timeout: nothing sent or received for "
	    "%ld ms\n", idleMs);
    s->failed = 1;
    EndSession(s);
}

static void
Grace(void *clientData)
{
    struct session *s = clientData;

    s->grace = 0;
    EndSession(s);
}

static void
SessionData(void *owner)
{
    struct session *s = owner;

    if (s->grace) {
	/* stdin is still sending after the peer's end: a while more. */
	sc_delete_timer(loop, s->grace);
	s->grace = sc_create_timer(loop, GRACE_MS, Grace, s);
    }
    if (idleMs > 0) {
	if (s->idle) {
	    sc_delete_timer(loop, s->idle);
	}
	s->idle = sc_create_timer(loop, idleMs, SessionIdle, s);
    }
}

/* stdin ended (or failed): the peer hears end of file, unless asked not. */
static void
UpEnd(struct pump *p, const char *error)
{
    struct session *s = p->owner;

    if (error != NULL) {
	fprintf(stderr, "sockchan: %s\n", error);
	s->failed = 1;
    }
    SessionData(s);
    if (s->down->done) {
	EndSession(s);		/* The peer ended first; all is sent. */
	return;
    }
    if (!s->o->noShutdown) {
	sc_close_half(s->sock, SC_WRITABLE);
    }
}

/* The peer's end of file (or an error reading it). */
static void
DownEnd(struct pump *p, const char *error)
{
    struct session *s = p->owner;

    if (error != NULL) {
	fprintf(stderr, "sockchan: %s\n", error);
	s->failed = 1;
    }
    sc_flush(s->out);
    if (error == NULL && !s->up->done && !isatty(0)) {
	char *e = sc_chan_cget(s->sock, "-error");
	int reset = e != NULL && e[0] != '\0';

	if (reset) {
	    fprintf(stderr, "sockchan: %s\n", e);
	    s->failed = 1;
	}
	free(e);
	if (!reset) {
	    /* What stdin is still sending goes out (a peer that half-closed
	     * reads on; one that is gone makes the write fail): until stdin
	     * ends or pauses for GRACE_MS. */
	    s->grace = sc_create_timer(loop, GRACE_MS, Grace, s);
	    if (s->grace != 0) {
		return;
	    }
	}
    }
    EndSession(s);
}

static void
Relay(sc_chan *sock, const struct options *o,
	void (*onClose)(struct session *))
{
    struct session *s = calloc(1, sizeof(*s));

    if (s == NULL) {
	cli_die(EXIT_NET, "out of memory");
    }
    if (stdIn == NULL) {
	stdinFlags = fcntl(0, F_GETFL);
	stdIn = StdChan(0, SC_READABLE);
	if (sc_chan_configure(stdIn, "-blocking", "0") < 0) {
	    cli_die(EXIT_USAGE, "%s", sc_errmsg(loop));
	}
	stdOut = StdChan(1, SC_WRITABLE);
    }
    SetUpSocket(sock, o);
    s->sock = sock;
    s->in = stdIn;
    s->out = stdOut;
    s->o = o;
    s->onClose = onClose;
    s->up = PumpNew(stdIn, sock, UpEnd, s);
    s->down = PumpNew(sock, stdOut, DownEnd, s);
    s->up->onData = s->down->onData = SessionData;
    current = s;
    SessionData(s);
    Pump(s->up);
    if (current == s && !s->down->done) {
	Pump(s->down);
    }
}

/*
 *----------------------------------------------------------------------
 *
 * Options.
 *
 *----------------------------------------------------------------------
 */

enum {
    OPT_MYADDR = 256, OPT_MYPORT, OPT_TIMEOUT, OPT_IDLE, OPT_TRANSLATION,
    OPT_NOSHUTDOWN, OPT_REUSEADDR, OPT_REUSEPORT, OPT_BACKLOG, OPT_EXEC,
    OPT_ECHO, OPT_MODE
};

static const char connectHelp[] =
"usage: sockchan connect [options] HOST PORT\n"
"\n"
"Connect over TCP to HOST (a name, an IPv4 or an IPv6 address) on PORT (a\n"
"number or a service name), and relay: stdin to the socket, the socket to\n"
"stdout, bytes as they are. When stdin ends, the socket's write side is\n"
"closed (the peer sees end of file) and the command keeps reading until the\n"
"peer closes; it exits once all the peer sent is written.\n"
"\n"
"  -4, -6                 IPv4 or IPv6 addresses only\n"
"  --myaddr ADDR          the local address to connect from\n"
"  --myport PORT          the local port to connect from\n"
"  --timeout MS           give up connecting after MS milliseconds\n"
"  --idle-timeout MS      give up when nothing is sent or received for MS\n"
"  --translation MODE     end-of-line translation on the socket: binary\n"
"                         (the default), lf, cr, crlf, auto, or \"IN OUT\"\n"
"  --no-shutdown          keep the write side open when stdin ends\n"
"  -h, --help             this text\n"
"\n"
"When the peer's end of file comes first, what stdin still has is sent\n"
"(unless stdin is a terminal), then the command exits.\n"
"\n"
"Exit status: 0 done, 1 refused, timed out, host not found, reset or an\n"
"I/O error, 2 bad usage, 130 interrupted (128+N for signal N).\n";

static const char listenHelp[] =
"usage: sockchan listen [options] PORT\n"
"\n"
"Listen for TCP connections on PORT (0: the system chooses) on every\n"
"interface (IPv4 and IPv6) or on --myaddr. Prints \"listening on ADDR PORT\"\n"
"on stderr for each listening socket. Without -k, serves one connection and\n"
"exits; with -k, serves every connection.\n"
"\n"
"  -4, -6                 IPv4 or IPv6 only\n"
"  --myaddr ADDR          listen on this address only\n"
"  --reuseaddr yes|no     SO_REUSEADDR (default yes)\n"
"  --reuseport            SO_REUSEPORT: share the port with other servers\n"
"  --backlog N            the listen backlog (default: the system's largest)\n"
"  -k, --keep-open        serve every connection, not just the first\n"
"  --echo                 echo each connection back to itself\n"
"  --exec CMD             run CMD (with sh -c) for each connection, with the\n"
"                         connection as its stdin and stdout\n"
"  --translation MODE     as for connect (relaying to stdio only)\n"
"  --no-shutdown          as for connect\n"
"  --idle-timeout MS      as for connect\n"
"  -h, --help             this text\n"
"\n"
"Without --echo or --exec, a connection is relayed to stdin and stdout;\n"
"with -k the next connection is served when one ends (up to 64 wait;\n"
"more are closed). With --echo or\n"
"--exec, connections are served at once, side by side. The client's end of\n"
"file reaches an --exec program as end of input, and the program's output\n"
"keeps flowing until it exits.\n";

static const char unixHelp[] =
"usage: sockchan unix listen [options] PATH\n"
"       sockchan unix connect [options] PATH\n"
"\n"
"connect and listen over a Unix-domain socket. PATH may be \"@name\", a Linux\n"
"abstract name (no file). listen never destroys what is at PATH: a socket\n"
"nobody answers on is replaced, a live one or any other file is an error\n"
"and stays. The socket appears already listening and with its final mode.\n"
"The socket file is removed when the listener ends.\n"
"\n"
"  --mode MODE            listen: the socket file's mode, octal (e.g. 600),\n"
"                         exactly, whatever the umask\n"
"  -k, --keep-open        listen: serve every connection\n"
"  --echo, --exec CMD     listen: as for sockchan listen\n"
"  --backlog N            listen: the backlog\n"
"  --translation MODE, --no-shutdown, --idle-timeout MS\n"
"                         as for sockchan connect\n"
"  -h, --help             this text\n";

static void
ParseOptions(int argc, char **argv, struct options *o, const char *help,
	int server)
{
    static const struct option longs[] = {
	{"myaddr", required_argument, NULL, OPT_MYADDR},
	{"myport", required_argument, NULL, OPT_MYPORT},
	{"timeout", required_argument, NULL, OPT_TIMEOUT},
	{"idle-timeout", required_argument, NULL, OPT_IDLE},
	{"translation", required_argument, NULL, OPT_TRANSLATION},
	{"no-shutdown", no_argument, NULL, OPT_NOSHUTDOWN},
	{"reuseaddr", required_argument, NULL, OPT_REUSEADDR},
	{"reuseport", no_argument, NULL, OPT_REUSEPORT},
	{"backlog", required_argument, NULL, OPT_BACKLOG},
	{"keep-open", no_argument, NULL, 'k'},
	{"exec", required_argument, NULL, OPT_EXEC},
	{"echo", no_argument, NULL, OPT_ECHO},
	{"mode", required_argument, NULL, OPT_MODE},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0}
    };
    int c;

    o->reuseaddr = 1;
    o->backlog = -1;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":46kh", longs, NULL)) != -1) {
	switch (c) {
	case '4':
	case '6':
	    if (o->family != 0 && o->family != (c == '4' ? SC_TCP_IPV4
		    : SC_TCP_IPV6)) {
		cli_usage(o->command, "-4 and -6 can't be used together");
	    }
	    o->family = c == '4' ? SC_TCP_IPV4 : SC_TCP_IPV6;
	    break;
	case 'h':
	    fputs(help, stdout);
	    exit(0);
	case 'k':
	    o->keepOpen = 1;
	    break;
	case OPT_MYADDR:
	    o->myaddr = optarg;
	    break;
	case OPT_MYPORT:
	    if (cli_port(optarg) < 0) {
		cli_usage(o->command, "bad port \"%s\" for --myport", optarg);
	    }
	    o->myport = optarg;
	    break;
	case OPT_TIMEOUT:
	case OPT_IDLE:
	    {
		long ms = cli_number(optarg, 1L << 30);

		if (ms < 0) {
		    cli_usage(o->command, "bad timeout \"%s\": should be a "
			    "number of milliseconds", optarg);
		}
		*(c == OPT_TIMEOUT ? &o->timeout : &o->idleTimeout) = ms;
	    }
	    break;
	case OPT_TRANSLATION:
	    o->translation = optarg;
	    break;
	case OPT_NOSHUTDOWN:
	    o->noShutdown = 1;
	    break;
	case OPT_REUSEADDR:
	    if (strcmp(optarg, "yes") == 0) {
		o->reuseaddr = 1;
	    } else if (strcmp(optarg, "no") == 0) {
		o->reuseaddr = 0;
	    } else {
		cli_usage(o->command, "bad value \"%s\" for --reuseaddr: "
			"should be yes or no", optarg);
	    }
	    break;
	case OPT_REUSEPORT:
	    o->reuseport = 1;
	    break;
	case OPT_BACKLOG:
	    o->backlog = cli_number(optarg, 1 << 20);
	    if (o->backlog < 0) {
		cli_usage(o->command, "bad backlog \"%s\": should be a number",
			optarg);
	    }
	    break;
	case OPT_EXEC:
	    o->exec = optarg;
	    break;
	case OPT_ECHO:
	    o->echo = 1;
	    break;
	case OPT_MODE:
	    {
		char *end;
		long m = strtol(optarg, &end, 8);

		if (*optarg == '\0' || *end != '\0' || m <= 0 || m > 07777) {
		    cli_usage(o->command, "bad mode \"%s\": should be an octal "
			    "file mode such as 600", optarg);
		}
		o->mode = (int) m;
	    }
	    break;
	case ':':
	    cli_usage(o->command, "option \"%s\" needs a value",
		    argv[optind - 1]);
	default:
	    {
		const char *bad = argv[optind - 1];

		if (bad[0] == '-' && bad[1] >= '0' && bad[1] <= '9') {
		    cli_usage(o->command, "bad port \"%s\": should be a "
			    "number from 0 to 65535 or a service name", bad);
		}
		if (optopt != 0 && optopt < 256) {
		    cli_usage(o->command, "unknown option \"-%c\"", optopt);
		}
		cli_usage(o->command, "unknown option \"%s\"", bad);
	    }
	}
    }
    if (o->echo && o->exec) {
	cli_usage(o->command, "--echo and --exec can't be used together");
    }
    if ((o->echo || o->exec) && (o->translation || o->noShutdown
	    || o->idleTimeout)) {
	cli_usage(o->command, "--translation, --no-shutdown and "
		"--idle-timeout are for relaying to stdin and stdout, not "
		"with %s", o->echo ? "--echo" : "--exec");
    }
    if (!server && (o->echo || o->exec || o->keepOpen || o->mode
	    || o->backlog >= 0 || o->reuseport || !o->reuseaddr)) {
	cli_usage(o->command, "--echo, --exec, -k, --mode, --backlog, "
		"--reuseaddr and --reuseport are for listening");
    }
    if (server && (o->myport || o->timeout)) {
	cli_usage(o->command, "--myport and --timeout are for connecting");
    }
    if (o->unix && (o->family || o->myaddr || o->myport || o->reuseport
	    || !o->reuseaddr || o->timeout)) {
	cli_usage(o->command, "-4, -6, --myaddr, --myport, --timeout and "
		"--reuse* are for TCP");
    }
    if (!o->unix && o->mode) {
	cli_usage(o->command, "--mode is for Unix sockets");
    }
    if (o->translation) {
	/* Check the value now, on a throwaway channel. */
	int fds[2];
	sc_loop *probe = sc_loop_new(0);
	sc_chan *chan;

	if (probe == NULL || pipe(fds) < 0) {
	    cli_die(EXIT_NET, "%s", strerror(errno));
	}
	chan = sc_chan_open_fd(probe, fds[0], SC_READABLE, 0);
	if (sc_chan_configure(chan, "-translation", o->translation) < 0) {
	    cli_usage(o->command, "%s", sc_errmsg(probe));
	}
	sc_close(chan);
	close(fds[1]);
	sc_loop_free(probe);
    }
    idleMs = o->idleTimeout;
}

static void
StartLoop(void)
{
    loop = sc_loop_new(0);
    if (loop == NULL) {
	cli_die(EXIT_NET, "can't make an event loop: %s",
		sc_errno_msg(errno));
    }
    signal(SIGPIPE, SIG_IGN);
}

/* Signals through the loop: only once connected or listening, so that
 * Ctrl-C still interrupts a connect that takes its time. */
static void
WatchSignals(cli_signal_proc *proc)
{
    if (cli_watch_signals(loop, proc, NULL) < 0) {
	cli_die(EXIT_NET, "can't watch signals: %s", sc_errno_msg(errno));
    }
}

/*
 *----------------------------------------------------------------------
 *
 * connect
 *
 *----------------------------------------------------------------------
 */

static void
ConnectClosed(struct session *s)
{
    Finish(s->failed ? EXIT_NET : 0);
}

static int
Connect(const struct options *o, const char *host, const char *port)
{
    sc_chan *sock;

    StartLoop();
    if (o->unix) {
	sock = sc_open_unix_client(loop, host, NULL);
    } else {
	sc_tcp_options to = {o->myaddr, o->myport, o->family, o->timeout};

	sock = sc_open_tcp_client(loop, host, port, &to);
    }
    if (sock == NULL) {
	cli_die(errno == ENAMETOOLONG ? EXIT_USAGE : EXIT_NET, "%s",
		sc_errmsg(loop));
    }
    WatchSignals(Signal);
    Relay(sock, o, ConnectClosed);
    return Run();
}

int
cmd_connect(int argc, char **argv)
{
    struct options o;

    memset(&o, 0, sizeof(o));
    o.command = "connect";
    ParseOptions(argc, argv, &o, connectHelp, 0);
    if (argc - optind != 2) {
	cli_usage("connect", "connect takes HOST and PORT");
    }
    if (cli_port(argv[optind + 1]) < 0) {
	cli_usage("connect", "bad port \"%s\": should be a number from 0 to "
		"65535 or a service name", argv[optind + 1]);
    }
    return Connect(&o, argv[optind], argv[optind + 1]);
}

/*
 *----------------------------------------------------------------------
 *
 * listen
 *
 *----------------------------------------------------------------------
 */

static const struct options *listenOptions;
static sc_chan *server;
static int served, children;
static sc_chan *waiting[64];	/* -k to stdio: connections in line. */
static int nWaiting;

static void
StopListening(void)
{
    if (server != NULL) {
	sc_close(server);
	server = NULL;
    }
}

static void
MaybeDone(void)
{
    if (!listenOptions->keepOpen && served > 0 && children == 0
	    && current == NULL) {
	Finish(0);
    }
}

static void SessionClosed(struct session *s);

/* The command is ending: the connections in line, then the session. */
static void
EndSessions(void)
{
    while (nWaiting > 0) {
	sc_close(waiting[--nWaiting]);
    }
    if (current != NULL) {
	EndSession(current);
    }
}

static void
NextWaiting(void)
{
    if (current == NULL && nWaiting > 0) {
	sc_chan *next = waiting[0];

	memmove(waiting, waiting + 1, (size_t) --nWaiting * sizeof(*waiting));
	Relay(next, listenOptions, SessionClosed);
    }
}

static void
SessionClosed(struct session *s)
{
    if (s->failed && !listenOptions->keepOpen) {
	Finish(EXIT_NET);
    }
    NextWaiting();
    MaybeDone();
}

/* --echo: each connection to itself, until the client closes. */
static void
EchoEnd(struct pump *p, const char *error)
{
    (void) error;
    sc_close(p->in);
    PumpFree(p);
    MaybeDone();
}

static void
Echo(sc_chan *chan)
{
    struct pump *p;

    if (sc_chan_configure(chan, "-translation", "binary") < 0
	    || sc_chan_configure(chan, "-blocking", "0") < 0) {
	sc_close(chan);
	return;
    }
    p = PumpNew(chan, chan, EchoEnd, NULL);
    Pump(p);
}

/* --exec: the program gets the connection as its stdin and stdout. */
static void
Exec(sc_chan *chan)
{
    int fd = sc_chan_fd(chan, SC_READABLE);
    pid_t pid;

    fflush(stdout);
    pid = fork();
    if (pid < 0) {
	fprintf(stderr, "sockchan: can't run \"%s\": %s\n",
		listenOptions->exec, sc_errno_msg(errno));
	sc_close(chan);
	return;
    }
    if (pid == 0) {
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (dup2(fd, 0) < 0 || dup2(fd, 1) < 0) {
	    _exit(127);
	}
	execl("/bin/sh", "sh", "-c", listenOptions->exec, (char *) NULL);
	_exit(127);
    }
    children++;
    sc_close(chan);		/* The program has the connection now. */
}

/* SIGCHLD: reap what ended. */
static void
ListenSignal(void *clientData, int signo)
{
    (void) clientData;
    if (signo != SIGCHLD) {
	Signal(NULL, signo);
	return;
    }
    while (waitpid(-1, NULL, WNOHANG) > 0) {
	children--;
    }
    MaybeDone();
}

static void
Accepted(void *clientData, sc_chan *chan, const char *address, int port)
{
    (void) clientData;
    (void) address;
    (void) port;
    served++;
    if (!listenOptions->keepOpen) {
	StopListening();
    }
    if (listenOptions->echo) {
	Echo(chan);
    } else if (listenOptions->exec) {
	Exec(chan);
    } else if (current != NULL) {
	if (nWaiting == (int) (sizeof(waiting) / sizeof(waiting[0]))) {
	    sc_close(chan);	/* Too many in line: refuse this one. */
	} else {
	    waiting[nWaiting++] = chan;
	}
    } else {
	Relay(chan, listenOptions, SessionClosed);
    }
}

static int
Listen(const struct options *o, const char *where)
{
    listenOptions = o;
    StartLoop();
    if (o->unix) {
	sc_unix_options uo = {0, o->mode, (int) o->backlog, 0};

	server = sc_open_unix_server(loop, where, &uo, Accepted, NULL);
    } else {
	unsigned flags = (unsigned) o->family
		| (o->reuseaddr ? SC_TCP_REUSEADDR : 0)
		| (o->reuseport ? SC_TCP_REUSEPORT : 0);

	server = sc_open_tcp_server_ex(loop, where, o->myaddr, flags,
		(int) o->backlog, Accepted, NULL);
    }
    if (server == NULL) {
	/* A path too long or taken by a file is the user's input. */
	cli_die(errno == ENAMETOOLONG || errno == EEXIST ? EXIT_USAGE
		: EXIT_NET, "%s", sc_errmsg(loop));
    }
    cli_announce(server, o->unix ? where : NULL);
    WatchSignals(ListenSignal);
    return Run();
}

int
cmd_listen(int argc, char **argv)
{
    struct options o;

    memset(&o, 0, sizeof(o));
    o.command = "listen";
    ParseOptions(argc, argv, &o, listenHelp, 1);
    if (argc - optind != 1) {
	cli_usage("listen", "listen takes one PORT");
    }
    if (cli_port(argv[optind]) < 0) {
	cli_usage("listen", "bad port \"%s\": should be a number from 0 to "
		"65535 or a service name", argv[optind]);
    }
    return Listen(&o, argv[optind]);
}

/*
 *----------------------------------------------------------------------
 *
 * unix listen | connect
 *
 *----------------------------------------------------------------------
 */

int
cmd_unix(int argc, char **argv)
{
    struct options o;
    int listening;

    memset(&o, 0, sizeof(o));
    o.unix = 1;
    if (argc >= 2 && (strcmp(argv[1], "-h") == 0
	    || strcmp(argv[1], "--help") == 0)) {
	fputs(unixHelp, stdout);
	return 0;
    }
    if (argc < 2 || (strcmp(argv[1], "listen") != 0
	    && strcmp(argv[1], "connect") != 0)) {
	cli_usage("unix", "unix takes listen or connect");
    }
    listening = strcmp(argv[1], "listen") == 0;
    o.command = "unix";
    ParseOptions(argc - 1, argv + 1, &o, unixHelp, listening);
    if (argc - 1 - optind != 1) {
	cli_usage("unix", "unix %s takes one PATH", argv[1]);
    }
    if (listening) {
	return Listen(&o, argv[1 + optind]);
    }
    return Connect(&o, argv[1 + optind], NULL);
}
