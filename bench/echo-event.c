/*
 * echo-event.c --
 *
 *	The libevent peer, in libevent's idiom: an evconnlistener and a
 *	bufferevent per connection whose read callback moves the input
 *	buffer to the output buffer. Backpressure as in the others: while
 *	more than LIMIT bytes wait in the output buffer, stop reading
 *	(bufferevent_disable); the write callback, which fires when output
 *	falls to the low watermark LIMIT, reads again.
 *
 *	Usage: echo-event echo|line PORT
 */

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIMIT (64 * 1024)

static int lineMode;

static void
ReadCb(struct bufferevent *bev, void *ctx)
{
    struct evbuffer *out = bufferevent_get_output(bev);

    (void) ctx;
    evbuffer_add_buffer(out, bufferevent_get_input(bev));
    if (evbuffer_get_length(out) > LIMIT) {
	bufferevent_disable(bev, EV_READ);
    }
}

static void
WriteCb(struct bufferevent *bev, void *ctx)
{
    (void) ctx;
    if (lineMode) {
	bufferevent_free(bev);		/* The line is out: close. */
	return;
    }
    bufferevent_enable(bev, EV_READ);
}

static void
EventCb(struct bufferevent *bev, short events, void *ctx)
{
    (void) ctx;
    if (events & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
	bufferevent_free(bev);
    }
}

static void
AcceptCb(struct evconnlistener *listener, evutil_socket_t fd,
	struct sockaddr *sa, int socklen, void *ctx)
{
    struct event_base *base = evconnlistener_get_base(listener);
    struct bufferevent *bev = bufferevent_socket_new(base, fd,
	    BEV_OPT_CLOSE_ON_FREE);

    (void) sa;
    (void) socklen;
    (void) ctx;
    bufferevent_setcb(bev, ReadCb, WriteCb, EventCb, NULL);
    if (lineMode) {
	bufferevent_write(bev, "Thu Nov 21 12:00:00 UTC 2024\n", 29);
	bufferevent_enable(bev, EV_WRITE);
	return;
    }
    bufferevent_setwatermark(bev, EV_WRITE, LIMIT, 0);
    bufferevent_enable(bev, EV_READ | EV_WRITE);
}

int
main(int argc, char **argv)
{
    struct event_base *base;
    struct evconnlistener *listener;
    struct sockaddr_in sin;

    if (argc != 3 || (strcmp(argv[1], "echo") && strcmp(argv[1], "line"))) {
	fprintf(stderr, "usage: echo-event echo|line PORT\n");
	return 2;
    }
    lineMode = strcmp(argv[1], "line") == 0;
    signal(SIGPIPE, SIG_IGN);
    base = event_base_new();
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sin.sin_port = htons((unsigned short) atoi(argv[2]));
    listener = evconnlistener_new_bind(base, AcceptCb, NULL,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, -1,
	    (struct sockaddr *) &sin, sizeof(sin));
    if (base == NULL || listener == NULL) {
	perror("echo-event");
	return 1;
    }
    return event_base_dispatch(base);
}
