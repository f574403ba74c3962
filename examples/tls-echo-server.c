/*
 * tls-echo-server.c --
 *
 *	An echo server over TLS: every byte a client sends comes back,
 *	until the client closes. The listener is a plain TCP server; each
 *	accepted channel gets TLS stacked on it (sc_tls_push), as a Tcl
 *	server calls tls::import in its accept command. The handshake runs
 *	on the loop; a client that stops reading stops being read from.
 *
 *	Usage: tls-echo-server PORT CERT KEY [CAFILE]
 *	With CAFILE, clients must show a certificate signed by it. It
 *	listens on 127.0.0.1 and prints "listening on 127.0.0.1 PORT" on
 *	stderr when ready (PORT 0: the system chooses).
 */

#include <sockchan.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HIGH_WATER (256 * 1024)	/* Stop reading above this much queued. */

static sc_tls_options tls;

static void Readable(void *clientData, int mask);

/* The client reads again: resume reading from it. */
static void
Writable(void *clientData, int mask)
{
    sc_chan *con = clientData;

    (void) mask;
    if (sc_pending(con, SC_WRITABLE) < HIGH_WATER / 4) {
	sc_chan_event(con, SC_WRITABLE, NULL, NULL);
	sc_chan_event(con, SC_READABLE, Readable, con);
    }
}

static void
Readable(void *clientData, int mask)
{
    sc_chan *con = clientData;
    char buf[16384];
    long n = sc_read(con, buf, sizeof(buf));

    (void) mask;
    if (n == SC_BLOCKED) {
	return;			/* Handshake progress, or nothing yet. */
    }
    if (n < 0) {
	if (n == SC_ERROR) {
	    fprintf(stderr, "tls-echo-server: %s\n",
		    sc_errmsg(sc_chan_loop(con)));
	}
	sc_close(con);		/* Flushes what is queued, then closes. */
	return;
    }
    if (sc_write(con, buf, (size_t) n) != n) {
	fprintf(stderr, "tls-echo-server: %s\n",
		sc_errmsg(sc_chan_loop(con)));
	sc_close(con);
	return;
    }
    if (sc_pending(con, SC_WRITABLE) > HIGH_WATER) {
	sc_chan_event(con, SC_READABLE, NULL, NULL);
	sc_chan_event(con, SC_WRITABLE, Writable, con);
    }
}

static void
Accept(void *clientData, sc_chan *con, const char *peer, int port)
{
    (void) clientData;
    (void) peer;
    (void) port;
    sc_chan_configure(con, "-blocking", "0");
    sc_chan_configure(con, "-translation", "binary");
    sc_chan_configure(con, "-buffering", "none");
    if (sc_tls_push(con, &tls) < 0) {
	fprintf(stderr, "tls-echo-server: %s\n",
		sc_errmsg(sc_chan_loop(con)));
	sc_close(con);
	return;
    }
    sc_chan_event(con, SC_READABLE, Readable, con);
}

int
main(int argc, char **argv)
{
    sc_loop *loop;
    sc_chan *listen;
    char *name, *port;

    if (argc != 4 && argc != 5) {
	fprintf(stderr, "usage: tls-echo-server PORT CERT KEY [CAFILE]\n");
	return 2;
    }
    tls.flags = SC_TLS_SERVER;
    tls.certfile = argv[2];
    tls.keyfile = argv[3];
    if (argc == 5) {
	tls.cafile = argv[4];
	tls.flags |= SC_TLS_REQUIRE;
    }
    loop = sc_loop_new(0);
    if (loop == NULL) {
	perror("tls-echo-server");
	return 1;
    }
    listen = sc_open_tcp_server(loop, argv[1], "127.0.0.1", Accept, NULL);
    if (listen == NULL) {
	fprintf(stderr, "tls-echo-server: %s\n", sc_errmsg(loop));
	return 1;
    }
    name = sc_chan_cget(listen, "-sockname");
    port = name ? strrchr(name, ' ') : NULL;
    fprintf(stderr, "listening on 127.0.0.1 %s\n", port ? port + 1 : "?");
    free(name);
    sc_vwait(loop, NULL);
    return 0;
}
