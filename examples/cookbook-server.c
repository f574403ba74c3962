/*
 * cookbook-server.c --
 *
 *	The Perl Cookbook's hand-made TCP server (recipe 17.2), in C on
 *	sockchan's loop: socket, SO_REUSEADDR, bind, listen with a backlog,
 *	and a nonblocking accept loop that treats EWOULDBLOCK as "no client
 *	waiting". Each client is greeted with one line through a channel
 *	and closed.
 *
 *	Usage: cookbook-server PORT (0 lets the system choose; the port is
 *	announced as "listening on ADDR PORT" on stderr).
 */

#include <sockchan.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BACKLOG 10

struct server {
    sc_loop *loop;
    int fd;
    long served;
};

/* The listening socket is readable: take every client that is waiting. */
static void
Accept(void *clientData, int mask)
{
    struct server *srv = clientData;

    (void) mask;
    for (;;) {
	struct sockaddr_in client;
	socklen_t len = sizeof(client);
	char addr[INET_ADDRSTRLEN];
	sc_chan *chan;
	int fd = accept4(srv->fd, (struct sockaddr *) &client, &len,
		SOCK_CLOEXEC);

	if (fd < 0) {
	    if (errno == EWOULDBLOCK || errno == EAGAIN) {
		return;			/* No client waiting. */
	    }
	    if (errno == EINTR || errno == ECONNABORTED) {
		continue;
	    }
	    perror("cookbook-server: accept");
	    return;
	}
	inet_ntop(AF_INET, &client.sin_addr, addr, sizeof(addr));
	chan = sc_chan_open_fd(srv->loop, fd, SC_READABLE | SC_WRITABLE, 0);
	if (chan == NULL) {
	    fprintf(stderr, "cookbook-server: %s\n", sc_errmsg(srv->loop));
	    close(fd);
	    continue;
	}
	sc_printf(chan, "Hello %s:%d, you are client %ld of the cookbook "
		"server.\n", addr, ntohs(client.sin_port), ++srv->served);
	sc_close(chan);
    }
}

int
main(int argc, char **argv)
{
    struct server srv = {NULL, -1, 0};
    struct sockaddr_in me;
    socklen_t len = sizeof(me);
    char *end;
    long port;
    int one = 1;

    if (argc != 2 || (port = strtol(argv[1], &end, 10), *end != '\0')
	    || port < 0 || port > 65535) {
	fprintf(stderr, "usage: cookbook-server PORT\n");
	return 2;
    }
    /* Make the socket; reuse the address, so we can restart quickly. */
    srv.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (srv.fd < 0 || setsockopt(srv.fd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)) < 0) {
	perror("cookbook-server: socket");
	return 1;
    }
    /* Build up my address, bind, and queue incoming connections. */
    memset(&me, 0, sizeof(me));
    me.sin_family = AF_INET;
    me.sin_addr.s_addr = htonl(INADDR_ANY);
    me.sin_port = htons((uint16_t) port);
    if (bind(srv.fd, (struct sockaddr *) &me, sizeof(me)) < 0) {
	fprintf(stderr, "Couldn't bind to port %ld : %s\n", port,
		sc_errno_msg(errno));
	return 1;
    }
    if (listen(srv.fd, BACKLOG) < 0) {
	fprintf(stderr, "Couldn't listen on port %ld : %s\n", port,
		sc_errno_msg(errno));
	return 1;
    }
    getsockname(srv.fd, (struct sockaddr *) &me, &len);
    fprintf(stderr, "listening on 0.0.0.0 %d\n", ntohs(me.sin_port));

    /* Nonblocking accept, as the recipe's fcntl does; the loop says
     * when a client may be waiting. */
    if (fcntl(srv.fd, F_SETFL, fcntl(srv.fd, F_GETFL, 0) | O_NONBLOCK) < 0) {
	perror("cookbook-server: fcntl");
	return 1;
    }
    srv.loop = sc_loop_new(0);
    if (srv.loop == NULL) {
	perror("cookbook-server");
	return 1;
    }
    if (sc_create_file_handler(srv.loop, srv.fd, SC_READABLE, Accept,
	    &srv) < 0) {
	fprintf(stderr, "cookbook-server: %s\n", sc_errmsg(srv.loop));
	return 1;
    }
    sc_vwait(srv.loop, NULL);	/* Serves until killed. */
    return 0;
}
