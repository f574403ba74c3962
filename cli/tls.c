/*
 * tls.c --
 *
 *	TLS for sockchan connect, listen, unix and serve, in ncat's words:
 *	--ssl, --ssl-cert, --ssl-key, --ssl-trustfile, --ssl-servername,
 *	--ssl-alpn, --ssl-ciphers; and what ncat does not have: verification
 *	on by default for a client (--ssl-no-verify turns it off), a
 *	client certificate required by a listener given --ssl-trustfile,
 *	and connect --starttls PROTOCOL.
 *
 *	Everything goes through the library's TLS transform (sc_tls_push):
 *	a client pushes it on the connected channel (after --starttls's
 *	plain-text exchange), a server on each accepted channel, whose
 *	handshake runs on the loop before the connection is served. A
 *	program (-e, -c) sees plain text: it gets one end of a socketpair,
 *	and a bridge here moves bytes between the other end and the TLS
 *	channel, end of file included.
 */

#include "cli.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define STARTTLS_MS 10000	/* The plain-text exchange's limit. */
#define BRIDGE_CHUNK 16384

static sc_tls_options opts;	/* Made once by cli_tls_check. */
static char tempDir[64], tempFile[80];
static pid_t tempOwner;

/*
 *----------------------------------------------------------------------
 *
 * cli_tls_option --
 *
 *	Takes one of CLI_TLS_LONGOPTS. Every --ssl-* option implies --ssl,
 *	as in ncat (--ssl-verify is what a client does anyway: accepted
 *	for ncat's users).
 *
 * Results:
 *	1 if c was a TLS option, else 0.
 *
 *----------------------------------------------------------------------
 */

int
cli_tls_option(cli_tls *t, int c, const char *arg)
{
    switch (c) {
    case CLI_OPT_SSL:
    case CLI_OPT_SSL_VERIFY:
	break;
    case CLI_OPT_SSL_CERT:
	t->cert = arg;
	break;
    case CLI_OPT_SSL_KEY:
	t->key = arg;
	break;
    case CLI_OPT_SSL_TRUST:
	t->trustfile = arg;
	break;
    case CLI_OPT_SSL_NAME:
	t->servername = arg;
	break;
    case CLI_OPT_SSL_ALPN:
	t->alpn = arg;
	break;
    case CLI_OPT_SSL_CIPHERS:
	t->ciphers = arg;
	break;
    case CLI_OPT_SSL_NOVERIFY:
	t->noVerify = 1;
	break;
    case CLI_OPT_STARTTLS:
	t->starttls = arg;
	break;
    default:
	return 0;
    }
    t->on = 1;
    return 1;
}

/* At exit: the temporary certificate goes (in the process that made it,
 * never in a child). */
static void
RemoveTemp(void)
{
    if (tempFile[0] != '\0' && getpid() == tempOwner) {
	unlink(tempFile);
	rmdir(tempDir);
	tempFile[0] = '\0';
    }
}

/* A temporary self-signed certificate in a private directory, and its
 * fingerprint on stderr (ncat shows SHA-1, and only with -v). */
static void
SelfSigned(void)
{
    const char *dir = getenv("TMPDIR");
    char sha256[100];
    sc_loop *loop;

    if (dir == NULL || dir[0] == '\0' || strlen(dir) > 40) {
	dir = "/tmp";
    }
    snprintf(tempDir, sizeof(tempDir), "%s/sockchan-tls.XXXXXX", dir);
    if (mkdtemp(tempDir) == NULL) {
	cli_die(EXIT_NET, "can't make a temporary certificate: couldn't "
		"create a directory in \"%s\": %s", dir, sc_errno_msg(errno));
    }
    snprintf(tempFile, sizeof(tempFile), "%s/cert.pem", tempDir);
    tempOwner = getpid();
    atexit(RemoveTemp);
    loop = sc_loop_new(0);
    if (loop == NULL) {
	cli_die(EXIT_NET, "can't make an event loop: %s", sc_errno_msg(errno));
    }
    if (sc_tls_selfsigned(loop, tempFile, "localhost", sha256,
	    sizeof(sha256)) < 0) {
	cli_die(EXIT_NET, "%s", sc_errmsg(loop));
    }
    sc_loop_free(loop);
    fprintf(stderr, "SHA-256 fingerprint %s (a temporary self-signed "
	    "certificate for localhost)\n", sha256);
}

/*
 *----------------------------------------------------------------------
 *
 * cli_tls_check --
 *
 *	Checks the TLS options against the command (exits 2 on misuse),
 *	makes the options the transform gets, and for a server without a
 *	certificate a self-signed one.
 *
 *----------------------------------------------------------------------
 */

void
cli_tls_check(cli_tls *t, const char *command, int server)
{
    if (!t->on) {
	return;
    }
    if (t->key != NULL && t->cert == NULL) {
	cli_usage(command, "--ssl-key needs --ssl-cert");
    }
    if (server && (t->noVerify || t->servername || t->starttls)) {
	cli_usage(command, "--ssl-no-verify, --ssl-servername and "
		"--starttls are for connecting");
    }
    if (t->starttls != NULL && strcmp(t->starttls, "smtp") != 0
	    && strcmp(t->starttls, "imap") != 0
	    && strcmp(t->starttls, "pop3") != 0) {
	cli_usage(command, "unknown --starttls protocol \"%s\": should be "
		"smtp, imap or pop3", t->starttls);
    }
    memset(&opts, 0, sizeof(opts));
    opts.certfile = t->cert;
    opts.keyfile = t->key;
    opts.cafile = t->trustfile;
    opts.servername = t->servername;
    opts.alpn = t->alpn;
    opts.cipher = t->ciphers;
    opts.timeout = t->timeout > 0 ? t->timeout : CLI_TLS_HANDSHAKE_MS;
    if (server) {
	opts.flags = SC_TLS_SERVER | (t->trustfile ? SC_TLS_REQUIRE : 0);
	if (t->cert == NULL) {
	    SelfSigned();
	    opts.certfile = tempFile;
	}
    } else if (t->noVerify) {
	opts.flags = SC_TLS_NOVERIFY;
    }
}

/*
 *----------------------------------------------------------------------
 *
 * STARTTLS --
 *
 *	The plain-text exchange that asks a server for TLS, as openssl
 *	s_client -starttls does it. Each protocol is a script of steps:
 *	send a line (if any), then read lines until one starts with the
 *	expected reply (a multi-line reply's last line: "250 " after any
 *	"250-"; lines of an untagged reply, "* ...", are skipped).
 *
 *----------------------------------------------------------------------
 */

struct step {
    const char *send;		/* A line to send first, or NULL. */
    const char *expect;		/* The reply's start. */
};

static const struct {
    const char *name;
    struct step steps[4];
} scripts[] = {
    {"smtp", {{NULL, "220 "}, {"EHLO sockchan", "250 "},
	    {"STARTTLS", "220 "}, {NULL, NULL}}},
    {"imap", {{NULL, "* OK"}, {"a1 STARTTLS", "a1 OK"}, {NULL, NULL}}},
    {"pop3", {{NULL, "+OK"}, {"STLS", "+OK"}, {NULL, NULL}}},
};

/* One line from chan before the deadline (nonblocking: poll waits). The
 * length without the end of line, or -1 with the message on the loop. */
static long
GetLine(sc_chan *chan, char **line, size_t *cap, long long deadline)
{
    for (;;) {
	struct pollfd pfd;
	long n = sc_gets(chan, line, cap);
	long long left;
	struct timespec now;

	if (n >= 0) {
	    if (n > 0 && (*line)[n - 1] == '\r') {
		(*line)[--n] = '\0';
	    }
	    return n;
	}
	if (n == SC_EOF) {
	    errno = ECONNRESET;
	    snprintf(*line, *cap, "the server closed the connection");
	    return -2;
	}
	if (n == SC_ERROR) {
	    return -1;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	left = deadline - ((long long) now.tv_sec * 1000
		+ now.tv_nsec / 1000000);
	if (left <= 0) {
	    snprintf(*line, *cap, "no answer within %d ms", STARTTLS_MS);
	    return -2;
	}
	pfd.fd = sc_chan_fd(chan, SC_READABLE);
	pfd.events = POLLIN;
	(void) poll(&pfd, 1, (int) left);
    }
}

/* Run --starttls's script on chan: 0, or -1 with a message in why. */
static int
StartTls(const char *protocol, sc_chan *chan, char *why, size_t size)
{
    const struct step *s = NULL;
    struct timespec now;
    long long deadline;
    char *line = NULL;
    size_t cap = 0, i;
    int result = 0;

    for (i = 0; i < sizeof(scripts) / sizeof(scripts[0]); i++) {
	if (strcmp(scripts[i].name, protocol) == 0) {
	    s = scripts[i].steps;
	}
    }
    clock_gettime(CLOCK_MONOTONIC, &now);
    deadline = (long long) now.tv_sec * 1000 + now.tv_nsec / 1000000
	    + STARTTLS_MS;
    line = malloc(cap = 256);
    if (line == NULL || sc_chan_configure(chan, "-translation", "binary") < 0
	    || sc_chan_set_blocking(chan, 0) < 0) {
	snprintf(why, size, "%s", sc_errmsg(sc_chan_loop(chan)));
	free(line);
	return -1;
    }
    for (; s != NULL && s->expect != NULL; s++) {
	size_t len = strlen(s->expect);
	long n;

	if (s->send != NULL && (sc_printf(chan, "%s\r\n", s->send) < 0
		|| sc_flush(chan) < 0)) {
	    snprintf(why, size, "%s", sc_errmsg(sc_chan_loop(chan)));
	    result = -1;
	    break;
	}
	do {
	    n = GetLine(chan, &line, &cap, deadline);
	} while (n >= 0 && (strncmp(line, s->expect, len) != 0
		&& ((strncmp(line, s->expect, 3) == 0 && line[3] == '-')
		    || (line[0] == '*' && s->expect[0] != '*'))));
	if (n == -1) {
	    snprintf(why, size, "%s", sc_errmsg(sc_chan_loop(chan)));
	} else if (n == -2) {
	    snprintf(why, size, "STARTTLS (%s): %s", protocol, line);
	} else if (strncmp(line, s->expect, len) != 0) {
	    snprintf(why, size, "STARTTLS (%s): the server said \"%.100s\"",
		    protocol, line);
	    n = -1;
	}
	if (n < 0) {
	    result = -1;
	    break;
	}
    }
    free(line);
    if (result == 0 && sc_pending(chan, SC_READABLE) > 0) {
	snprintf(why, size, "STARTTLS (%s): the server sent more before "
		"the handshake", protocol);
	result = -1;
    }
    if (sc_chan_set_blocking(chan, 1) < 0 && result == 0) {
	snprintf(why, size, "%s", sc_errmsg(sc_chan_loop(chan)));
	result = -1;
    }
    return result;
}

/*
 *----------------------------------------------------------------------
 *
 * cli_tls_connect --
 *
 *	The client's side: --starttls's exchange if asked, then the
 *	handshake on the blocking channel, checked against host (a Unix
 *	socket's is "localhost") unless --ssl-servername names another.
 *
 * Results:
 *	None: a failure exits 1 with a line such as "couldn't open socket:
 *	certificate verify failed (hostname mismatch)".
 *
 *----------------------------------------------------------------------
 */

void
cli_tls_connect(const cli_tls *t, sc_chan *chan, const char *host)
{
    sc_tls_options o = opts;
    char why[300];

    if (t->starttls != NULL && StartTls(t->starttls, chan, why,
	    sizeof(why)) < 0) {
	cli_die(EXIT_NET, "couldn't open socket: %s", why);
    }
    if (o.servername == NULL) {
	o.servername = host;
    }
    if (sc_tls_push(chan, &o) < 0) {
	const char *msg = sc_errmsg(sc_chan_loop(chan));
	size_t len = strlen(msg), tail = strlen("timed out");

	/* The connect is done: only the handshake can have timed out. */
	if (len > tail && strcmp(msg + len - tail, "timed out") == 0) {
	    cli_die(EXIT_NET, "%s (no TLS handshake within %ld ms)", msg,
		    o.timeout);
	}
	cli_die(EXIT_NET, "%s", msg);
    }
}

/*
 *----------------------------------------------------------------------
 *
 * Handshakes of accepted connections --
 *
 *	The connection is served (ready) only once its handshake is done: a
 *	client that speaks plain text, or stalls (CLI_TLS_HANDSHAKE_MS), is
 *	closed with a line on stderr and counts for nothing, as in ncat.
 *
 *----------------------------------------------------------------------
 */

struct hs {
    sc_chan *chan;
    sc_accept_proc *ready;
    void *clientData;
    char address[64];
    int port;
    struct hs *next, **prevPtr;
};

static struct hs *handshakes;

static void
HsUnlink(struct hs *h)
{
    *h->prevPtr = h->next;
    if (h->next != NULL) {
	h->next->prevPtr = h->prevPtr;
    }
}

static void
HsDone(void *clientData, int mask)
{
    struct hs *h = clientData;
    char *e = sc_chan_cget(h->chan, "-error");

    (void) mask;
    sc_chan_event(h->chan, SC_WRITABLE, NULL, NULL);
    HsUnlink(h);
    if (e == NULL || e[0] != '\0') {
	fprintf(stderr, "sockchan: TLS handshake with %s %d failed: %s\n",
		h->address, h->port, e ? e : sc_errmsg(sc_chan_loop(h->chan)));
	sc_close(h->chan);
    } else {
	h->ready(h->clientData, h->chan, h->address, h->port);
    }
    free(e);
    free(h);
}

void
cli_tls_accept(const cli_tls *t, sc_chan *chan, const char *address, int port,
	sc_accept_proc *ready, void *clientData)
{
    struct hs *h = calloc(1, sizeof(*h));

    (void) t;
    if (h == NULL || sc_chan_set_blocking(chan, 0) < 0
	    || sc_tls_push(chan, &opts) < 0) {
	fprintf(stderr, "sockchan: TLS with %s %d: %s\n", address, port,
		h ? sc_errmsg(sc_chan_loop(chan)) : "out of memory");
	sc_close(chan);
	free(h);
	return;
    }
    h->chan = chan;
    h->ready = ready;
    h->clientData = clientData;
    snprintf(h->address, sizeof(h->address), "%s", address[0] ? address
	    : "a client");
    h->port = port;
    h->next = handshakes;
    h->prevPtr = &handshakes;
    if (handshakes != NULL) {
	handshakes->prevPtr = &h->next;
    }
    handshakes = h;
    sc_chan_event(chan, SC_WRITABLE, HsDone, h);
}

void
cli_tls_abort(void)
{
    while (handshakes != NULL) {
	struct hs *h = handshakes;

	HsUnlink(h);
	sc_close(h->chan);
	free(h);
    }
}

/*
 *----------------------------------------------------------------------
 *
 * Bridges --
 *
 *	A program's plain socketpair to and from the TLS channel. Each
 *	direction reads only while the other side takes what it read (no
 *	buffer grows); an end of file goes on as a half-close (the TLS
 *	side: close_notify, then the FIN). When both directions are done,
 *	both channels close.
 *
 *----------------------------------------------------------------------
 */

struct half {
    sc_chan *in, *out;
    struct bridge *b;
    size_t len, off;
    int done;
    char buf[BRIDGE_CHUNK];
};

struct bridge {
    struct half up, down;	/* program -> TLS, TLS -> program. */
    sc_proc *onEnd;
    void *clientData;
};

static long nBridges;

static void HalfMove(struct half *h);

static void
HalfEvent(void *clientData, int mask)
{
    (void) mask;
    HalfMove(clientData);
}

static void
BridgeEnd(struct bridge *b)
{
    sc_chan *tls = b->down.in, *plain = b->up.in;

    sc_chan_event(tls, SC_READABLE, NULL, NULL);
    sc_chan_event(tls, SC_WRITABLE, NULL, NULL);
    sc_chan_event(plain, SC_READABLE, NULL, NULL);
    sc_chan_event(plain, SC_WRITABLE, NULL, NULL);
    sc_close(tls);		/* What is queued goes in the background. */
    sc_close(plain);
    nBridges--;
    if (b->onEnd != NULL) {
	b->onEnd(b->clientData);
    }
    free(b);
}

/* This direction is over: pass the end on (or, after a failure, end
 * both). */
static void
HalfEnd(struct half *h, int failed)
{
    struct bridge *b = h->b;
    struct half *other = h == &b->up ? &b->down : &b->up;

    h->done = 1;
    sc_chan_event(h->in, SC_READABLE, NULL, NULL);
    sc_chan_event(h->out, SC_WRITABLE, NULL, NULL);
    if (failed) {
	other->done = 1;
    } else {
	(void) sc_close_half(h->out, SC_WRITABLE);
    }
    if (other->done) {
	BridgeEnd(b);
    }
}

static void
HalfMove(struct half *h)
{
    while (!h->done) {
	long n;

	if (h->off < h->len) {
	    n = sc_write(h->out, h->buf + h->off, h->len - h->off);
	    if (n == SC_ERROR) {
		HalfEnd(h, 1);
		return;
	    }
	    if (n > 0) {
		h->off += (size_t) n;
	    }
	    if (h->off < h->len) {
		sc_chan_event(h->in, SC_READABLE, NULL, NULL);
		sc_chan_event(h->out, SC_WRITABLE, HalfEvent, h);
		return;
	    }
	    sc_chan_event(h->out, SC_WRITABLE, NULL, NULL);
	}
	n = sc_read(h->in, h->buf, sizeof(h->buf));
	if (n > 0) {
	    h->len = (size_t) n;
	    h->off = 0;
	    continue;
	}
	h->len = h->off = 0;
	if (n == SC_BLOCKED) {
	    sc_chan_event(h->in, SC_READABLE, HalfEvent, h);
	    return;
	}
	if (n == SC_ERROR && h == &h->b->down) {
	    fprintf(stderr, "sockchan: connection lost (%s)\n",
		    sc_errmsg(sc_chan_loop(h->in)));
	}
	HalfEnd(h, n == SC_ERROR);
	return;
    }
}

long
cli_tls_exec(const cli_program *prog, sc_chan *chan, sc_proc *onEnd,
	void *clientData)
{
    sc_loop *loop = sc_chan_loop(chan);
    struct bridge *b;
    sc_chan *plain;
    int pair[2], err;
    long pid;

    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0) {
	err = errno;
	sc_close(chan);
	errno = err;
	return -1;
    }
    pid = cli_program_run(prog, pair[1]);
    err = errno;
    close(pair[1]);
    b = pid < 0 ? NULL : calloc(1, sizeof(*b));
    plain = b ? sc_chan_open_fd(loop, pair[0], SC_READABLE | SC_WRITABLE, 0)
	    : NULL;
    if (plain == NULL) {
	if (pid >= 0) {
	    err = ENOMEM;
	}
	close(pair[0]);
	sc_close(chan);
	free(b);
	errno = err;
	return pid;		/* A program that started reads end of file. */
    }
    (void) sc_chan_configure(chan, "-translation", "binary");
    (void) sc_chan_set_blocking(chan, 0);
    (void) sc_chan_configure(plain, "-translation", "binary");
    (void) sc_chan_set_blocking(plain, 0);
    b->up.in = plain;
    b->up.out = chan;
    b->down.in = chan;
    b->down.out = plain;
    b->up.b = b->down.b = b;
    b->onEnd = onEnd;
    b->clientData = clientData;
    nBridges++;
    sc_chan_event(plain, SC_READABLE, HalfEvent, &b->up);
    sc_chan_event(chan, SC_READABLE, HalfEvent, &b->down);
    return pid;
}

long
cli_tls_bridges(void)
{
    return nBridges;
}
