/*
 * echo-uv.c --
 *
 *	The libuv peer, in libuv's efficient idiom (issue 19): one read
 *	buffer shared by every connection (the allocator hands out the same
 *	static block; one loop, one thread), each read answered at once with
 *	uv_try_write, and only the tail the socket did not take copied to
 *	the heap and queued with uv_write. While a tail is queued the
 *	connection does not read (uv_read_stop); the write callback frees
 *	the tail and reads again. So no byte is copied unless the socket is
 *	full, and the shared buffer is never handed to a queued write.
 *
 *	Usage: echo-uv echo|line PORT
 */

#define _GNU_SOURCE	/* uv.h needs the POSIX thread types. */
#include <uv.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

typedef struct {
    uv_write_t req;
    uv_buf_t buf;
} tail_t;

static uv_loop_t *loop;
static int lineMode;
static char slab[64 * 1024];		/* The one read buffer. */

static void OnRead(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf);

static void
OnClose(uv_handle_t *handle)
{
    free(handle);
}

static void
Close(uv_stream_t *stream)
{
    if (!uv_is_closing((uv_handle_t *) stream)) {
	uv_close((uv_handle_t *) stream, OnClose);
    }
}

/* Every read goes into the shared buffer. */
static void
Alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
    (void) handle;
    (void) suggested;
    *buf = uv_buf_init(slab, sizeof(slab));
}

/* The queued tail is out (or the connection failed): free it, read again. */
static void
AfterWrite(uv_write_t *req, int status)
{
    tail_t *t = (tail_t *) req;
    uv_stream_t *stream = req->handle;

    free(t->buf.base);
    free(t);
    if (status < 0 || lineMode) {
	Close(stream);
	return;
    }
    if (uv_read_start(stream, Alloc, OnRead) < 0) {
	Close(stream);
    }
}

/* Queues a heap copy of BASE[0..LEN) on STREAM; 0, or -1 on error. */
static int
QueueTail(uv_stream_t *stream, const char *base, size_t len)
{
    tail_t *t = malloc(sizeof(*t));

    if (t == NULL || (t->buf.base = malloc(len)) == NULL) {
	free(t);
	return -1;
    }
    memcpy(t->buf.base, base, len);
    t->buf.len = len;
    if (uv_write(&t->req, stream, &t->buf, 1, AfterWrite) < 0) {
	free(t->buf.base);
	free(t);
	return -1;
    }
    return 0;
}

static void
OnRead(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    uv_buf_t out;
    int w;

    if (nread <= 0) {
	if (nread < 0) {		/* UV_EOF or an error. */
	    Close(stream);
	}
	return;
    }
    out = uv_buf_init(buf->base, (unsigned) nread);
    w = uv_try_write(stream, &out, 1);
    if (w == UV_EAGAIN) {
	w = 0;
    } else if (w < 0) {
	Close(stream);
	return;
    }
    if (w < nread) {			/* Keep the tail; stop reading. */
	uv_read_stop(stream);
	if (QueueTail(stream, buf->base + w, (size_t) (nread - w)) < 0) {
	    Close(stream);
	}
    }
}

static void
OnConnection(uv_stream_t *server, int status)
{
    uv_tcp_t *client;

    if (status < 0) {
	return;
    }
    client = malloc(sizeof(*client));
    uv_tcp_init(loop, client);
    if (uv_accept(server, (uv_stream_t *) client) < 0) {
	Close((uv_stream_t *) client);
	return;
    }
    if (lineMode) {
	static const char line[] = "Thu Nov 21 12:00:00 UTC 2024\n";

	if (QueueTail((uv_stream_t *) client, line, sizeof(line) - 1) < 0) {
	    Close((uv_stream_t *) client);
	}
	return;
    }
    uv_read_start((uv_stream_t *) client, Alloc, OnRead);
}

int
main(int argc, char **argv)
{
    uv_tcp_t server;
    struct sockaddr_in addr;
    struct rlimit rl;
    int r;

    if (argc != 3 || (strcmp(argv[1], "echo") && strcmp(argv[1], "line"))) {
	fprintf(stderr, "usage: echo-uv echo|line PORT\n");
	return 2;
    }
    lineMode = strcmp(argv[1], "line") == 0;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
    }
    loop = uv_default_loop();
    uv_ip4_addr("127.0.0.1", atoi(argv[2]), &addr);
    uv_tcp_init(loop, &server);
    if ((r = uv_tcp_bind(&server, (const struct sockaddr *) &addr, 0)) < 0
	    || (r = uv_listen((uv_stream_t *) &server, SOMAXCONN,
		OnConnection)) < 0) {
	fprintf(stderr, "echo-uv: %s\n", uv_strerror(r));
	return 1;
    }
    return uv_run(loop, UV_RUN_DEFAULT);
}
