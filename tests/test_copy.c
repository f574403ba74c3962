/*
 * test_copy.c --
 *
 *	Background copy (src/chan/copy.c): to end of file and by size, with
 *	splice where nothing is converted (proved by the seam's call
 *	counter) and through user space where something is, the channels
 *	being busy meanwhile, and a close in the middle.
 */

#include "harness.h"
#include "core/sys.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct result {
    int done;
    long long bytes;
    char errmsg[200];
};

static void
Done(void *clientData, long long bytes, const char *errmsg)
{
    struct result *r = clientData;

    r->done = 1;
    r->bytes = bytes;
    snprintf(r->errmsg, sizeof(r->errmsg), "%s", errmsg ? errmsg : "");
}

/* Two socketpairs: src -> [in] copy [out] -> dst. */
struct rig {
    sc_loop *loop;
    int src, dst;		/* The raw outer ends. */
    sc_chan *in, *out;
};

static void
Rig(struct rig *r)
{
    int a[2], b[2];

    r->loop = sct_loop();
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, a),
	    0);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, b),
	    0);
    r->src = a[1];
    r->dst = b[1];
    r->in = sc_chan_open_fd(r->loop, a[0], SC_READABLE | SC_WRITABLE, 0);
    r->out = sc_chan_open_fd(r->loop, b[0], SC_READABLE | SC_WRITABLE, 0);
    assert_non_null(r->in);
    assert_non_null(r->out);
}

static void
Unrig(struct rig *r)
{
    if (r->in) {
	sc_close(r->in);
    }
    if (r->out) {
	sc_close(r->out);
    }
    assert_int_equal(sc_vwait(r->loop, NULL), 0);
    close(r->src);
    close(r->dst);
    sct_loop_free(r->loop);
}

/* A writer thread feeds src; the test reads dst on the loop. */
struct feed {
    int fd;
    size_t total;
};

#include <pthread.h>

static void *
Feed(void *arg)
{
    struct feed *f = arg;
    char block[32768];
    size_t sent = 0;

    while (sent < f->total) {
	size_t i, n = f->total - sent < sizeof(block) ? f->total - sent
		: sizeof(block);
	ssize_t w;

	for (i = 0; i < n; i++) {
	    block[i] = (char) ((sent + i) % 251);
	}
	w = write(f->fd, block, n);
	if (w <= 0) {
	    break;
	}
	sent += (size_t) w;
    }
    shutdown(f->fd, SHUT_WR);
    return NULL;
}

struct collect {
    int fd;
    size_t got;
    int bad;
    int eof;
};

static void
Collect(void *clientData, int mask)
{
    struct collect *c = clientData;
    char buf[65536];
    ssize_t n = read(c->fd, buf, sizeof(buf)), i;

    (void) mask;
    for (i = 0; i < n; i++) {
	if (buf[i] != (char) ((c->got + (size_t) i) % 251)) {
	    c->bad++;
	}
    }
    if (n > 0) {
	c->got += (size_t) n;
    } else {
	c->eof = 1;
    }
}

static void
copy_to_eof_uses_splice(void **state)
{
    struct rig r;
    struct feed f;
    struct collect c = {0, 0, 0, 0};
    struct result res = {0, 0, ""};
    pthread_t feeder;
    unsigned long splices;

    (void) state;
    Rig(&r);
    assert_int_equal(sc_chan_configure(r.in, "-translation", "binary"), 0);
    assert_int_equal(sc_chan_configure(r.out, "-translation", "binary"), 0);
    f.fd = r.src;
    f.total = 8 * 1024 * 1024;
    c.fd = r.dst;
    splices = sc__sys_calls(SC_SYS_SPLICE);
    assert_int_equal(pthread_create(&feeder, NULL, Feed, &f), 0);
    assert_int_equal(sc_chan_copy(r.in, r.out, -1, Done, &res), 0);
    assert_int_equal(sc_create_file_handler(r.loop, r.dst, SC_READABLE,
	    Collect, &c), 0);
    sct_wait_for(r.loop, &res.done, 30000);
    pthread_join(feeder, NULL);
    assert_string_equal(res.errmsg, "");
    assert_int_equal(res.bytes, f.total);
    /* No byte went through user space. */
    assert_true(sc__sys_calls(SC_SYS_SPLICE) - splices >= 2);
    sc_close(r.out);
    r.out = NULL;
    sct_wait_for(r.loop, &c.eof, 10000);
    assert_int_equal(c.got, f.total);
    assert_int_equal(c.bad, 0);
    sc_delete_file_handler(r.loop, r.dst);
    assert_true(sc_eof(r.in));
    Unrig(&r);
}

/* With a translation on one side, the bytes go through user space. */
static void
copy_with_translation_converts(void **state)
{
    struct rig r;
    struct result res = {0, 0, ""};
    unsigned long splices;
    char buf[64];
    ssize_t n;
    size_t got = 0;

    (void) state;
    Rig(&r);
    assert_int_equal(sc_chan_configure(r.out, "-translation", "crlf"), 0);
    assert_int_equal(write(r.src, "a\nb\nc\n", 6), 6);
    shutdown(r.src, SHUT_WR);
    splices = sc__sys_calls(SC_SYS_SPLICE);
    assert_int_equal(sc_chan_copy(r.in, r.out, -1, Done, &res), 0);
    sct_wait_for(r.loop, &res.done, 10000);
    assert_int_equal(res.bytes, 6);
    assert_int_equal(sc__sys_calls(SC_SYS_SPLICE), splices);
    assert_int_equal(sc_flush(r.out), 0);
    while (got < 9 && (n = read(r.dst, buf + got, sizeof(buf) - got)) > 0) {
	got += (size_t) n;
    }
    assert_int_equal(got, 9);
    assert_memory_equal(buf, "a\r\nb\r\nc\r\n", 9);
    Unrig(&r);
}

/* A size: exactly that many bytes, the rest stays for the program. */
static void
copy_by_size_and_sync(void **state)
{
    struct rig r;
    char buf[64], *line = NULL;
    size_t cap = 0, got = 0;
    ssize_t n;

    (void) state;
    Rig(&r);
    assert_int_equal(sc_chan_configure(r.in, "-translation", "binary"), 0);
    assert_int_equal(sc_chan_configure(r.out, "-translation", "binary"), 0);
    assert_int_equal(write(r.src, "0123456789rest\n", 15), 15);
    /* Without a callback the copy runs now and returns the count. */
    assert_int_equal(sc_chan_copy(r.in, r.out, 10, NULL, NULL), 10);
    while (got < 10 && (n = read(r.dst, buf + got, sizeof(buf) - got)) > 0) {
	got += (size_t) n;
    }
    assert_int_equal(got, 10);
    assert_memory_equal(buf, "0123456789", 10);
    /* The channel is the program's again, blocking as it was. */
    assert_int_equal(sc_gets(r.in, &line, &cap), 4);
    assert_string_equal(line, "rest");
    free(line);
    Unrig(&r);
}

static void
busy_while_copying(void **state)
{
    struct rig r;
    struct result res = {0, 0, ""};
    char buf[80], expect[80];

    (void) state;
    Rig(&r);
    assert_int_equal(sc_chan_copy(r.in, r.out, -1, Done, &res), 0);
    assert_int_equal(sc_read(r.in, buf, 1), SC_ERROR);
    snprintf(expect, sizeof(expect), "channel \"%s\" is busy",
	    sc_chan_name(r.in));
    assert_string_equal(sc_errmsg(r.loop), expect);
    assert_int_equal(sc_puts(r.out, "x"), SC_ERROR);
    assert_int_equal(sc_chan_copy(r.in, r.out, -1, Done, &res), SC_ERROR);
    /* Closing a channel of the copy ends it; the program hears once. */
    sc_close(r.in);
    r.in = NULL;
    assert_int_equal(res.done, 0);	/* Not from inside sc_close. */
    sct_wait_for(r.loop, &res.done, 5000);
    assert_string_equal(res.errmsg, "channel closed during copy");
    /* out is usable again. */
    assert_int_equal(sc_puts(r.out, "free"), 0);
    Unrig(&r);
}

static void
copy_bad_input(void **state)
{
    struct rig r;
    int fds[2];
    sc_chan *wonly;

    (void) state;
    Rig(&r);
    assert_int_equal(pipe(fds), 0);
    wonly = sc_chan_open_fd(r.loop, fds[1], SC_WRITABLE, 0);
    assert_int_equal(sc_chan_copy(wonly, r.out, -1, Done, NULL), SC_ERROR);
    assert_non_null(strstr(sc_errmsg(r.loop), "wasn't opened for reading"));
    assert_int_equal(sc_chan_copy(NULL, r.out, -1, Done, NULL), SC_ERROR);
    sc_close(wonly);
    close(fds[0]);
    Unrig(&r);
}

/*
 * While a copy runs, the channels are the copy's: handlers and options
 * are refused in Tcl's words; the program's blocking mode comes back at
 * the end; and a copy that ends at once reports from the loop, never
 * from inside sc_chan_copy.
 */
static void
copy_owns_its_channels(void **state)
{
    struct rig r;
    struct result res = {0, 0, ""};

    (void) state;
    Rig(&r);
    assert_int_equal(sc_chan_copy(r.in, r.out, -1, Done, &res), 0);
    assert_int_equal(sc_chan_event(r.in, SC_READABLE, NULL, NULL), -1);
    assert_int_equal(sc_chan_configure(r.in, "-blocking", "1"), -1);
    assert_string_equal(sc_errmsg(r.loop), "unable to set channel options: "
	    "background copy in progress");
    assert_int_equal(sc_chan_set_translation(r.out, SC_TRANS_LF,
	    SC_TRANS_LF), -1);
    shutdown(r.src, SHUT_WR);
    sct_wait_for(r.loop, &res.done, 5000);
    sct_expect(r.in, "-blocking", "1");
    sct_expect(r.out, "-blocking", "1");

    /* Nothing left to copy: done still comes later, from the loop. */
    res.done = 0;
    assert_int_equal(sc_chan_copy(r.in, r.out, -1, Done, &res), 0);
    assert_int_equal(res.done, 0);
    sct_wait_for(r.loop, &res.done, 5000);
    assert_int_equal(res.bytes, 0);
    res.done = 0;
    assert_int_equal(sc_chan_copy(r.in, r.out, 0, Done, &res), 0);
    assert_int_equal(res.done, 0);
    sct_wait_for(r.loop, &res.done, 5000);
    Unrig(&r);
}

static const struct CMUnitTest tests[] = {
    SCT(copy_to_eof_uses_splice),
    SCT(copy_with_translation_converts),
    SCT(copy_by_size_and_sync),
    SCT(busy_while_copying),
    SCT(copy_bad_input),
    SCT(copy_owns_its_channels),
};

SCT_MAIN(tests)
