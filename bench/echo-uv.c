/*
 * echo-uv.c --
 *
 *	The libuv peer, in libuv's own idiom (its test/echo-server.c
 *	style, written anew): uv_listen, uv_accept, uv_read_start with an
 *	allocator, uv_write of what was read, freed in the write callback.
 *	Backpressure as in the others: while more than LIMIT bytes wait in
 *	the write queue, uv_read_stop; uv_read_start again from a write
 *	callback once it is below.
 *
 *	Usage: echo-uv echo|line PORT
 */

#define _GNU_SOURCE	/* uv.h needs the POSIX thread types. */
#include <uv.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIMIT (64 * 1024)

typedef struct {
    uv_write_t req;
    uv_buf_t buf;
} write_req_t;

static uv_loop_t *loop;
static int lineMode;

static void OnRead(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf);

static void
OnClose(uv_handle_t *handle)
{
    free(handle);
}

static void
Alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
    (void) handle;
    buf->base = malloc(suggested);
    buf->len = suggested;
}

static void
AfterWrite(uv_write_t *req, int status)
{
    write_req_t *wr = (write_req_t *) req;
    uv_stream_t *stream = req->handle;

    free(wr->buf.base);
    free(wr);
    if (status < 0 || lineMode) {
	if (!uv_is_closing((uv_handle_t *) stream)) {
	    uv_close((uv_handle_t *) stream, OnClose);
	}
	return;
    }
    if (stream->data != NULL && uv_stream_get_write_queue_size(stream)
	    <= LIMIT) {
	stream->data = NULL;		/* Reading was stopped: resume. */
	uv_read_start(stream, Alloc, OnRead);
    }
}

static void
OnRead(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    write_req_t *wr;

    if (nread <= 0) {
	free(buf->base);
	if (nread < 0 && !uv_is_closing((uv_handle_t *) stream)) {
	    uv_close((uv_handle_t *) stream, OnClose);
	}
	return;
    }
    wr = malloc(sizeof(*wr));
    wr->buf = uv_buf_init(buf->base, (unsigned) nread);
    if (uv_write(&wr->req, stream, &wr->buf, 1, AfterWrite) < 0) {
	free(buf->base);
	free(wr);
	uv_close((uv_handle_t *) stream, OnClose);
	return;
    }
    if (uv_stream_get_write_queue_size(stream) > LIMIT) {
	uv_read_stop(stream);
	stream->data = stream;		/* Marks "stopped by backpressure". */
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
    client->data = NULL;
    if (uv_accept(server, (uv_stream_t *) client) < 0) {
	uv_close((uv_handle_t *) client, OnClose);
	return;
    }
    if (lineMode) {
	static char line[] = "Thu Nov 21 12:00:00 UTC 2024\n";
	write_req_t *wr = malloc(sizeof(*wr));

	wr->buf = uv_buf_init(malloc(sizeof(line) - 1), sizeof(line) - 1);
	memcpy(wr->buf.base, line, sizeof(line) - 1);
	uv_write(&wr->req, (uv_stream_t *) client, &wr->buf, 1, AfterWrite);
	return;
    }
    uv_read_start((uv_stream_t *) client, Alloc, OnRead);
}

int
main(int argc, char **argv)
{
    uv_tcp_t server;
    struct sockaddr_in addr;
    int r;

    if (argc != 3 || (strcmp(argv[1], "echo") && strcmp(argv[1], "line"))) {
	fprintf(stderr, "usage: echo-uv echo|line PORT\n");
	return 2;
    }
    lineMode = strcmp(argv[1], "line") == 0;
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
