/*
 * test_tls.c --
 *
 *	Stacked transforms and TLS. A tiny hex transform (it doubles the
 *	bytes and holds output inside, so partial writes below and held
 *	output are exercised) proves the interface through every generic
 *	feature; the TLS transform is tested against servers in this
 *	process and in a child process. Certificates come from
 *	tls_certs.sh (CTest runs it once as a fixture; run by hand, a case
 *	makes them in a temporary directory).
 */

#include "harness.h"
#include "chan/chan.h"
#include "loop/loop.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/*
 *----------------------------------------------------------------------
 *
 * The hex transform --
 *
 *----------------------------------------------------------------------
 */

struct hex {
    struct sc__layer *layer;
    char held[1024];		/* Encoded, not yet below. */
    size_t heldStart, heldLen;
    int half;			/* A first hex digit, or -1. */
    int want, belowWant;
    long encoded;		/* For the -hexcount option. */
    sc_timer timer;
};

static int
HexDigit(int c)
{
    if (c >= '0' && c <= '9') {
	return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
	return c - 'a' + 10;
    }
    return -1;
}

static int
HexDrain(void *inst)
{
    struct hex *h = inst;

    while (h->heldLen > 0) {
	int err = 0;
	long n = sc__below_output(&h->layer->below, h->held + h->heldStart,
		h->heldLen, &err);

	if (n <= 0) {
	    return n == 0 ? EAGAIN : err;
	}
	h->heldStart += (size_t) n;
	h->heldLen -= (size_t) n;
    }
    h->heldStart = 0;
    return sc__below_drain(&h->layer->below);
}

static void HexRewatch(struct hex *h);

static void
HexTimer(void *clientData)
{
    struct hex *h = clientData;

    h->timer = 0;
    if ((h->want & SC_READABLE) && sc__below_ready(&h->layer->below)) {
	sc__layer_notify(h->layer, SC_READABLE);
    }
}

static void
HexRewatch(struct hex *h)
{
    int mask = h->want | (h->heldLen > 0 ? SC_WRITABLE : 0);

    if ((h->want & SC_READABLE) && sc__below_ready(&h->layer->below)
	    && h->timer == 0) {
	h->timer = sc_create_timer(h->layer->below.chan->loop, 0, HexTimer,
		h);
    }
    if (mask != h->belowWant) {
	h->belowWant = mask;
	(void) sc__below_watch(&h->layer->below, mask);
    }
}

static long
HexInput(void *inst, char *buf, size_t n, int *errPtr)
{
    struct hex *h = inst;
    char raw[512];
    size_t got = 0;

    while (got == 0) {
	size_t want = 2 * n < sizeof(raw) ? 2 * n : sizeof(raw);
	long r = sc__below_input(&h->layer->below, raw, want, errPtr);
	long i;

	if (r <= 0) {
	    HexRewatch(h);
	    return r;
	}
	for (i = 0; i < r; i++) {
	    int d = HexDigit((unsigned char) raw[i]);

	    if (d < 0) {
		*errPtr = EILSEQ;
		return -1;
	    }
	    if (h->half < 0) {
		h->half = d;
	    } else {
		buf[got++] = (char) (h->half * 16 + d);
		h->half = -1;
	    }
	}
    }
    HexRewatch(h);
    return (long) got;
}

static long
HexOutput(void *inst, const char *buf, size_t n, int *errPtr)
{
    struct hex *h = inst;
    size_t i, take;
    int err = HexDrain(h);

    if (err == 0 && h->heldLen > 0) {
	err = EAGAIN;
    }
    if (err != 0) {
	HexRewatch(h);
	*errPtr = err;
	return -1;
    }
    take = n < sizeof(h->held) / 2 ? n : sizeof(h->held) / 2;
    for (i = 0; i < take; i++) {
	snprintf(h->held + 2 * i, 3, "%02x", (unsigned char) buf[i]);
    }
    h->heldLen = 2 * take;
    h->encoded += (long) take;
    err = HexDrain(h);
    HexRewatch(h);
    if (err != 0 && err != EAGAIN) {
	*errPtr = err;
	return -1;
    }
    return (long) take;
}

static int
HexClose(void *inst, int direction)
{
    struct hex *h = inst;
    int err;

    if (direction == SC_WRITABLE) {
	err = HexDrain(h);
	if (err != 0) {
	    HexRewatch(h);
	    return err;
	}
    }
    if (direction != 0) {
	return sc__below_close(&h->layer->below, direction);
    }
    if (h->timer) {
	sc_delete_timer(h->layer->below.chan->loop, h->timer);
    }
    free(h);
    return 0;
}

static int
HexWatch(void *inst, int mask)
{
    struct hex *h = inst;

    h->want = mask;
    HexRewatch(h);
    return 0;
}

static int
HexEvent(void *inst, int mask)
{
    struct hex *h = inst;

    if ((mask & SC_WRITABLE) && h->heldLen > 0) {
	(void) HexDrain(h);
	HexRewatch(h);
    }
    return mask & h->want;
}

static size_t
HexHeld(void *inst)
{
    struct hex *h = inst;

    return h->heldLen + sc__below_held(&h->layer->below);
}

static int
HexBlockMode(void *inst, int blocking)
{
    return sc__below_blockmode(&((struct hex *) inst)->layer->below,
	    blocking);
}

static int
HexHandle(void *inst, int direction)
{
    return sc__below_handle(&((struct hex *) inst)->layer->below,
	    direction);
}

static int
HexGet(void *inst, const char *name, struct sc__str *out)
{
    struct hex *h = inst;

    if (name == NULL) {
	sc__str_appendf(out, "%s-hexcount %ld", out->len ? " " : "",
		h->encoded);
	return sc__below_get(&h->layer->below, NULL, out);
    }
    if (strcmp(name, "-hexcount") == 0) {
	sc__str_appendf(out, "%ld", h->encoded);
	return 0;
    }
    return sc__below_get(&h->layer->below, name, out);
}

static int
HexSet(void *inst, const char *name, const char *value)
{
    return sc__below_set(&((struct hex *) inst)->layer->below, name, value);
}

static void
HexName(void *inst, char *buf, size_t size)
{
    sc__below_name(&((struct hex *) inst)->layer->below, buf, size);
}

static const struct sc__chan_type hexType = {
    "hex", HexInput, HexOutput, HexClose, HexWatch, HexBlockMode,
    HexHandle, HexGet, HexSet, "-hexcount", HexName, SC_TRANS_LF
};
static const struct sc__transform_ops hexOps = {
    HexEvent, HexHeld, HexDrain
};

static void *
HexCreate(void *clientData, struct sc__layer *layer)
{
    struct hex *h = calloc(1, sizeof(*h));

    (void) clientData;
    assert_non_null(h);
    h->layer = layer;
    h->half = -1;
    return h;
}

static void
PushHex(sc_chan *chan)
{
    assert_int_equal(sc__chan_push(chan, &hexType, &hexOps, HexCreate, NULL),
	    0);
}

/* Read from a raw descriptor until n bytes or end of file, running the
 * loop between reads (the channel flushes in the background). */
static size_t
DrainPeer(sc_loop *loop, int fd, char *buf, size_t n, int *eofPtr)
{
    size_t got = 0;
    uint64_t end = sct_ms() + 20000;
    int wantEof = *eofPtr;

    *eofPtr = 0;
    (void) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    while (got < n && sct_ms() < end) {
	ssize_t r = read(fd, buf + got, n - got < 997 ? n - got : 997);

	if (r > 0) {
	    got += (size_t) r;
	    continue;
	}
	if (r == 0) {
	    *eofPtr = 1;
	    break;
	}
	assert_true(errno == EAGAIN);
	(void) sc_do_one_event(loop, SC_ALL_EVENTS | SC_DONT_WAIT);
	(void) poll(NULL, 0, 1);
    }
    if (got == n && !*eofPtr && wantEof) {
	char c;
	uint64_t until = sct_ms() + 5000;

	while (sct_ms() < until) {
	    ssize_t r = read(fd, &c, 1);

	    if (r == 0) {
		*eofPtr = 1;
		break;
	    }
	    if (r > 0) {
		fail_msg("more bytes than expected");
	    }
	    if (sc_do_one_event(loop, SC_ALL_EVENTS | SC_DONT_WAIT) == 0) {
		(void) poll(NULL, 0, 1);
	    }
	}
    }
    return got;
}

static void
WriteAll(int fd, const char *s)
{
    size_t n = strlen(s);

    assert_int_equal(write(fd, s, n), (ssize_t) n);
}

/* Lines, translation, encodings, options and pop, through hex. */
static void
hex_lines_options_and_pop(void **state)
{
    sc_loop *loop = sct_loop();
    int peer, eof;
    sc_chan *chan = sct_pair_chan(loop, &peer, 0);
    char *line = NULL, *v;
    size_t cap = 0;
    char buf[64];

    (void) state;
    /* Plain text first, with the start of the hex already buffered: the
     * push hands it down. */
    WriteAll(peer, "plain\n68690d0a");
    assert_int_equal(sc_gets(chan, &line, &cap), 5);
    assert_string_equal(line, "plain");
    assert_true(sc_pending(chan, SC_READABLE) > 0);
    PushHex(chan);
    WriteAll(peer, "c3a90a");	/* "é\n" in UTF-8. */
    assert_int_equal(sc_gets(chan, &line, &cap), 2);
    assert_string_equal(line, "hi");
    assert_int_equal(sc_gets(chan, &line, &cap), 2);
    assert_string_equal(line, "\xc3\xa9");
    /* Output: crlf translation, then iso8859-1. */
    assert_int_equal(sc_chan_configure(chan, "-translation", "crlf"), 0);
    assert_int_equal(sc_chan_set_encoding(chan, "iso8859-1"), 0);
    assert_int_equal(sc_puts(chan, "\xc3\xa9"), 0);
    assert_int_equal(sc_flush(chan), 0);
    eof = 0;
    assert_int_equal(DrainPeer(loop, peer, buf, 6, &eof), 6);
    assert_memory_equal(buf, "e90d0a", 6);
    /* Options of both layers. */
    sct_expect(chan, "-hexcount", "3");
    v = sc_chan_cget(chan, NULL);
    assert_non_null(v);
    assert_non_null(strstr(v, "-hexcount 3"));
    assert_non_null(strstr(v, "-translation"));
    free(v);
    assert_int_equal(sc_chan_configure(chan, "-bogus", "1"), -1);
    assert_non_null(strstr(sc_errmsg(loop), "-hexcount"));
    /* Pop: plain again, both ways. */
    assert_int_equal(sc_chan_pop(chan), 0);
    assert_int_equal(sc_chan_pop(chan), -1);
    assert_non_null(strstr(sc_errmsg(loop), "no transform to pop"));
    WriteAll(peer, "bye\r\n");
    assert_int_equal(sc_gets(chan, &line, &cap), 3);
    assert_string_equal(line, "bye");
    assert_int_equal(sc_puts(chan, "ok"), 0);
    assert_int_equal(sc_flush(chan), 0);
    eof = 0;
    assert_int_equal(DrainPeer(loop, peer, buf, 3, &eof), 3);
    assert_memory_equal(buf, "ok\r", 3);
    free(line);
    assert_int_equal(sc_close(chan), 0);
    close(peer);
    sct_loop_free(loop);
}

/*
 * Output held inside the transform is queued output: the limit sees it,
 * a half-close sends all of it before the end of file, a nonblocking
 * close flushes it in the background. The reader is slow (a small
 * socket buffer, read in small pieces).
 */
static void
hex_held_output_slow_reader(void **state)
{
    enum { N = 200000 };
    sc_loop *loop = sct_loop();
    int peer, eof, small = 4096, round;
    char *data = malloc(N), *got = malloc(2 * N + 1);
    long w;

    (void) state;
    assert_non_null(data);
    assert_non_null(got);
    for (round = 0; round < 2; round++) {
	sc_chan *chan = sct_pair_chan(loop, &peer, 1);
	size_t i;

	assert_int_equal(setsockopt(sc_chan_fd(chan, SC_WRITABLE), SOL_SOCKET,
		SO_SNDBUF, &small, sizeof(small)), 0);
	for (i = 0; i < N; i++) {
	    data[i] = (char) ('a' + i % 26);
	}
	assert_int_equal(sc_chan_configure(chan, "-translation", "binary"),
		0);
	PushHex(chan);
	assert_int_equal(sc_chan_set_outputlimit(chan, 50000), 0);
	w = sc_write(chan, data, N);
	assert_true(w > 0 && w < N);	/* The limit. */
	assert_true(sc_pending(chan, SC_WRITABLE) >= 50000 - 2048);
	if (round == 0) {
	    assert_int_equal(sc_close_half(chan, SC_WRITABLE), 0);
	} else {
	    assert_int_equal(sc_close(chan), 0);
	}
	eof = 1;
	assert_int_equal(DrainPeer(loop, peer, got, 2 * (size_t) w, &eof),
		2 * w);
	assert_true(eof);
	for (i = 0; i < (size_t) w; i++) {
	    char two[3];

	    snprintf(two, sizeof(two), "%02x", (unsigned char) data[i]);
	    if (memcmp(got + 2 * i, two, 2) != 0) {
		fail_msg("byte %zu differs", i);
	    }
	}
	if (round == 0) {
	    assert_int_equal(sc_close(chan), 0);
	}
	close(peer);
    }
    free(data);
    free(got);
    sct_loop_free(loop);
}

/* Events through the transform: a readable handler sees every line,
 * including input handed down at the push (no event comes from the
 * descriptor for those bytes). */
struct lines {
    sc_chan *chan;
    int count, eof;
    char last[64];
};

static void
LinesReadable(void *clientData, int mask)
{
    struct lines *l = clientData;
    char *line = NULL;
    size_t cap = 0;
    long n;

    (void) mask;
    while ((n = sc_gets(l->chan, &line, &cap)) >= 0) {
	l->count++;
	snprintf(l->last, sizeof(l->last), "%s", line);
    }
    if (n == SC_EOF) {
	l->eof = 1;
	sc_chan_event(l->chan, SC_READABLE, NULL, NULL);
    }
    free(line);
}

static void
hex_events_and_handed_down_input(void **state)
{
    sc_loop *loop = sct_loop();
    int peer;
    struct lines l = {NULL, 0, 0, ""};
    char *line = NULL;
    size_t cap = 0;
    uint64_t end;
    long n;

    (void) state;
    l.chan = sct_pair_chan(loop, &peer, 1);
    WriteAll(peer, "start\n6f6e650a74776f0a");
    end = sct_ms() + 5000;
    while ((n = sc_gets(l.chan, &line, &cap)) == SC_BLOCKED
	    && sct_ms() < end) {
	poll(NULL, 0, 1);
    }
    assert_int_equal(n, 5);
    PushHex(l.chan);
    assert_int_equal(sc_chan_event(l.chan, SC_READABLE, LinesReadable, &l),
	    0);
    /* Handed down: no event comes from the descriptor for these. */
    sct_wait_count(loop, &l.count, 2, 5000);
    assert_string_equal(l.last, "two");
    WriteAll(peer, "7468726565");
    WriteAll(peer, "0");
    WriteAll(peer, "a");
    sct_wait_count(loop, &l.count, 3, 5000);
    assert_string_equal(l.last, "three");
    shutdown(peer, SHUT_WR);
    sct_wait_for(loop, &l.eof, 5000);
    free(line);
    sc_close(l.chan);
    close(peer);
    sct_loop_free(loop);
}

/* The splice fast path must not bypass a transform: a copy from a hex
 * channel delivers decoded bytes. */
struct done {
    int fired;
    long long bytes;
};

static void
CopyDone(void *clientData, long long bytes, const char *errmsg)
{
    struct done *d = clientData;

    d->fired = 1;
    d->bytes = bytes;
    assert_null(errmsg);
}

static void
hex_copy_decodes(void **state)
{
    sc_loop *loop = sct_loop();
    int inPeer, outPeer, eof;
    sc_chan *in = sct_pair_chan(loop, &inPeer, 1);
    sc_chan *out = sct_pair_chan(loop, &outPeer, 1);
    struct done d = {0, 0};
    char buf[16];

    (void) state;
    sc_chan_configure(in, "-translation", "binary");
    sc_chan_configure(out, "-translation", "binary");
    PushHex(in);
    assert_int_equal(sc_chan_copy(in, out, -1, CopyDone, &d), 0);
    WriteAll(inPeer, "68656c6c6f");
    shutdown(inPeer, SHUT_WR);
    sct_wait_for(loop, &d.fired, 5000);
    assert_int_equal(d.bytes, 5);
    eof = 0;
    assert_int_equal(DrainPeer(loop, outPeer, buf, 5, &eof), 5);
    assert_memory_equal(buf, "hello", 5);
    sc_close(in);
    sc_close(out);
    close(inPeer);
    close(outPeer);
    sct_loop_free(loop);
}

/* Blocking reads and writes through the transform; a push refused when
 * part of a character was decoded. */
static void
hex_blocking_and_refused_push(void **state)
{
    sc_loop *loop = sct_loop();
    int peer, eof;
    sc_chan *chan = sct_pair_chan(loop, &peer, 0);
    char buf[16], *line = NULL;
    size_t cap = 0;

    (void) state;
    sc_chan_configure(chan, "-translation", "binary");
    PushHex(chan);
    WriteAll(peer, "414243");
    assert_int_equal(sc_read(chan, buf, 3), 3);
    assert_memory_equal(buf, "ABC", 3);
    assert_int_equal(sc_write(chan, "xy", 2), 2);
    assert_int_equal(sc_flush(chan), 0);
    eof = 0;
    assert_int_equal(DrainPeer(loop, peer, buf, 4, &eof), 4);
    assert_memory_equal(buf, "7879", 4);
    assert_int_equal(sc_chan_pop(chan), 0);
    /* A read that split a character can't be handed down. */
    sc_chan_configure(chan, "-translation", "auto");
    WriteAll(peer, "a\r");
    assert_int_equal(sc_gets(chan, &line, &cap), 1);
    free(line);
    assert_int_equal(sc__chan_push(chan, &hexType, &hexOps, HexCreate, NULL),
	    -1);
    assert_non_null(strstr(sc_errmsg(loop), "part of a line or character"));
    sc_close(chan);
    close(peer);
    sct_loop_free(loop);
}

/*
 *----------------------------------------------------------------------
 *
 * TLS: certificates and servers --
 *
 *----------------------------------------------------------------------
 */

static char certDir[256];
static int certsMade;

static void
RemoveCerts(void)
{
    char cmd[300];

    if (certsMade) {
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", certDir);
	(void) system(cmd);
    }
}

static const char *
Cert(const char *name)
{
    static char bufs[8][300];
    static int next;
    char *b = bufs[next++ % 8];

    if (certDir[0] == '\0') {
	const char *env = getenv("SCT_TLS_CERTS");
	char cmd[600];

	if (env != NULL && env[0]) {
	    snprintf(certDir, sizeof(certDir), "%s", env);
	    snprintf(cmd, sizeof(cmd), "%s/ca.pem", certDir);
	}
	if (env == NULL || !env[0] || access(cmd, R_OK) != 0) {
	    snprintf(certDir, sizeof(certDir), "/tmp/sct-tls-XXXXXX");
	    assert_non_null(mkdtemp(certDir));
	    certsMade = 1;
	    atexit(RemoveCerts);
	    snprintf(cmd, sizeof(cmd), "sh '%s/tests/tls_certs.sh' '%s'",
		    SCT_SOURCE_DIR, certDir);
	    assert_int_equal(system(cmd), 0);
	}
    }
    snprintf(b, 300, "%s/%s", certDir, name);
    return b;
}

static int
PortOf(sc_chan *chan)
{
    char *v = sc_chan_cget(chan, "-sockname"), *p;
    int port;

    assert_non_null(v);
    p = strrchr(v, ' ');
    assert_non_null(p);
    port = atoi(p + 1);
    free(v);
    return port;
}

/* An echo server: lines back as they come; "whoami" answers the peer
 * certificate's subject and the ALPN protocol. */
struct echoConn {
    sc_chan *chan;
    int *errors;
};

static void
EchoReadable(void *clientData, int mask)
{
    struct echoConn *e = clientData;
    char *line = NULL;
    size_t cap = 0;
    long n;

    (void) mask;
    while ((n = sc_gets(e->chan, &line, &cap)) >= 0) {
	if (strcmp(line, "whoami") == 0) {
	    char *s = sc_chan_cget(e->chan, "-subject");
	    char *a = sc_chan_cget(e->chan, "-alpn");

	    sc_printf(e->chan, "subject=%s alpn=%s\n", s ? s : "?",
		    a ? a : "?");
	    free(s);
	    free(a);
	} else {
	    sc_puts(e->chan, line);
	}
	sc_flush(e->chan);
    }
    free(line);
    if (n == SC_ERROR || n == SC_EOF) {
	if (n == SC_ERROR && e->errors != NULL) {
	    (*e->errors)++;
	}
	sc_close(e->chan);
	free(e);
    }
}

struct server {
    sc_tls_options o;		/* flags 0 (with no certfile): plain. */
    int errors, accepted;
    sc_chan *last;
};

static void
Accept(void *clientData, sc_chan *chan, const char *address, int port)
{
    struct server *s = clientData;
    struct echoConn *e = calloc(1, sizeof(*e));

    (void) address;
    (void) port;
    assert_non_null(e);
    s->accepted++;
    e->chan = chan;
    e->errors = &s->errors;
    assert_int_equal(sc_chan_set_blocking(chan, 0), 0);
    if (s->o.certfile != NULL) {
	assert_int_equal(sc_tls_push(chan, &s->o), 0);
    } else {
	sc_puts(chan, "220 a plain-text server");	/* As SMTP's. */
	sc_flush(chan);
    }
    s->last = chan;
    assert_int_equal(sc_chan_event(chan, SC_READABLE, EchoReadable, e), 0);
}

static sc_chan *
ServerIn(sc_loop *loop, struct server *s, const char *cert,
	const char *key)
{
    sc_chan *srv;

    s->o.flags |= SC_TLS_SERVER;
    s->o.certfile = cert ? Cert(cert) : NULL;
    s->o.keyfile = key ? Cert(key) : NULL;
    s->o.cafile = Cert("ca.pem");
    srv = sc_open_tcp_server(loop, "0", "127.0.0.1", Accept, s);
    assert_non_null(srv);
    return srv;
}

/* The same server in a child process (for blocking clients). */
struct child {
    pid_t pid;
    int port;
    int control;		/* Closing it ends the child. */
};

static void
ChildControl(void *clientData, int mask)
{
    (void) mask;
    *(int *) clientData = 1;
}

static void
ServerChild(struct child *c, const char *cert, const char *key, int flags,
	const char *alpn)
{
    int portPipe[2], control[2];
    char buf[16];
    ssize_t n;

    assert_int_equal(pipe2(portPipe, O_CLOEXEC), 0);
    assert_int_equal(pipe2(control, O_CLOEXEC), 0);
    (void) Cert("ca.pem");
    c->pid = fork();
    assert_true(c->pid >= 0);
    if (c->pid == 0) {
	sc_loop *loop = sc_loop_new(0);
	struct server s;
	sc_chan *srv;
	int stop = 0;

	memset(&s, 0, sizeof(s));
	s.o.flags = flags;
	s.o.alpn = alpn;
	close(portPipe[0]);
	close(control[1]);
	srv = ServerIn(loop, &s, cert, key);
	if (cert == NULL) {
	    s.o.certfile = NULL;
	}
	n = snprintf(buf, sizeof(buf), "%d\n", PortOf(srv));
	if (write(portPipe[1], buf, (size_t) n) != n) {
	    _exit(2);
	}
	close(portPipe[1]);
	sc_create_file_handler(loop, control[0], SC_READABLE, ChildControl,
		&stop);
	sc_vwait(loop, &stop);
	_exit(0);
    }
    close(portPipe[1]);
    close(control[0]);
    n = read(portPipe[0], buf, sizeof(buf) - 1);
    assert_true(n > 0);
    buf[n] = '\0';
    c->port = atoi(buf);
    c->control = control[1];
    close(portPipe[0]);
}

static void
StopChild(struct child *c)
{
    int status;

    close(c->control);
    assert_int_equal(waitpid(c->pid, &status, 0), c->pid);
}

static sc_chan *
BlockingClient(sc_loop *loop, const char *host, int port,
	sc_tls_options *o)
{
    char p[16];
    sc_tcp_options t = {NULL, NULL, 0, 5000};

    snprintf(p, sizeof(p), "%d", port);
    return sc_open_tls_client(loop, host, p, &t, o);
}

/*
 *----------------------------------------------------------------------
 *
 * TLS cases --
 *
 *----------------------------------------------------------------------
 */

/* A blocking client: handshake at the call, data both ways, the
 * queries, close. */
static void
tls_blocking_client(void **state)
{
    sc_loop *loop = sct_loop();
    struct child c;
    sc_tls_options o;
    sc_chan *chan;
    char *line = NULL, *v;
    size_t cap = 0;

    (void) state;
    ServerChild(&c, "server.pem", "server.key", 0, NULL);
    memset(&o, 0, sizeof(o));
    o.cafile = Cert("ca.pem");
    chan = BlockingClient(loop, "localhost", c.port, &o);
    if (chan == NULL) {
	fail_msg("%s", sc_errmsg(loop));
    }
    assert_int_equal(sc_puts(chan, "hello over TLS"), 0);
    assert_int_equal(sc_flush(chan), 0);
    assert_int_equal(sc_gets(chan, &line, &cap), 14);
    assert_string_equal(line, "hello over TLS");
    sct_expect(chan, "-protocol", "TLSv1.3");
    sct_expect(chan, "-verify", "ok");
    sct_expect(chan, "-servername", "localhost");
    sct_expect(chan, "-subject", "CN=localhost");
    sct_expect(chan, "-issuer", "CN=sockchan test CA");
    sct_expect(chan, "-san", "DNS:localhost IP:127.0.0.1 IP:::1");
    sct_expect(chan, "-error", "");
    v = sc_chan_cget(chan, "-sha256");
    assert_non_null(v);
    assert_int_equal(strlen(v), 95);
    free(v);
    v = sc_chan_cget(chan, NULL);
    assert_non_null(v);
    assert_non_null(strstr(v, "-cipher TLS_"));
    assert_non_null(strstr(v, "-peername"));
    free(v);
    free(line);
    assert_int_equal(sc_close(chan), 0);
    StopChild(&c);
    sct_loop_free(loop);
}

/* The asynchronous client: the outcome comes as a connect's does. */
struct async {
    sc_chan *chan;
    int writable;
};

static void
AsyncWritable(void *clientData, int mask)
{
    struct async *a = clientData;

    (void) mask;
    a->writable++;
    sc_chan_event(a->chan, SC_WRITABLE, NULL, NULL);
}

static sc_chan *
AsyncClient(sc_loop *loop, const char *host, int port, sc_tls_options *o,
	long timeout, struct async *a)
{
    char p[16];
    sc_tcp_options t = {NULL, NULL, SC_TCP_ASYNC, timeout};

    snprintf(p, sizeof(p), "%d", port);
    a->writable = 0;
    a->chan = sc_open_tls_client(loop, host, p, &t, o);
    assert_non_null(a->chan);
    assert_int_equal(sc_chan_event(a->chan, SC_WRITABLE, AsyncWritable, a),
	    0);
    return a->chan;
}

static void
tls_nonblocking_echo(void **state)
{
    sc_loop *loop = sct_loop();
    struct server s;
    sc_chan *srv, *chan;
    sc_tls_options o;
    struct async a;
    struct lines l = {NULL, 0, 0, ""};
    int i;

    (void) state;
    memset(&s, 0, sizeof(s));
    srv = ServerIn(loop, &s, "server.pem", "server.key");
    memset(&o, 0, sizeof(o));
    o.cafile = Cert("ca.pem");
    chan = AsyncClient(loop, "127.0.0.1", PortOf(srv), &o, 0, &a);
    sct_expect(chan, "-connecting", "1");
    sct_wait_for(loop, &a.writable, 20000);
    sct_expect(chan, "-error", "");
    sct_expect(chan, "-connecting", "0");
    sct_expect(chan, "-servername", "");	/* No SNI for an IP literal. */
    for (i = 0; i < 100; i++) {
	assert_int_equal(sc_printf(chan, "line %d\n", i), 0);
    }
    assert_int_equal(sc_flush(chan), 0);
    l.chan = chan;
    assert_int_equal(sc_chan_event(chan, SC_READABLE, LinesReadable, &l),
	    0);
    sct_wait_count(loop, &l.count, 100, 5000);
    assert_string_equal(l.last, "line 99");
    assert_int_equal(sc_close(chan), 0);
    assert_int_equal(sc_close(srv), 0);
    /* The server's side sees the close and closes. */
    while (sc_do_one_event(loop, SC_ALL_EVENTS | SC_DONT_WAIT) > 0) {
    }
    for (i = 0; i < 50 && sc_loop_handlers(loop, SC_FILE_EVENTS) > 0; i++) {
	sc_do_one_event(loop, SC_ALL_EVENTS | SC_DONT_WAIT);
	poll(NULL, 0, 2);
    }
    assert_int_equal(s.errors, 0);
    sct_loop_free(loop);
}

/* Verification failures, with their exact words, blocking and not. */
static void
ExpectFail(const char *cert, const char *key, const char *host,
	const char *why)
{
    sc_loop *loop = sct_loop();
    struct child c;
    sc_tls_options o;
    struct async a;
    char expect[200];

    ServerChild(&c, cert, key, 0, NULL);
    memset(&o, 0, sizeof(o));
    o.cafile = Cert("ca.pem");
    assert_null(BlockingClient(loop, host, c.port, &o));
    snprintf(expect, sizeof(expect), "couldn't open socket: %s", why);
    assert_string_equal(sc_errmsg(loop), expect);
    (void) AsyncClient(loop, host, c.port, &o, 0, &a);
    sct_wait_for(loop, &a.writable, 20000);
    sct_expect(a.chan, "-error", why);
    assert_int_equal(sc_puts(a.chan, "x"), 0);
    assert_int_equal(sc_flush(a.chan), SC_ERROR);
    sc_close(a.chan);
    StopChild(&c);
    sct_loop_free(loop);
}

static void
tls_verify_untrusted(void **state)
{
    (void) state;
    ExpectFail("rogue-server.pem", "rogue-server.key", "localhost",
	    "certificate verify failed (unable to get local issuer "
	    "certificate)");
}

static void
tls_verify_expired(void **state)
{
    (void) state;
    ExpectFail("expired.pem", "expired.key", "localhost",
	    "certificate verify failed (certificate has expired)");
}

static void
tls_verify_misnamed(void **state)
{
    (void) state;
    ExpectFail("other.pem", "other.key", "localhost",
	    "certificate verify failed (hostname mismatch)");
    ExpectFail("other.pem", "other.key", "127.0.0.1",
	    "certificate verify failed (IP address mismatch)");
}

/* Verification off is explicit, and then the misnamed one connects. */
static void
tls_noverify_is_explicit(void **state)
{
    sc_loop *loop = sct_loop();
    struct child c;
    sc_tls_options o;
    sc_chan *chan;

    (void) state;
    ServerChild(&c, "rogue-server.pem", "rogue-server.key", 0, NULL);
    memset(&o, 0, sizeof(o));
    o.flags = SC_TLS_NOVERIFY;
    chan = BlockingClient(loop, "localhost", c.port, &o);
    assert_non_null(chan);
    sct_expect(chan, "-subject", "CN=localhost");
    sc_close(chan);
    StopChild(&c);
    sct_loop_free(loop);
}

/* Client certificates (required), and ALPN. */
static void
tls_client_cert_and_alpn(void **state)
{
    sc_loop *loop = sct_loop();
    struct child c;
    sc_tls_options o;
    sc_chan *chan;
    char *line = NULL;
    size_t cap = 0;

    (void) state;
    ServerChild(&c, "server.pem", "server.key", SC_TLS_REQUIRE,
	    "h2,http/1.1");
    memset(&o, 0, sizeof(o));
    o.cafile = Cert("ca.pem");
    o.alpn = "http/1.1";
    /* Without a certificate, the server refuses (TLS 1.3: the client
     * learns at its first read). */
    chan = BlockingClient(loop, "localhost", c.port, &o);
    if (chan != NULL) {
	sc_puts(chan, "whoami");
	sc_flush(chan);
	assert_true(sc_gets(chan, &line, &cap) < 0);
	sc_close(chan);
    }
    o.certfile = Cert("client.pem");
    o.keyfile = Cert("client.key");
    chan = BlockingClient(loop, "localhost", c.port, &o);
    if (chan == NULL) {
	fail_msg("%s", sc_errmsg(loop));
    }
    sct_expect(chan, "-alpn", "http/1.1");
    assert_int_equal(sc_puts(chan, "whoami"), 0);
    assert_int_equal(sc_flush(chan), 0);
    assert_true(sc_gets(chan, &line, &cap) > 0);
    assert_string_equal(line, "subject=CN=sockchan client alpn=http/1.1");
    free(line);
    sc_close(chan);
    StopChild(&c);
    sct_loop_free(loop);
}

/*
 * STARTTLS: plain text, then TLS on the same connection. The server has
 * already read the start of the ClientHello with its plain line: the
 * push hands it down.
 */
static void
tls_starttls_hands_input_down(void **state)
{
    sc_loop *loop = sct_loop();
    int cfd, sfd;
    sc_chan *client, *server;
    sc_tls_options co, so;
    struct async a;
    char *line = NULL;
    size_t cap = 0;
    long n;
    uint64_t end;

    (void) state;
    sct_tcp_pair(&cfd, &sfd);
    client = sc_chan_open_fd(loop, cfd, SC_READABLE | SC_WRITABLE, 0);
    server = sc_chan_open_fd(loop, sfd, SC_READABLE | SC_WRITABLE, 0);
    assert_non_null(client);
    assert_non_null(server);
    sc_chan_set_blocking(client, 0);
    sc_chan_set_blocking(server, 0);
    assert_int_equal(sc_puts(client, "STARTTLS"), 0);
    memset(&co, 0, sizeof(co));
    co.cafile = Cert("ca.pem");
    co.servername = "localhost";
    assert_int_equal(sc_tls_push(client, &co), 0);
    assert_int_equal(sc_flush(client), 0);
    /* The line and the ClientHello are both on their way. */
    end = sct_ms() + 5000;
    while ((n = sc_gets(server, &line, &cap)) == SC_BLOCKED
	    && sct_ms() < end) {
	poll(NULL, 0, 1);
    }
    assert_int_equal(n, 8);
    assert_string_equal(line, "STARTTLS");
    for (end = sct_ms() + 5000; sc_pending(server, SC_READABLE) == 0
	    && sct_ms() < end; poll(NULL, 0, 1)) {
	(void) sc_read(server, NULL, 0);
    }
    assert_true(sc_pending(server, SC_READABLE) > 0);
    memset(&so, 0, sizeof(so));
    so.flags = SC_TLS_SERVER;
    so.certfile = Cert("server.pem");
    so.keyfile = Cert("server.key");
    assert_int_equal(sc_tls_push(server, &so), 0);
    a.chan = client;
    a.writable = 0;
    sc_chan_event(client, SC_WRITABLE, AsyncWritable, &a);
    sct_wait_for(loop, &a.writable, 20000);
    sct_expect(client, "-error", "");
    assert_int_equal(sc_puts(client, "secret"), 0);
    assert_int_equal(sc_flush(client), 0);
    end = sct_ms() + 5000;
    while ((n = sc_gets(server, &line, &cap)) == SC_BLOCKED
	    && sct_ms() < end) {
	sc_do_one_event(loop, SC_ALL_EVENTS | SC_DONT_WAIT);
	poll(NULL, 0, 1);
    }
    assert_int_equal(n, 6);
    assert_string_equal(line, "secret");
    sct_expect(server, "-protocol", "TLSv1.3");
    free(line);
    sc_close(client);
    sc_close(server);
    for (end = sct_ms() + 2000; sc_loop_handlers(loop, SC_ALL_EVENTS) > 0
	    && sct_ms() < end; poll(NULL, 0, 1)) {
	sc_do_one_event(loop, SC_ALL_EVENTS | SC_DONT_WAIT);
    }
    sct_loop_free(loop);
}

/* A TLS pair in this process over a TCP pair, both nonblocking, with
 * the handshake done. */
static void
TlsPair(sc_loop *loop, sc_chan **client, sc_chan **server)
{
    int cfd, sfd;
    sc_tls_options co, so;
    struct async a;

    sct_tcp_pair(&cfd, &sfd);
    *client = sc_chan_open_fd(loop, cfd, SC_READABLE | SC_WRITABLE, 0);
    *server = sc_chan_open_fd(loop, sfd, SC_READABLE | SC_WRITABLE, 0);
    sc_chan_set_blocking(*client, 0);
    sc_chan_set_blocking(*server, 0);
    sc_chan_configure(*client, "-translation", "binary");
    sc_chan_configure(*server, "-translation", "binary");
    memset(&co, 0, sizeof(co));
    co.cafile = Cert("ca.pem");
    co.servername = "localhost";
    memset(&so, 0, sizeof(so));
    so.flags = SC_TLS_SERVER;
    so.certfile = Cert("server.pem");
    so.keyfile = Cert("server.key");
    assert_int_equal(sc_tls_push(*server, &so), 0);
    assert_int_equal(sc_tls_push(*client, &co), 0);
    a.chan = *client;
    a.writable = 0;
    sc_chan_event(*client, SC_WRITABLE, AsyncWritable, &a);
    sct_wait_for(loop, &a.writable, 20000);
    sct_expect(*client, "-error", "");
}

static void
Settle(sc_loop *loop)
{
    uint64_t end = sct_ms() + 2000;

    while (sc_loop_handlers(loop, SC_ALL_EVENTS) > 0 && sct_ms() < end) {
	if (sc_do_one_event(loop, SC_ALL_EVENTS | SC_DONT_WAIT) == 0) {
	    poll(NULL, 0, 1);
	}
    }
}

/* Read until n bytes, SC_EOF or an error, running the loop. */
static long
ReadSome(sc_loop *loop, sc_chan *chan, char *buf, size_t n)
{
    size_t got = 0;
    uint64_t end = sct_ms() + 10000;

    while (got < n && sct_ms() < end) {
	long r = sc_read(chan, buf + got, n - got);

	if (r > 0) {
	    got += (size_t) r;
	} else if (r == SC_EOF || r == SC_ERROR) {
	    return got > 0 ? (long) got : r;
	} else if (sc_do_one_event(loop, SC_ALL_EVENTS | SC_DONT_WAIT) == 0) {
	    poll(NULL, 0, 1);
	}
    }
    return (long) got;
}

/* Half-close: close_notify and the FIN go after everything; the other
 * way goes on (TLS 1.3). */
static void
tls_half_close(void **state)
{
    enum { N = 300000 };
    sc_loop *loop = sct_loop();
    sc_chan *client, *server;
    char *data = malloc(N), *got = malloc(N);
    size_t i;

    (void) state;
    TlsPair(loop, &client, &server);
    for (i = 0; i < N; i++) {
	data[i] = (char) (i * 7);
    }
    assert_int_equal(sc_write(client, data, N), N);
    assert_int_equal(sc_close_half(client, SC_WRITABLE), 0);
    assert_int_equal(ReadSome(loop, server, got, N), N);
    assert_memory_equal(got, data, N);
    assert_int_equal(ReadSome(loop, server, got, 1), SC_EOF);
    /* The server still writes; the client still reads. */
    assert_int_equal(sc_write(server, "after", 5), 5);
    assert_int_equal(sc_flush(server), 0);
    assert_int_equal(ReadSome(loop, client, got, 5), 5);
    assert_memory_equal(got, "after", 5);
    sc_close(server);
    assert_int_equal(ReadSome(loop, client, got, 1), SC_EOF);
    sc_close(client);
    Settle(loop);
    free(data);
    free(got);
    sct_loop_free(loop);
}

/* A copy through TLS, into a plain channel. */
static void
tls_copy(void **state)
{
    enum { N = 100000 };
    sc_loop *loop = sct_loop();
    sc_chan *client, *server, *out;
    int outPeer, eof;
    struct done d = {0, 0};
    char *data = malloc(N), *got = malloc(N);
    size_t i;

    (void) state;
    TlsPair(loop, &client, &server);
    out = sct_pair_chan(loop, &outPeer, 1);
    sc_chan_configure(out, "-translation", "binary");
    for (i = 0; i < N; i++) {
	data[i] = (char) (i % 251);
    }
    assert_int_equal(sc_chan_copy(server, out, -1, CopyDone, &d), 0);
    assert_int_equal(sc_write(client, data, N), N);
    assert_int_equal(sc_close(client), 0);
    eof = 0;
    assert_int_equal(DrainPeer(loop, outPeer, got, N, &eof), N);
    sct_wait_for(loop, &d.fired, 5000);
    assert_int_equal(d.bytes, N);
    assert_memory_equal(got, data, N);
    sc_close(server);
    sc_close(out);
    close(outPeer);
    Settle(loop);
    free(data);
    free(got);
    sct_loop_free(loop);
}

/* A handshake that stalls (a listener that never answers) hits the
 * connect timeout: blocking at the call, asynchronous by -error. */
static void
tls_stalled_handshake_times_out(void **state)
{
    sc_loop *loop = sct_loop();
    struct sockaddr_in sin;
    socklen_t len = sizeof(sin);
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sc_tls_options o;
    sc_tcp_options t = {NULL, NULL, 0, 300};
    struct async a;
    char port[16];
    uint64_t start;

    (void) state;
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(lfd, (struct sockaddr *) &sin, sizeof(sin)), 0);
    assert_int_equal(listen(lfd, 8), 0);
    assert_int_equal(getsockname(lfd, (struct sockaddr *) &sin, &len), 0);
    snprintf(port, sizeof(port), "%d", ntohs(sin.sin_port));
    memset(&o, 0, sizeof(o));
    o.cafile = Cert("ca.pem");
    start = sct_ms();
    assert_null(sc_open_tls_client(loop, "127.0.0.1", port, &t, &o));
    assert_string_equal(sc_errmsg(loop),
	    "couldn't open socket: connection timed out");
    assert_true(sct_ms() - start >= 250);
    start = sct_ms();
    (void) AsyncClient(loop, "127.0.0.1", atoi(port), &o, 300, &a);
    sct_wait_for(loop, &a.writable, 20000);
    assert_true(sct_ms() - start >= 250);
    sct_expect(a.chan, "-error", "connection timed out");
    sc_close(a.chan);
    close(lfd);
    sct_loop_free(loop);
}

/* Plain text to a TLS server: its side fails, and frees everything. */
static void
tls_plain_text_to_tls_server(void **state)
{
    sc_loop *loop = sct_loop();
    struct server s;
    sc_chan *srv, *plain;
    char p[16];
    uint64_t end;

    (void) state;
    memset(&s, 0, sizeof(s));
    srv = ServerIn(loop, &s, "server.pem", "server.key");
    snprintf(p, sizeof(p), "%d", PortOf(srv));
    plain = sc_open_tcp_client(loop, "127.0.0.1", p, NULL);
    assert_non_null(plain);
    assert_int_equal(sc_puts(plain, "GET / HTTP/1.0\n"), 0);
    assert_int_equal(sc_flush(plain), 0);
    for (end = sct_ms() + 5000; s.errors == 0 && sct_ms() < end; ) {
	sc_do_one_event(loop, SC_ALL_EVENTS | SC_DONT_WAIT);
	poll(NULL, 0, 1);
    }
    assert_int_equal(s.errors, 1);
    sc_close(plain);
    sc_close(srv);
    Settle(loop);
    sct_loop_free(loop);
}

/* TLS to a plain server: the handshake fails with OpenSSL's words. */
static void
tls_to_plain_server(void **state)
{
    sc_loop *loop = sct_loop();
    struct child c;
    sc_tls_options o;
    struct async a;
    char *v;

    (void) state;
    ServerChild(&c, NULL, NULL, 0, NULL);
    memset(&o, 0, sizeof(o));
    o.cafile = Cert("ca.pem");
    (void) AsyncClient(loop, "localhost", c.port, &o, 5000, &a);
    /* The echo server sends the ClientHello's lines back. */
    sct_wait_for(loop, &a.writable, 20000);
    v = sc_chan_cget(a.chan, "-error");
    assert_non_null(v);
    assert_true(v[0] != '\0');
    free(v);
    sc_close(a.chan);
    StopChild(&c);
    sct_loop_free(loop);
}

/* Garbage, then a truncated record, where records should be: an error
 * at the read, not a hang or a crash. */
static void
tls_garbage_and_truncated_records(void **state)
{
    sc_loop *loop = sct_loop();
    sc_chan *client, *server;
    char buf[64];
    int round;

    (void) state;
    for (round = 0; round < 2; round++) {
	int fd;

	TlsPair(loop, &client, &server);
	assert_int_equal(sc_write(server, "good", 4), 4);
	assert_int_equal(sc_flush(server), 0);
	assert_int_equal(ReadSome(loop, client, buf, 4), 4);
	fd = sc_chan_fd(server, SC_WRITABLE);
	if (round == 0) {
	    static const char garbage[] = "\x17\x03\x03\x00\x20"
		    "garbage garbage garbage garbage!";

	    assert_int_equal(write(fd, garbage, sizeof(garbage) - 1),
		    (ssize_t) sizeof(garbage) - 1);
	} else {
	    /* A record header promising more than comes, then the end. */
	    static const char part[] = "\x17\x03\x03\x01\x00short";

	    assert_int_equal(write(fd, part, sizeof(part) - 1),
		    (ssize_t) sizeof(part) - 1);
	    shutdown(fd, SHUT_WR);
	}
	assert_int_equal(ReadSome(loop, client, buf, 10), SC_ERROR);
	assert_non_null(strstr(sc_errmsg(loop), "error reading"));
	sc_close(client);
	sc_close(server);
	Settle(loop);
    }
    sct_loop_free(loop);
}

/* An idle TLS connection keeps no OpenSSL buffers: measured, told, and
 * bounded. */
static void
tls_idle_connection_bytes(void **state)
{
    enum { N = 40 };
    sc_loop *loop = sct_loop();
    sc_chan *client[N], *server[N];
    struct mallinfo2 before, after;
    char buf[8];
    size_t per;
    int i;

    (void) state;
    /* One pair first: the context (trust store) is shared and cached. */
    TlsPair(loop, &client[0], &server[0]);
    sc_close(client[0]);
    sc_close(server[0]);
    Settle(loop);
    before = mallinfo2();
    for (i = 0; i < N; i++) {
	TlsPair(loop, &client[i], &server[i]);
	assert_int_equal(sc_write(client[i], "x", 1), 1);
	assert_int_equal(sc_flush(client[i]), 0);
	assert_int_equal(ReadSome(loop, server[i], buf, 1), 1);
    }
    after = mallinfo2();
    per = (after.uordblks - before.uordblks) / (2 * N);
    print_message("bytes per idle TLS channel (one side): %zu\n", per);
    /* About 18 KB here (the SSL object, the peer's certificate, the
     * session, the channel and its socket); OpenSSL's read and write
     * buffers, if kept, would add about 33 KB. */
    assert_true(per < 28 * 1024);
    for (i = 0; i < N; i++) {
	sc_close(client[i]);
	sc_close(server[i]);
    }
    Settle(loop);
    sct_loop_free(loop);
}

/* Bad options: clear errors, nothing changed. */
static void
tls_bad_options(void **state)
{
    sc_loop *loop = sct_loop();
    int peer;
    sc_chan *chan = sct_pair_chan(loop, &peer, 1);
    sc_tls_options o;

    (void) state;
    memset(&o, 0, sizeof(o));
    o.flags = SC_TLS_SERVER;
    assert_int_equal(sc_tls_push(chan, &o), -1);
    assert_string_equal(sc_errmsg(loop),
	    "couldn't open socket: a TLS server needs a certificate");
    o.flags = 0;
    o.cafile = "/nonexistent/ca.pem";
    assert_int_equal(sc_tls_push(chan, &o), -1);
    assert_non_null(strstr(sc_errmsg(loop), "couldn't load CA certificates "
	    "from \"/nonexistent/ca.pem\""));
    o.cafile = NULL;
    o.alpn = "h2,,x";
    assert_int_equal(sc_tls_push(chan, &o), -1);
    assert_non_null(strstr(sc_errmsg(loop), "bad ALPN list"));
    /* The channel is as it was. */
    sct_expect(chan, "-blocking", "0");
    assert_null(sc_chan_cget(chan, "-protocol"));
    sc_close(chan);
    close(peer);
    sct_loop_free(loop);
}

/*
 * Plaintext OpenSSL holds while the socket is not readable: one 16 KB
 * record arrives at once, the channel takes 1000 bytes a read and the
 * handler 100 an event. The transform must report the rest itself.
 */
struct trickle {
    sc_chan *chan;
    int total, eof;
};

static void
TrickleReadable(void *clientData, int mask)
{
    struct trickle *t = clientData;
    char buf[100];
    long n = sc_read(t->chan, buf, sizeof(buf));

    (void) mask;
    if (n > 0) {
	t->total += (int) n;
    } else if (n == SC_EOF || n == SC_ERROR) {
	t->eof = 1;
	sc_chan_event(t->chan, SC_READABLE, NULL, NULL);
    }
}

static void
tls_buffered_plaintext_fires_events(void **state)
{
    enum { N = 16000 };
    sc_loop *loop = sct_loop();
    sc_chan *client, *server;
    struct trickle t = {NULL, 0, 0};
    char *data = calloc(1, N);

    (void) state;
    assert_non_null(data);
    TlsPair(loop, &client, &server);
    assert_int_equal(sc_chan_set_buffersize(client, 1000), 0);
    t.chan = client;
    assert_int_equal(sc_write(server, data, N), N);
    assert_int_equal(sc_flush(server), 0);
    assert_int_equal(sc_chan_event(client, SC_READABLE, TrickleReadable, &t),
	    0);
    sct_wait_count(loop, &t.total, N, 5000);
    sc_close(server);
    sct_wait_for(loop, &t.eof, 5000);
    assert_int_equal(t.total, N);
    sc_close(client);
    Settle(loop);
    free(data);
    sct_loop_free(loop);
}

/* Without a CA file the system's trust store decides: the test CA is not
 * in it. */
static void
tls_default_trust_is_the_systems(void **state)
{
    sc_loop *loop = sct_loop();
    struct child c;

    (void) state;
    ServerChild(&c, "server.pem", "server.key", 0, NULL);
    assert_null(BlockingClient(loop, "localhost", c.port, NULL));
    /* "unable to get local issuer certificate", or "self-signed
     * certificate in certificate chain" when the server sends its CA. */
    assert_non_null(strstr(sc_errmsg(loop), "couldn't open socket: "
	    "certificate verify failed ("));
    StopChild(&c);
    sct_loop_free(loop);
}

/* An asynchronous client whose connect is refused: -error says so. */
static void
tls_async_connect_refused(void **state)
{
    sc_loop *loop = sct_loop();
    struct sockaddr_in sin;
    socklen_t len = sizeof(sin);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct async a;

    (void) state;
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *) &sin, sizeof(sin)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *) &sin, &len), 0);
    close(fd);			/* Nobody listens there now. */
    (void) AsyncClient(loop, "127.0.0.1", ntohs(sin.sin_port), NULL, 0, &a);
    sct_wait_for(loop, &a.writable, 20000);
    sct_expect(a.chan, "-error", "connection refused");
    sc_close(a.chan);
    sct_loop_free(loop);
}

/*
 * A blocking server: the push does not wait for the client; the
 * handshake completes at the first read. The client (a child process)
 * pushes TLS on a plain descriptor channel, blocking too.
 */
static void
tls_blocking_server_handshakes_at_first_read(void **state)
{
    sc_loop *loop;
    int cfd, sfd, status;
    sc_chan *server;
    sc_tls_options so;
    char *line = NULL;
    size_t cap = 0;
    pid_t pid;

    (void) state;
    (void) Cert("ca.pem");
    sct_tcp_pair(&cfd, &sfd);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
	sc_loop *l = sc_loop_new(0);
	sc_chan *c = sc_chan_open_fd(l, cfd, SC_READABLE | SC_WRITABLE, 0);
	sc_tls_options co;
	char *reply = NULL;
	size_t rcap = 0;
	int ok;

	memset(&co, 0, sizeof(co));
	co.cafile = Cert("ca.pem");
	co.servername = "localhost";
	co.timeout = 30000;	/* Slow under valgrind. */
	ok = c != NULL && sc_tls_push(c, &co) == 0 && sc_puts(c, "ping") == 0
		&& sc_flush(c) == 0 && sc_gets(c, &reply, &rcap) == 4
		&& strcmp(reply, "pong") == 0;
	if (!ok) {
	    fprintf(stderr, "client child: %s\n", sc_errmsg(l));
	}
	/* Everything let go, so that valgrind, which follows the fork,
	 * sees no leak in the child either. */
	if (c != NULL) {
	    (void) sc_close(c);
	}
	free(reply);
	sc_loop_free(l);
	_exit(ok ? 0 : 1);
    }
    close(cfd);
    /* Made after the fork: the child has no copy of it to leak. */
    loop = sct_loop();
    server = sc_chan_open_fd(loop, sfd, SC_READABLE | SC_WRITABLE, 0);
    assert_non_null(server);
    memset(&so, 0, sizeof(so));
    so.flags = SC_TLS_SERVER;
    so.certfile = Cert("server.pem");
    so.keyfile = Cert("server.key");
    assert_int_equal(sc_tls_push(server, &so), 0);
    sct_expect(server, "-connecting", "1");
    assert_int_equal(sc_gets(server, &line, &cap), 4);
    assert_string_equal(line, "ping");
    sct_expect(server, "-protocol", "TLSv1.3");
    assert_int_equal(sc_puts(server, "pong"), 0);
    assert_int_equal(sc_close(server), 0);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    free(line);
    sct_loop_free(loop);
}

/*
 * A temporary self-signed certificate (for a listener without one, as
 * ncat's): a server uses it, a client that turned verification off sees
 * its fingerprint; an existing file is never overwritten.
 */
static void
tls_selfsigned_certificate(void **state)
{
    sc_loop *loop = sct_loop();
    char dir[] = "/tmp/sct-self-XXXXXX", path[64], fp[96], *v;
    sc_chan *client, *server;
    int cfd, sfd;
    sc_tls_options co, so;
    struct async a;
    struct stat st;

    (void) state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/self.pem", dir);
    assert_int_equal(sc_tls_selfsigned(loop, path, "localhost", fp,
	    sizeof(fp)), 0);
    assert_int_equal(strlen(fp), 95);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(sc_tls_selfsigned(loop, path, "localhost", NULL, 0), -1);
    assert_non_null(strstr(sc_errmsg(loop), "file already exists"));

    sct_tcp_pair(&cfd, &sfd);
    client = sc_chan_open_fd(loop, cfd, SC_READABLE | SC_WRITABLE, 0);
    server = sc_chan_open_fd(loop, sfd, SC_READABLE | SC_WRITABLE, 0);
    sc_chan_set_blocking(client, 0);
    sc_chan_set_blocking(server, 0);
    memset(&so, 0, sizeof(so));
    so.flags = SC_TLS_SERVER;
    so.certfile = path;
    memset(&co, 0, sizeof(co));
    co.flags = SC_TLS_NOVERIFY;
    co.servername = "localhost";
    assert_int_equal(sc_tls_push(server, &so), 0);
    assert_int_equal(sc_tls_push(client, &co), 0);
    a.chan = client;
    a.writable = 0;
    sc_chan_event(client, SC_WRITABLE, AsyncWritable, &a);
    sct_wait_for(loop, &a.writable, 20000);
    sct_expect(client, "-error", "");
    sct_expect(client, "-sha256", fp);
    sct_expect(client, "-subject", "CN=localhost");
    v = sc_chan_cget(client, "-verify");
    assert_non_null(v);
    assert_string_not_equal(v, "ok");	/* Self-signed: not trusted. */
    free(v);
    sc_close(client);
    sc_close(server);
    Settle(loop);
    unlink(path);
    rmdir(dir);
    sct_loop_free(loop);
}

/*
 * The generic layer's background close after a half-close, when the peer
 * goes away: the write error ends it (the channel is freed, nothing is
 * left watched), with or without a transform.
 */
static void
half_close_then_close_ends_on_error(void **state)
{
    sc_loop *loop = sct_loop();
    int round;

    (void) state;
    for (round = 0; round < 2; round++) {
	int peer, small = 4096;
	sc_chan *chan = sct_pair_chan(loop, &peer, 1);
	char *data = calloc(1, 200000);
	uint64_t end;

	assert_non_null(data);
	assert_int_equal(setsockopt(sc_chan_fd(chan, SC_WRITABLE), SOL_SOCKET,
		SO_SNDBUF, &small, sizeof(small)), 0);
	sc_chan_configure(chan, "-translation", "binary");
	if (round == 1) {
	    PushHex(chan);
	}
	assert_true(sc_write(chan, data, 200000) > 0);
	assert_true(sc_pending(chan, SC_WRITABLE) > 0);
	assert_int_equal(sc_close_half(chan, SC_WRITABLE), 0);
	assert_int_equal(sc_close(chan), 0);
	close(peer);		/* The rest can't go: EPIPE. */
	for (end = sct_ms() + 5000; sc_loop_handlers(loop, SC_ALL_EVENTS) > 0
		&& sct_ms() < end; ) {
	    sc_do_one_event(loop, SC_ALL_EVENTS | SC_DONT_WAIT);
	    poll(NULL, 0, 1);
	}
	free(data);
    }
    sct_loop_free(loop);
}

static const struct CMUnitTest tests[] = {
    SCT(hex_lines_options_and_pop),
    SCT(hex_held_output_slow_reader),
    SCT(hex_events_and_handed_down_input),
    SCT(hex_copy_decodes),
    SCT(hex_blocking_and_refused_push),
    SCT(tls_blocking_client),
    SCT(tls_nonblocking_echo),
    SCT(tls_verify_untrusted),
    SCT(tls_verify_expired),
    SCT(tls_verify_misnamed),
    SCT(tls_noverify_is_explicit),
    SCT(tls_client_cert_and_alpn),
    SCT(tls_starttls_hands_input_down),
    SCT(tls_half_close),
    SCT(tls_copy),
    SCT(tls_stalled_handshake_times_out),
    SCT(tls_plain_text_to_tls_server),
    SCT(tls_to_plain_server),
    SCT(tls_garbage_and_truncated_records),
    SCT(tls_idle_connection_bytes),
    SCT(tls_bad_options),
    SCT(tls_buffered_plaintext_fires_events),
    SCT(tls_default_trust_is_the_systems),
    SCT(tls_async_connect_refused),
    SCT(tls_blocking_server_handshakes_at_first_read),
    SCT(tls_selfsigned_certificate),
    SCT(half_close_then_close_ends_on_error),
};

SCT_MAIN(tests)
