/*
 * test_chan.c --
 *
 *	The generic I/O layer (src/chan/chan.c), driven through the fd
 *	driver over socketpairs and pipes: lines, reads, translation across
 *	read boundaries, decoding, buffering, nonblocking output and its
 *	limit, events, close and half-close.
 */

#include "harness.h"
#include "core/sys.h"
#include "chan/chan.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* A channel over one end of a socketpair; *peer is the raw other end. */
static void
Send(int fd, const char *s)
{
    size_t n = strlen(s);

    assert_int_equal(write(fd, s, n), (ssize_t) n);
}

/* Everything the peer can read now (nonblocking), NUL terminated. */
static size_t
Drain(int fd, char *buf, size_t size)
{
    size_t got = 0;

    for (;;) {
	ssize_t n = recv(fd, buf + got, size - 1 - got, MSG_DONTWAIT);

	if (n <= 0) {
	    break;
	}
	got += (size_t) n;
    }
    buf[got] = '\0';
    return got;
}

/*
 * Found by fuzz_chan_input. A -buffersize under 4 once asked the driver
 * for 0 bytes when the last buffer was full, and took the 0 for end of
 * file: the rest of the input was lost mid-character.
 */
static void
tiny_buffersize_loses_nothing(void **state)
{
    sc_loop *loop = sct_loop();
    int peer, size;
    char *line = NULL;
    size_t cap = 0;

    (void) state;
    for (size = 1; size <= 4; size++) {
	sc_chan *chan = sct_pair_chan(loop, &peer, 0);

	assert_int_equal(sc_chan_set_buffersize(chan, (size_t) size), 0);
	Send(peer, "caf\xc3\xa9\r\ndef\n");
	shutdown(peer, SHUT_WR);
	assert_int_equal(sc_gets(chan, &line, &cap), 4 + 1);
	assert_string_equal(line, "caf\xc3\xa9");
	assert_int_equal(sc_gets(chan, &line, &cap), 3);
	assert_string_equal(line, "def");
	assert_int_equal(sc_gets(chan, &line, &cap), SC_EOF);
	assert_int_equal(sc_close(chan), 0);
	close(peer);
    }
    free(line);
    sct_loop_free(loop);
}

/*
 * Found by fuzz_chan_input. With -translation auto and -eofchar "\n",
 * the \n of a \r\n is the end of input whether or not it has arrived
 * with its \r (Tcl finds the eofchar before translating).
 */
static void
auto_crlf_with_newline_eofchar(void **state)
{
    sc_loop *loop = sct_loop();
    int peer, split;
    char *line = NULL;
    size_t cap = 0;

    (void) state;
    for (split = 0; split < 2; split++) {
	sc_chan *chan = sct_pair_chan(loop, &peer, 0);

	assert_int_equal(sc_chan_set_eofchar(chan, '\n', 0), 0);
	if (split) {
	    Send(peer, "a\r");
	    assert_int_equal(sc_gets(chan, &line, &cap), 1);
	    Send(peer, "\nb\n");
	} else {
	    Send(peer, "a\r\nb\n");
	    assert_int_equal(sc_gets(chan, &line, &cap), 1);
	}
	assert_string_equal(line, "a");
	assert_int_equal(sc_gets(chan, &line, &cap), SC_EOF);
	assert_int_equal(sc_close(chan), 0);
	close(peer);
    }
    free(line);
    sct_loop_free(loop);
}

static void
gets_tells_line_blocked_and_eof(void **state)
{
    sc_loop *loop = sct_loop();
    int peer;
    sc_chan *chan = sct_pair_chan(loop, &peer, 1);
    char *line = NULL;
    size_t cap = 0;

    (void) state;
    /* Nothing yet: blocked, not end of file. */
    assert_int_equal(sc_gets(chan, &line, &cap), SC_BLOCKED);
    assert_true(sc_blocked(chan));
    assert_false(sc_eof(chan));

    Send(peer, "first\n\nabc");
    assert_int_equal(sc_gets(chan, &line, &cap), 5);
    assert_string_equal(line, "first");
    assert_false(sc_blocked(chan));
    assert_int_equal(sc_gets(chan, &line, &cap), 0);	/* An empty line. */
    assert_string_equal(line, "");
    /* A partial line stays buffered and counts as pending input. */
    assert_int_equal(sc_gets(chan, &line, &cap), SC_BLOCKED);
    assert_int_equal(sc_pending(chan, SC_READABLE), 3);
    Send(peer, "def\nxyz");
    assert_int_equal(sc_gets(chan, &line, &cap), 6);
    assert_string_equal(line, "abcdef");
    /* End of file in the middle of a line: the rest is a line. */
    shutdown(peer, SHUT_WR);
    assert_int_equal(sc_gets(chan, &line, &cap), 3);
    assert_string_equal(line, "xyz");
    assert_true(sc_eof(chan));
    assert_int_equal(sc_gets(chan, &line, &cap), SC_EOF);
    assert_int_equal(sc_gets(chan, &line, &cap), SC_EOF);
    free(line);
    assert_int_equal(sc_close(chan), 0);
    close(peer);
    sct_loop_free(loop);
}

/*
 * \r\n split across two reads, in every input translation. Each row: the
 * mode, then the lines expected from "a\r" followed by "\nb\r\nc\n".
 */
static void
crlf_split_in_every_mode(void **state)
{
    static const struct {
	const char *mode;
	const char *afterFirst;	/* Line from "a\r" alone, or NULL. */
	const char *lines[4];
    } cases[] = {
	{"auto", "a", {"b", "c", NULL}},
	{"lf", NULL, {"a\r", "b\r", "c", NULL}},
	{"binary", NULL, {"a\r", "b\r", "c", NULL}},
	/* As in Tcl, a lone \n is data in cr and crlf modes. */
	{"cr", "a", {"\nb", NULL}},
	{"crlf", NULL, {"a", "b", NULL}},
    };
    size_t i;

    (void) state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
	sc_loop *loop = sct_loop();
	int peer, j;
	sc_chan *chan = sct_pair_chan(loop, &peer, 1);
	char *line = NULL;
	size_t cap = 0;

	assert_int_equal(sc_chan_configure(chan, "-translation",
		cases[i].mode), 0);
	Send(peer, "a\r");
	if (cases[i].afterFirst) {
	    assert_true(sc_gets(chan, &line, &cap) >= 0);
	    assert_string_equal(line, cases[i].afterFirst);
	}
	assert_int_equal(sc_gets(chan, &line, &cap), SC_BLOCKED);
	Send(peer, "\nb\r\nc\n");
	for (j = 0; j < 4 && cases[i].lines[j]; j++) {
	    long n = sc_gets(chan, &line, &cap);

	    if (n < 0) {
		fail_msg("mode %s line %d: %ld", cases[i].mode, j, n);
	    }
	    assert_string_equal(line, cases[i].lines[j]);
	}
	assert_int_equal(sc_gets(chan, &line, &cap), SC_BLOCKED);
	free(line);
	sc_close(chan);
	close(peer);
	sct_loop_free(loop);
    }
}

/* A \r at the very end of input, in crlf mode, is a \r. */
static void
crlf_trailing_cr_at_eof(void **state)
{
    sc_loop *loop = sct_loop();
    int peer;
    sc_chan *chan = sct_pair_chan(loop, &peer, 0);
    char buf[16];

    (void) state;
    assert_int_equal(sc_chan_configure(chan, "-translation", "crlf"), 0);
    Send(peer, "x\r\ny\nz\r");
    shutdown(peer, SHUT_WR);
    assert_int_equal(sc_read(chan, buf, sizeof(buf)), 6);
    assert_memory_equal(buf, "x\ny\nz\r", 6);
    assert_true(sc_eof(chan));
    sc_close(chan);
    close(peer);
    sct_loop_free(loop);
}

static void
utf8_split_and_invalid(void **state)
{
    sc_loop *loop = sct_loop();
    int peer;
    sc_chan *chan = sct_pair_chan(loop, &peer, 1);
    char *line = NULL;
    size_t cap = 0;

    (void) state;
    /* é (C3 A9) split between two arrivals. */
    Send(peer, "h\xc3");
    assert_int_equal(sc_gets(chan, &line, &cap), SC_BLOCKED);
    Send(peer, "\xa9!\n");
    assert_int_equal(sc_gets(chan, &line, &cap), 4);
    assert_string_equal(line, "h\xc3\xa9!");
    /* A byte that starts no valid sequence is that byte's character. */
    Send(peer, "\xff\n");
    assert_int_equal(sc_gets(chan, &line, &cap), 2);
    assert_string_equal(line, "\xc3\xbf");
    free(line);
    sc_close(chan);
    close(peer);
    sct_loop_free(loop);
}

static void
read_counts_and_read_all(void **state)
{
    sc_loop *loop = sct_loop();
    int peer;
    sc_chan *chan = sct_pair_chan(loop, &peer, 0);
    char buf[64], *all = NULL;

    (void) state;
    assert_int_equal(sc_chan_configure(chan, "-translation", "binary"), 0);
    Send(peer, "0123456789");
    assert_int_equal(sc_read(chan, buf, 4), 4);
    assert_memory_equal(buf, "0123", 4);
    assert_int_equal(sc_pending(chan, SC_READABLE), 6);
    Send(peer, "abc");
    shutdown(peer, SHUT_WR);
    /* A blocking read waits for n bytes or end of file. */
    assert_int_equal(sc_read(chan, buf, sizeof(buf)), 9);
    assert_memory_equal(buf, "456789abc", 9);
    assert_true(sc_eof(chan));
    assert_int_equal(sc_read(chan, buf, sizeof(buf)), SC_EOF);
    assert_int_equal(sc_read_all(chan, &all), 0);
    assert_string_equal(all, "");
    free(all);
    sc_close(chan);
    close(peer);

    chan = sct_pair_chan(loop, &peer, 0);
    Send(peer, "line one\r\nline two\r\n");
    shutdown(peer, SHUT_WR);
    assert_int_equal(sc_read_all(chan, &all), 18);
    assert_string_equal(all, "line one\nline two\n");
    free(all);
    sc_close(chan);
    close(peer);
    sct_loop_free(loop);
}

/* A multi-byte character split by the size of a read is not lost. */
static void
read_splits_a_character(void **state)
{
    sc_loop *loop = sct_loop();
    int peer;
    sc_chan *chan = sct_pair_chan(loop, &peer, 0);
    char buf[8], *line = NULL;
    size_t cap = 0;

    (void) state;
    Send(peer, "a\xe2\x82\xac" "b\n");	/* a€b */
    assert_int_equal(sc_read(chan, buf, 2), 2);
    assert_memory_equal(buf, "a\xe2", 2);
    assert_int_equal(sc_pending(chan, SC_READABLE), 4);
    assert_int_equal(sc_gets(chan, &line, &cap), 3);
    assert_memory_equal(line, "\x82\xac" "b", 3);
    free(line);
    sc_close(chan);
    close(peer);
    sct_loop_free(loop);
}

static void
puts_translation_and_buffering(void **state)
{
    sc_loop *loop = sct_loop();
    int peer;
    sc_chan *chan = sct_pair_chan(loop, &peer, 0);
    char buf[256];

    (void) state;
    /* full: nothing goes out before a flush. */
    assert_int_equal(sc_puts(chan, "one"), 0);
    assert_int_equal(sc_puts_nonewline(chan, "two"), 0);
    assert_int_equal(sc_pending(chan, SC_WRITABLE), 7);
    assert_int_equal(Drain(peer, buf, sizeof(buf)), 0);
    assert_int_equal(sc_flush(chan), 0);
    assert_int_equal(sc_pending(chan, SC_WRITABLE), 0);
    Drain(peer, buf, sizeof(buf));
    assert_string_equal(buf, "one\ntwo");

    /* line: out at each newline. */
    assert_int_equal(sc_chan_configure(chan, "-buffering", "line"), 0);
    assert_int_equal(sc_puts_nonewline(chan, "x"), 0);
    assert_int_equal(Drain(peer, buf, sizeof(buf)), 0);
    assert_int_equal(sc_puts(chan, "y"), 0);
    Drain(peer, buf, sizeof(buf));
    assert_string_equal(buf, "xy\n");

    /* none: out at once; crlf and cr translation on output. */
    assert_int_equal(sc_chan_configure(chan, "-buffering", "none"), 0);
    assert_int_equal(sc_chan_configure(chan, "-translation", "crlf"), 0);
    assert_int_equal(sc_puts(chan, "a\nb"), 0);
    Drain(peer, buf, sizeof(buf));
    assert_string_equal(buf, "a\r\nb\r\n");
    assert_int_equal(sc_chan_configure(chan, "-translation", "cr"), 0);
    assert_int_equal(sc_printf(chan, "%d\n%s", 42, "z"), 0);
    Drain(peer, buf, sizeof(buf));
    assert_string_equal(buf, "42\rz");
    /* A long printf goes through the growing path. */
    assert_int_equal(sc_chan_configure(chan, "-translation", "lf"), 0);
    memset(buf, 'q', 200);
    buf[200] = '\0';
    assert_int_equal(sc_printf(chan, "%s|%s", buf, buf), 0);
    {
	char got[512];

	assert_int_equal(Drain(peer, got, sizeof(got)), 401);
	assert_int_equal(got[200], '|');
    }
    sc_close(chan);
    close(peer);
    sct_loop_free(loop);
}

/*
 * Nonblocking output into a pipe nobody reads: the queue stops at the
 * limit (sc_write takes less, sc_puts says blocked), a writable event
 * comes once the reader drains it, and every byte arrives in order.
 */
struct filler {
    sc_chan *chan;
    int readFd;
    size_t written, total, read;
    size_t maxQueued;
    int writableEvents;
    int done;
    unsigned char next;
};

static void
Fill(struct filler *f)
{
    unsigned char block[8192];

    for (;;) {
	size_t i, want = f->total - f->written;
	long n;

	if (want == 0) {
	    sc_chan_event(f->chan, SC_WRITABLE, NULL, NULL);
	    return;
	}
	if (want > sizeof(block)) {
	    want = sizeof(block);
	}
	for (i = 0; i < want; i++) {
	    block[i] = (unsigned char) ((f->written + i) * 7);
	}
	n = sc_write(f->chan, block, want);
	if (sc_pending(f->chan, SC_WRITABLE) > f->maxQueued) {
	    f->maxQueued = sc_pending(f->chan, SC_WRITABLE);
	}
	if (n == SC_BLOCKED) {
	    assert_true(sc_blocked(f->chan));
	    return;
	}
	assert_true(n > 0);
	f->written += (size_t) n;
	if ((size_t) n < want) {
	    assert_true(sc_blocked(f->chan));
	    return;
	}
    }
}

static void
FillWritable(void *clientData, int mask)
{
    struct filler *f = clientData;

    (void) mask;
    f->writableEvents++;
    Fill(f);
}

static void
DrainPipe(void *clientData, int mask)
{
    struct filler *f = clientData;
    unsigned char buf[65536];
    ssize_t n, i;

    (void) mask;
    n = read(f->readFd, buf, sizeof(buf));
    for (i = 0; i < n; i++) {
	if (buf[i] != (unsigned char) ((f->read + (size_t) i) * 7)) {
	    fail_msg("byte %zu is wrong", f->read + (size_t) i);
	}
    }
    if (n > 0) {
	f->read += (size_t) n;
    }
    if (f->read == f->total) {
	f->done = 1;
    }
}

static void
nonblocking_write_respects_limit(void **state)
{
    sc_loop *loop = sct_loop();
    struct filler f;
    int fds[2];

    (void) state;
    memset(&f, 0, sizeof(f));
    assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
    f.readFd = fds[0];
    f.total = 4 * 1024 * 1024;
    f.chan = sc_chan_open_fd(loop, fds[1], SC_WRITABLE, 0);
    assert_non_null(f.chan);
    assert_int_equal(sc_chan_configure(f.chan, "-blocking", "no"), 0);
    assert_int_equal(sc_chan_configure(f.chan, "-outputlimit", "65536"), 0);
    assert_int_equal(sc_chan_configure(f.chan, "-translation", "binary"),
	    0);

    /* Nobody reads yet: the pipe fills, then the queue, then it stops. */
    Fill(&f);
    assert_true(sc_blocked(f.chan));
    assert_true(f.written < f.total);
    assert_true(sc_pending(f.chan, SC_WRITABLE) >= 65536);
    assert_int_equal(sc_puts(f.chan, "more"), SC_BLOCKED);

    /* Now drain, and write on each writable event. */
    assert_int_equal(sc_chan_event(f.chan, SC_WRITABLE, FillWritable, &f),
	    0);
    assert_int_equal(sc_create_file_handler(loop, fds[0], SC_READABLE,
	    DrainPipe, &f), 0);
    sct_wait_for(loop, &f.done, 20000);
    assert_int_equal(f.read, f.total);
    assert_true(f.writableEvents > 0);
    /* Never more than the limit plus one write's worth. */
    assert_true(f.maxQueued <= 65536 + 8192);
    sc_delete_file_handler(loop, fds[0]);
    assert_int_equal(sc_close(f.chan), 0);
    close(fds[0]);
    sct_loop_free(loop);
}

/* Close with output queued on a nonblocking channel: flushed later. */
struct sink {
    int fd;
    size_t got;
    int eof;
};

static void
SinkReadable(void *clientData, int mask)
{
    struct sink *s = clientData;
    char buf[65536];
    ssize_t n = read(s->fd, buf, sizeof(buf));

    (void) mask;
    if (n > 0) {
	s->got += (size_t) n;
    } else {
	s->eof = 1;
    }
}

static void
close_flushes_in_background(void **state)
{
    sc_loop *loop = sct_loop();
    struct sink s = {-1, 0, 0};
    sc_chan *chan = sct_pair_chan(loop, &s.fd, 1);
    static char big[2 * 1024 * 1024];
    long n, total = 0;

    (void) state;
    memset(big, 'b', sizeof(big));
    assert_int_equal(sc_chan_set_outputlimit(chan, sizeof(big)), 0);
    while (total < (long) sizeof(big)) {
	n = sc_write(chan, big + total, sizeof(big) - (size_t) total);
	assert_true(n > 0);
	total += n;
    }
    assert_true(sc_pending(chan, SC_WRITABLE) > 0);
    assert_int_equal(sc_close(chan), 0);	/* Returns at once. */
    assert_int_equal(sc_create_file_handler(loop, s.fd, SC_READABLE,
	    SinkReadable, &s), 0);
    sct_wait_for(loop, &s.eof, 20000);
    assert_int_equal(s.got, sizeof(big));
    sc_delete_file_handler(loop, s.fd);
    close(s.fd);
    sct_loop_free(loop);
}

static void
max_line_length(void **state)
{
    sc_loop *loop = sct_loop();
    int peer;
    sc_chan *chan = sct_pair_chan(loop, &peer, 1);
    char *line = NULL, buf[64];
    size_t cap = 0;
    long n;

    (void) state;
    assert_int_equal(sc_chan_configure(chan, "-maxline", "10"), 0);
    Send(peer, "short\n0123456789ABCDEF\n");
    assert_int_equal(sc_gets(chan, &line, &cap), 5);
    assert_int_equal(sc_gets(chan, &line, &cap), SC_ERROR);
    assert_int_equal(errno, EMSGSIZE);
    snprintf(buf, sizeof(buf), "error reading \"%s\": line longer than "
	    "-maxline (10 bytes)", sc_chan_name(chan));
    assert_string_equal(sc_errmsg(loop), buf);
    /* Nothing is lost: the bytes are still there for read. */
    n = sc_read(chan, buf, sizeof(buf));
    assert_int_equal(n, 17);
    assert_memory_equal(buf, "0123456789ABCDEF\n", 17);
    free(line);
    sc_close(chan);
    close(peer);
    sct_loop_free(loop);
}

/*
 * A partial line does not make a readable handler fire again and again:
 * it waits for the descriptor (Tcl's "need more data").
 */
struct partial {
    sc_chan *chan;
    char *line;
    size_t cap;
    int calls, lines;
};

static void
GetsOnce(void *clientData, int mask)
{
    struct partial *p = clientData;

    (void) mask;
    p->calls++;
    if (sc_gets(p->chan, &p->line, &p->cap) >= 0) {
	p->lines++;
    }
}

static void
partial_line_waits_for_more(void **state)
{
    sc_loop *loop = sct_loop();
    int peer;
    struct partial p;
    uint64_t start;

    (void) state;
    memset(&p, 0, sizeof(p));
    p.chan = sct_pair_chan(loop, &peer, 1);
    Send(peer, "abc\xe2\x82");	/* No line end; half a character. */
    assert_int_equal(sc_chan_event(p.chan, SC_READABLE, GetsOnce, &p), 0);
    start = sct_ms();
    while (sct_ms() - start < 200) {
	sc_do_one_event(loop, SC_DONT_WAIT);
    }
    assert_true(p.calls <= 2);		/* Not thousands. */
    Send(peer, "\xac\n");
    sct_wait_for(loop, &p.lines, 5000);
    assert_int_equal(p.lines, 1);
    assert_string_equal(p.line, "abc\xe2\x82\xac");
    free(p.line);
    sc_close(p.chan);
    close(peer);
    sct_loop_free(loop);
}

/* A \r held in crlf mode, then a switch to lf: it stays in its place. */
static void
held_cr_keeps_its_place(void **state)
{
    sc_loop *loop = sct_loop();
    int peer;
    sc_chan *chan = sct_pair_chan(loop, &peer, 1);
    char *line = NULL, buf[16];
    size_t cap = 0;

    (void) state;
    assert_int_equal(sc_chan_configure(chan, "-translation", "crlf"), 0);
    Send(peer, "abc\r");
    assert_int_equal(sc_gets(chan, &line, &cap), SC_BLOCKED);
    assert_int_equal(sc_chan_configure(chan, "-translation", "lf"), 0);
    Send(peer, "def\n");
    assert_int_equal(sc_gets(chan, &line, &cap), 7);
    assert_string_equal(line, "abc\rdef");
    /* Before an eofchar, too. */
    assert_int_equal(sc_chan_configure(chan, "-translation", "crlf"), 0);
    assert_int_equal(sc_chan_configure(chan, "-eofchar", "\x1a"), 0);
    Send(peer, "xyz\r\x1a" "after");
    assert_int_equal(sc_chan_set_blocking(chan, 1), 0);
    assert_int_equal(sc_read(chan, buf, sizeof(buf)), 4);
    assert_memory_equal(buf, "xyz\r", 4);
    assert_true(sc_eof(chan));
    free(line);
    sc_close(chan);
    close(peer);
    sct_loop_free(loop);
}

/* Half-closed with output queued, then a blocking close: all of it goes. */
struct reader {
    int fd;
    size_t got;
};

static void *
ReadToEof(void *arg)
{
    struct reader *r = arg;
    char buf[65536];
    ssize_t n;

    while ((n = read(r->fd, buf, sizeof(buf))) > 0) {
	r->got += (size_t) n;
    }
    return NULL;
}

static void
close_after_half_close_sends_all(void **state)
{
    sc_loop *loop = sct_loop();
    int peer;
    sc_chan *chan = sct_pair_chan(loop, &peer, 1);
    static char big[512 * 1024];
    long total = 0;
    struct reader r = {-1, 0};
    pthread_t thread;

    (void) state;
    memset(big, 'z', sizeof(big));
    assert_int_equal(sc_chan_set_outputlimit(chan, sizeof(big)), 0);
    while (total < (long) sizeof(big)) {
	total += sc_write(chan, big + total, sizeof(big) - (size_t) total);
    }
    assert_int_equal(sc_close_half(chan, SC_WRITABLE), 0);
    assert_true(sc_pending(chan, SC_WRITABLE) > 0);
    assert_int_equal(sc_chan_set_blocking(chan, 1), 0);
    r.fd = peer;
    assert_int_equal(pthread_create(&thread, NULL, ReadToEof, &r), 0);
    assert_int_equal(sc_close(chan), 0);	/* Blocks until all is sent. */
    pthread_join(thread, NULL);
    assert_int_equal(r.got, sizeof(big));
    close(peer);
    sct_loop_free(loop);
}

/* With crlf the queue still stops near the limit, counting what goes out. */
static void
limit_counts_translated_bytes(void **state)
{
    sc_loop *loop = sct_loop();
    int peer;
    sc_chan *chan = sct_pair_chan(loop, &peer, 1);
    static char nl[1 << 20];
    long n;

    (void) state;
    memset(nl, '\n', sizeof(nl));
    assert_int_equal(sc_chan_configure(chan, "-translation", "crlf"), 0);
    assert_int_equal(sc_chan_configure(chan, "-outputlimit", "65536"), 0);
    n = sc_write(chan, nl, sizeof(nl));
    assert_true(n > 0 && n < (long) sizeof(nl));
    assert_true(sc_pending(chan, SC_WRITABLE) <= 65536 + 2 * 4096);
    sc_close(chan);		/* Flushing in the background... */
    close(peer);		/* ...to a peer that is gone: it ends. */
    assert_int_equal(sc_vwait(loop, NULL), 0);
    sct_loop_free(loop);
}

/* A readable handler fires while buffered input remains. */
struct lines {
    sc_chan *chan;
    char *line;
    size_t cap;
    int calls, got, eof;
};

static void
OneLinePerEvent(void *clientData, int mask)
{
    struct lines *l = clientData;
    long n;

    (void) mask;
    l->calls++;
    n = sc_gets(l->chan, &l->line, &l->cap);
    if (n >= 0) {
	l->got++;
    } else if (n == SC_EOF) {
	l->eof = 1;
	sc_close(l->chan);	/* The handler closes its own channel. */
	l->chan = NULL;
    }
}

static void
readable_fires_while_buffered(void **state)
{
    sc_loop *loop = sct_loop();
    int peer;
    struct lines l;

    (void) state;
    memset(&l, 0, sizeof(l));
    l.chan = sct_pair_chan(loop, &peer, 1);
    Send(peer, "a\nb\nc\n");
    shutdown(peer, SHUT_WR);
    assert_int_equal(sc_chan_event(l.chan, SC_READABLE, OneLinePerEvent,
	    &l), 0);
    sct_wait_for(loop, &l.eof, 5000);
    assert_int_equal(l.got, 3);
    assert_int_equal(l.calls, 4);
    /* Closed from its own handler: nothing more happens, nothing leaks. */
    assert_int_equal(sc_do_one_event(loop, SC_DONT_WAIT), 0);
    free(l.line);
    close(peer);
    sct_loop_free(loop);
}

struct selfRemove {
    sc_chan *chan;
    int calls;
};

static void
WritableOnce(void *clientData, int mask)
{
    struct selfRemove *s = clientData;

    assert_int_equal(mask, SC_WRITABLE);
    s->calls++;
    assert_int_equal(sc_chan_event(s->chan, SC_WRITABLE, NULL, NULL), 0);
}

static void
writable_handler_removes_itself(void **state)
{
    sc_loop *loop = sct_loop();
    int peer, i;
    struct selfRemove s = {NULL, 0};

    (void) state;
    s.chan = sct_pair_chan(loop, &peer, 1);
    assert_int_equal(sc_chan_event(s.chan, SC_WRITABLE, WritableOnce, &s),
	    0);
    for (i = 0; i < 5; i++) {
	sc_do_one_event(loop, SC_DONT_WAIT);
    }
    assert_int_equal(s.calls, 1);
    sc_close(s.chan);
    close(peer);
    sct_loop_free(loop);
}

/*
 * Half-close: everything queued goes before the end of file, and the
 * channel still reads what the peer answers after it.
 */
static void
half_close_sends_everything_first(void **state)
{
    sc_loop *loop = sct_loop();
    int peer;
    sc_chan *chan = sct_pair_chan(loop, &peer, 1);
    static char big[512 * 1024];
    char buf[64], *line = NULL;
    size_t cap = 0, got = 0;
    long total = 0;

    (void) state;
    memset(big, 'h', sizeof(big));
    assert_int_equal(sc_chan_set_outputlimit(chan, sizeof(big)), 0);
    while (total < (long) sizeof(big)) {
	total += sc_write(chan, big + total, sizeof(big) - (size_t) total);
    }
    assert_int_equal(sc_close_half(chan, SC_WRITABLE), 0);
    assert_int_equal(sc_write(chan, "x", 1), SC_ERROR);
    snprintf(buf, sizeof(buf), "channel \"%s\" wasn't opened for writing",
	    sc_chan_name(chan));
    assert_string_equal(sc_errmsg(loop), buf);

    /* The peer reads all of it, then end of file. */
    for (;;) {
	char chunk[65536];
	ssize_t n;

	while (sc_do_one_event(loop, SC_DONT_WAIT) > 0) {
	}
	n = recv(peer, chunk, sizeof(chunk), MSG_DONTWAIT);
	if (n == 0) {
	    break;
	}
	if (n > 0) {
	    got += (size_t) n;
	}
    }
    assert_int_equal(got, sizeof(big));
    /* And answers. */
    Send(peer, "thanks\n");
    shutdown(peer, SHUT_WR);
    assert_int_equal(sc_chan_set_blocking(chan, 1), 0);
    assert_int_equal(sc_gets(chan, &line, &cap), 6);
    assert_string_equal(line, "thanks");
    free(line);
    assert_int_equal(sc_close_half(chan, SC_WRITABLE), -1);
    assert_string_equal(sc_errmsg(loop), "Half-close of write-side not "
	    "possible, side not opened or already closed");
    assert_int_equal(sc_close(chan), 0);
    close(peer);
    sct_loop_free(loop);
}

static void
wrong_direction(void **state)
{
    sc_loop *loop = sct_loop();
    int fds[2];
    sc_chan *r, *w;
    char buf[64], expect[80], *line = NULL;
    size_t cap = 0;

    (void) state;
    assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
    r = sc_chan_open_fd(loop, fds[0], SC_READABLE, 0);
    w = sc_chan_open_fd(loop, fds[1], SC_WRITABLE, 0);
    assert_non_null(r);
    assert_non_null(w);
    assert_int_equal(sc_write(r, "x", 1), SC_ERROR);
    snprintf(expect, sizeof(expect), "channel \"file%d\" wasn't opened for "
	    "writing", fds[0]);
    assert_string_equal(sc_errmsg(loop), expect);
    assert_int_equal(sc_puts(r, "x"), SC_ERROR);
    assert_int_equal(sc_flush(r), SC_ERROR);
    assert_int_equal(sc_read(w, buf, 1), SC_ERROR);
    snprintf(expect, sizeof(expect), "channel \"file%d\" wasn't opened for "
	    "reading", fds[1]);
    assert_string_equal(sc_errmsg(loop), expect);
    assert_int_equal(sc_gets(w, &line, &cap), SC_ERROR);
    assert_int_equal(sc_chan_event(w, SC_READABLE, NULL, NULL), -1);
    assert_int_equal(sc_chan_event(r, 99, NULL, NULL), -1);
    assert_int_equal(sc_close_half(r, SC_WRITABLE), -1);
    assert_int_equal(sc_close_half(r, 7), -1);
    assert_string_equal(sc_errmsg(loop), "bad direction 7: should be "
	    "SC_READABLE or SC_WRITABLE");
    /* The last open side: a half-close is a close. */
    assert_int_equal(sc_close_half(w, SC_WRITABLE), 0);
    assert_int_equal(sc_close(r), 0);
    sct_loop_free(loop);
}

/*
 * Encodings: a change of -encoding applies to every byte not consumed
 * yet, even bytes already read from the descriptor (the HTTP case: a
 * text header, then a binary body).
 */
static void
encoding_change_mid_stream(void **state)
{
    sc_loop *loop = sct_loop();
    int peer;
    sc_chan *chan = sct_pair_chan(loop, &peer, 0);
    char *line = NULL, body[8];
    size_t cap = 0;

    (void) state;
    assert_int_equal(write(peer, "Content-Length: 4\r\n\r\n\xff\xfe\x00\x80",
	    25), 25);
    shutdown(peer, SHUT_WR);
    assert_int_equal(sc_gets(chan, &line, &cap), 17);
    assert_string_equal(line, "Content-Length: 4");
    assert_int_equal(sc_gets(chan, &line, &cap), 0);
    assert_int_equal(sc_chan_configure(chan, "-translation", "binary"), 0);
    assert_int_equal(sc_read(chan, body, sizeof(body)), 4);
    assert_memory_equal(body, "\xff\xfe\x00\x80", 4);
    free(line);
    sc_close(chan);
    close(peer);
    sct_loop_free(loop);
}

static void
encodings_both_ways(void **state)
{
    sc_loop *loop = sct_loop();
    int peer;
    sc_chan *chan = sct_pair_chan(loop, &peer, 0);
    char *line = NULL, buf[64];
    size_t cap = 0;

    (void) state;
    assert_int_equal(sc_chan_configure(chan, "-encoding", "iso8859-1"), 0);
    Send(peer, "caf\xe9\n");
    assert_int_equal(sc_gets(chan, &line, &cap), 5);
    assert_string_equal(line, "caf\xc3\xa9");
    assert_int_equal(sc_puts(chan, "\xc3\xa9t\xc3\xa9 \xe2\x82\xac"), 0);
    assert_int_equal(sc_flush(chan), 0);
    Drain(peer, buf, sizeof(buf));
    assert_string_equal(buf, "\xe9t\xe9 ?\n");	/* No € in Latin-1. */

    assert_int_equal(sc_chan_configure(chan, "-encoding", "cp1252"), 0);
    Send(peer, "\x80 5\n");
    assert_int_equal(sc_gets(chan, &line, &cap), 5);
    assert_string_equal(line, "\xe2\x82\xac 5");
    /* A character split between two writes is carried over. */
    assert_int_equal(sc_puts_nonewline(chan, "\xe2\x82"), 0);
    assert_int_equal(sc_puts(chan, "\xac"), 0);
    assert_int_equal(sc_flush(chan), 0);
    Drain(peer, buf, sizeof(buf));
    assert_string_equal(buf, "\x80\n");

    assert_int_equal(sc_chan_configure(chan, "-encoding", "no-such-thing"),
	    -1);
    assert_string_equal(sc_errmsg(loop),
	    "unknown encoding \"no-such-thing\"");
    free(line);
    sc_close(chan);
    close(peer);
    sct_loop_free(loop);
}

static void
input_eofchar(void **state)
{
    sc_loop *loop = sct_loop();
    int peer;
    sc_chan *chan = sct_pair_chan(loop, &peer, 0);
    char *all = NULL;

    (void) state;
    assert_int_equal(sc_chan_configure(chan, "-eofchar", "\x1a"), 0);
    Send(peer, "abc\x1a" "def");
    assert_int_equal(sc_read_all(chan, &all), 3);
    assert_string_equal(all, "abc");
    assert_true(sc_eof(chan));
    free(all);
    sc_close(chan);
    close(peer);
    sct_loop_free(loop);
}

/* The peer is gone: EPIPE is an error in Tcl's words, and no SIGPIPE. */
static void
write_to_closed_peer(void **state)
{
    sc_loop *loop = sct_loop();
    int fds[2];
    sc_chan *chan;
    char expect[80];

    (void) state;
    signal(SIGPIPE, SIG_DFL);	/* A SIGPIPE would now kill the test. */
    assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
    chan = sc_chan_open_fd(loop, fds[1], SC_WRITABLE, 0);
    assert_non_null(chan);
    close(fds[0]);
    assert_int_equal(sc_puts(chan, "hello"), 0);
    assert_int_equal(sc_flush(chan), SC_ERROR);
    snprintf(expect, sizeof(expect), "error flushing \"file%d\": broken pipe",
	    fds[1]);
    assert_string_equal(sc_errmsg(loop), expect);
    /* The error stays: later writes report it too. */
    assert_int_equal(sc_puts(chan, "again"), SC_ERROR);
    assert_int_equal(sc_close(chan), 0);
    signal(SIGPIPE, SIG_IGN);
    sct_loop_free(loop);
}

/* A reset from the peer reads as end of file (as in Tcl). */
static void
reset_reads_as_eof(void **state)
{
    sc_loop *loop = sct_loop();
    struct linger lg = {1, 0};
    int client, server;
    sc_chan *chan;
    char buf[16];

    (void) state;
    sct_tcp_pair(&client, &server);
    chan = sc_chan_open_fd(loop, server, SC_READABLE | SC_WRITABLE, 0);
    assert_non_null(chan);
    assert_int_equal(write(server, "x", 1), 1);	/* Unread by client. */
    assert_int_equal(setsockopt(client, SOL_SOCKET, SO_LINGER, &lg,
	    sizeof(lg)), 0);
    close(client);				/* Sends a reset. */
    assert_int_equal(sc_read(chan, buf, sizeof(buf)), SC_EOF);
    assert_true(sc_eof(chan));
    sc_close(chan);
    sct_loop_free(loop);
}

/* Buffers go back to the pool when data stops: an idle channel has none. */
static void
idle_channel_holds_no_buffers(void **state)
{
    sc_loop *loop = sct_loop();
    int peer;
    sc_chan *chan = sct_pair_chan(loop, &peer, 1);
    char *line = NULL;
    size_t cap = 0;

    (void) state;
    Send(peer, "one\ntwo\n");
    assert_int_equal(sc_gets(chan, &line, &cap), 3);
    assert_int_equal(sc_gets(chan, &line, &cap), 3);
    assert_int_equal(sc_gets(chan, &line, &cap), SC_BLOCKED);
    assert_int_equal(sc_pending(chan, SC_READABLE), 0);
    assert_int_equal(sc_puts(chan, "out"), 0);
    assert_int_equal(sc_flush(chan), 0);
    assert_int_equal(sc_pending(chan, SC_WRITABLE), 0);
    /* White box: both queues are empty lists, no buffer held. */
    assert_null(chan->in.head);
    assert_null(chan->out.head);
    free(line);
    sc_close(chan);
    close(peer);
    sct_loop_free(loop);
}

/*
 * The memory budget of an idle connection is 256 bytes (the benchmark
 * issue's goal): the channel structure takes at most 160 of them.
 */
static void
channel_is_small(void **state)
{
    (void) state;
    assert_true(sizeof(struct sc_chan) <= 160);
}

/*
 * Issue 8: a handler that reads, writes and flushes costs the loop no
 * change of watch (the write's "writable" and the flush's "not" are put
 * off until the loop waits, and cancel out): three system calls an echo.
 */
struct echo {
    sc_chan *chan;
    int echoes;
};

static void
EchoReadable(void *clientData, int mask)
{
    struct echo *e = clientData;
    char buf[64];
    long n = sc_read(e->chan, buf, sizeof(buf));

    (void) mask;
    if (n > 0) {
	assert_int_equal(sc_write(e->chan, buf, (size_t) n), n);
	assert_int_equal(sc_flush(e->chan), 0);
	e->echoes++;
    }
}

static void
echo_handler_changes_no_watch(void **state)
{
    sc_loop *loop = sct_loop();
    struct echo e = {NULL, 0};
    unsigned long before;
    char buf[8];
    int peer, i;

    (void) state;
    if (strcmp(sc_loop_backend(loop), "epoll") != 0) {
	sct_loop_free(loop);	/* poll changes a watch without a call. */
	skip();
    }
    e.chan = sct_pair_chan(loop, &peer, 1);
    assert_int_equal(sc_chan_event(e.chan, SC_READABLE, EchoReadable, &e),
	    0);
    before = sc__sys_calls(SC_SYS_EPOLL_CTL);
    for (i = 1; i <= 50; i++) {
	Send(peer, "ping");
	sct_wait_count(loop, &e.echoes, i, 5000);
	assert_int_equal(read(peer, buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "ping", 4);
    }
    assert_int_equal(sc__sys_calls(SC_SYS_EPOLL_CTL) - before, 0);
    sc_close(e.chan);
    close(peer);
    sct_loop_free(loop);
}

/*
 * A change put off inside a handler is made before any wait, a nested
 * one too: a handler that queues output and then runs the loop sees the
 * output go (the writable watch is in place for that wait).
 */
struct nested {
    sc_chan *chan;
    int peer;
    int got, timedOut, done;
};

static void
PeerReadable(void *clientData, int mask)
{
    struct nested *n = clientData;
    char c;

    (void) mask;
    if (read(n->peer, &c, 1) == 1 && c == 'x') {
	n->got = 1;
    }
}

static void
NestedTimeout(void *clientData)
{
    ((struct nested *) clientData)->timedOut = 1;
}

static void
QueueAndWait(void *clientData, int mask)
{
    struct nested *n = clientData;
    sc_loop *loop = sc_chan_loop(n->chan);
    sc_timer t;
    char buf[8];

    (void) mask;
    (void) sc_read(n->chan, buf, sizeof(buf));
    sc_chan_event(n->chan, SC_READABLE, NULL, NULL);
    sc_puts_nonewline(n->chan, "x");	/* Queued: -buffering full. */
    t = sc_create_timer(loop, 5000, NestedTimeout, n);
    while (!n->got && !n->timedOut) {
	if (sc_do_one_event(loop, SC_ALL_EVENTS) < 0) {
	    break;
	}
    }
    sc_delete_timer(loop, t);
    n->done = 1;
}

static void
nested_wait_sees_put_off_watch(void **state)
{
    sc_loop *loop = sct_loop();
    struct nested n = {NULL, -1, 0, 0, 0};

    (void) state;
    n.chan = sct_pair_chan(loop, &n.peer, 1);
    assert_int_equal(sc_create_file_handler(loop, n.peer, SC_READABLE,
	    PeerReadable, &n), 0);
    assert_int_equal(sc_chan_event(n.chan, SC_READABLE, QueueAndWait, &n),
	    0);
    Send(n.peer, "go");
    sct_wait_for(loop, &n.done, 10000);
    assert_false(n.timedOut);
    assert_true(n.got);
    sc_delete_file_handler(loop, n.peer);
    sc_close(n.chan);
    close(n.peer);
    sct_loop_free(loop);
}

/*
 * A readable handler whose read fills its buffer straight from the
 * descriptor is called again in the same turn of the loop (more is likely
 * waiting), at most 16 times, so that other descriptors get their turn;
 * one whose read comes back short is called once.
 */
struct fullReads {
    sc_chan *chan;
    int calls, blocked;
    long bytes;
    size_t size;
};

static void
FullReadable(void *clientData, int mask)
{
    struct fullReads *f = clientData;
    char buf[4096];
    long n = sc_read(f->chan, buf, f->size);

    (void) mask;
    f->calls++;
    if (n == SC_BLOCKED) {
	f->blocked++;
    } else if (n > 0) {
	f->bytes += n;
    }
}

static void
full_reads_served_in_one_turn(void **state)
{
    sc_loop *loop = sct_loop();
    struct fullReads f = {NULL, 0, 0, 0, 4096};
    static char data[40 * 4096];
    int peer, sndbuf = 1 << 20;

    (void) state;
    f.chan = sct_pair_chan(loop, &peer, 1);
    /* Room for all 40 buffers at once; the writes below never wait (a
     * machine with less room fails them instead of hanging). */
    (void) setsockopt(peer, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
    sc_chan_configure(f.chan, "-translation", "binary");
    assert_int_equal(sc_chan_set_buffersize(f.chan, 4096), 0);
    assert_int_equal(sc_chan_event(f.chan, SC_READABLE, FullReadable, &f), 0);

    /* 10 buffers: 10 full reads and one that finds nothing, one turn. */
    assert_int_equal(send(peer, data, 10 * 4096, MSG_DONTWAIT), 10 * 4096);
    assert_true(sc_do_one_event(loop, SC_FILE_EVENTS) > 0);
    assert_int_equal(f.bytes, 10 * 4096);
    assert_int_equal(f.calls, 11);
    assert_int_equal(f.blocked, 1);

    /* 40 buffers: 16 in the first turn, the rest in later ones. */
    f.calls = f.blocked = 0;
    f.bytes = 0;
    assert_int_equal(send(peer, data, sizeof(data), MSG_DONTWAIT),
	    (ssize_t) sizeof(data));
    assert_true(sc_do_one_event(loop, SC_FILE_EVENTS) > 0);
    assert_int_equal(f.calls, 16);
    assert_int_equal(f.bytes, 16 * 4096);
    while (f.bytes < (long) sizeof(data)) {
	assert_true(sc_do_one_event(loop, SC_FILE_EVENTS | SC_DONT_WAIT) > 0);
    }
    assert_int_equal(f.calls, 40 + 1);

    /* A short read: called once. */
    f.calls = f.blocked = 0;
    f.bytes = 0;
    assert_int_equal(send(peer, data, 100, MSG_DONTWAIT), 100);
    assert_true(sc_do_one_event(loop, SC_FILE_EVENTS) > 0);
    assert_int_equal(f.calls, 1);
    assert_int_equal(f.bytes, 100);

    /* A handler that asks for less than a buffer reads through the
     * buffer: one call per event, as before. */
    f.calls = 0;
    f.bytes = 0;
    f.size = 1000;
    assert_int_equal(send(peer, data, 4096, MSG_DONTWAIT), 4096);
    assert_true(sc_do_one_event(loop, SC_FILE_EVENTS) > 0);
    assert_int_equal(f.calls, 1);
    assert_int_equal(f.bytes, 1000);
    sc_close(f.chan);
    close(peer);
    sct_loop_free(loop);
}

/* A nonblocking, unbuffered binary channel over a socketpair. */
static sc_chan *
FastChan(sc_loop *loop, int *peer)
{
    sc_chan *chan = sct_pair_chan(loop, peer, 1);

    assert_int_equal(sc_chan_configure(chan, "-buffering", "none"), 0);
    assert_int_equal(sc_chan_configure(chan, "-translation", "binary"), 0);
    return chan;
}

/*
 * The fast paths (a read of a buffer or more straight from the socket, a
 * write straight to it) rest on flags kept from the settings: each change
 * of -translation, -eofchar and -encoding must take them off, and binary
 * must put them back. Nonblocking, unbuffered, reads of 8 KiB.
 */
static void
fast_paths_follow_settings(void **state)
{
    sc_loop *loop = sct_loop();
    sc_chan *chan;
    char buf[8192], out[64];
    int peer;

    (void) state;
    chan = FastChan(loop, &peer);
    Send(peer, "a\r\nb");
    assert_int_equal(sc_read(chan, buf, sizeof(buf)), 4);
    assert_memory_equal(buf, "a\r\nb", 4);
    assert_int_equal(sc_write(chan, "x\ny", 3), 3);
    assert_int_equal(Drain(peer, out, sizeof(out)), 3);
    assert_string_equal(out, "x\ny");

    /* crlf both ways. */
    assert_int_equal(sc_chan_configure(chan, "-translation", "crlf"), 0);
    Send(peer, "a\r\nb");
    assert_int_equal(sc_read(chan, buf, sizeof(buf)), 3);
    assert_memory_equal(buf, "a\nb", 3);
    assert_int_equal(sc_write(chan, "x\ny", 3), 3);
    assert_int_equal(Drain(peer, out, sizeof(out)), 4);
    assert_string_equal(out, "x\r\ny");

    /* Binary again, then an eofchar. */
    assert_int_equal(sc_chan_configure(chan, "-translation", "binary"), 0);
    assert_int_equal(sc_chan_configure(chan, "-eofchar", "z"), 0);
    Send(peer, "12z34");
    assert_int_equal(sc_read(chan, buf, sizeof(buf)), 2);
    assert_memory_equal(buf, "12", 2);
    assert_int_equal(sc_read(chan, buf, sizeof(buf)), SC_EOF);
    sc_close(chan);
    close(peer);

    /* An encoding: latin-1 in, decoded to UTF-8; out, encoded. */
    chan = FastChan(loop, &peer);
    assert_int_equal(sc_chan_configure(chan, "-encoding", "iso8859-1"), 0);
    Send(peer, "caf\xe9");
    assert_int_equal(sc_read(chan, buf, sizeof(buf)), 5);
    assert_memory_equal(buf, "caf\xc3\xa9", 5);
    assert_int_equal(sc_write(chan, "\xc3\xa9", 2), 2);
    assert_int_equal(Drain(peer, out, sizeof(out)), 1);
    assert_string_equal(out, "\xe9");

    /* Binary puts both fast paths back: bytes as they are. */
    assert_int_equal(sc_chan_configure(chan, "-translation", "binary"), 0);
    Send(peer, "caf\xe9\r\n");
    assert_int_equal(sc_read(chan, buf, sizeof(buf)), 6);
    assert_memory_equal(buf, "caf\xe9\r\n", 6);
    assert_int_equal(sc_write(chan, "\xc3\n", 2), 2);
    assert_int_equal(Drain(peer, out, sizeof(out)), 2);
    assert_string_equal(out, "\xc3\n");
    sc_close(chan);
    close(peer);
    sct_loop_free(loop);
}

static const struct CMUnitTest tests[] = {
    SCT(echo_handler_changes_no_watch),
    SCT(full_reads_served_in_one_turn),
    SCT(fast_paths_follow_settings),
    SCT(nested_wait_sees_put_off_watch),
    SCT(channel_is_small),
    SCT(gets_tells_line_blocked_and_eof),
    SCT(tiny_buffersize_loses_nothing),
    SCT(auto_crlf_with_newline_eofchar),
    SCT(crlf_split_in_every_mode),
    SCT(crlf_trailing_cr_at_eof),
    SCT(utf8_split_and_invalid),
    SCT(read_counts_and_read_all),
    SCT(read_splits_a_character),
    SCT(puts_translation_and_buffering),
    SCT(nonblocking_write_respects_limit),
    SCT(close_flushes_in_background),
    SCT(max_line_length),
    SCT(readable_fires_while_buffered),
    SCT(writable_handler_removes_itself),
    SCT(half_close_sends_everything_first),
    SCT(wrong_direction),
    SCT(encoding_change_mid_stream),
    SCT(encodings_both_ways),
    SCT(input_eofchar),
    SCT(write_to_closed_peer),
    SCT(reset_reads_as_eof),
    SCT(idle_channel_holds_no_buffers),
    SCT(partial_line_waits_for_more),
    SCT(held_cr_keeps_its_place),
    SCT(close_after_half_close_sends_all),
    SCT(limit_counts_translated_bytes),
};

SCT_MAIN(tests)
