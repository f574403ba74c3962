/*
 * unix-echo-server.c --
 *
 *	The echo server of unix_sockets(3tcl), in C: echoes back the first
 *	line a client sends, then closes.
 *
 *	    proc readable {con} {
 *	        set msg [gets $con]
 *	        puts $con $msg
 *	        close $con
 *	    }
 *	    proc accept {con} {
 *	        chan event $con readable [list readable $con]
 *	    }
 *	    set listen [unix_sockets::listen /tmp/example.socket accept]
 *	    vwait ::forever
 *
 *	Unlike the original, it never destroys what is at PATH: a regular
 *	file there is an error and stays; a stale socket is replaced.
 *	Usage: unix-echo-server PATH ("@name" for an abstract name). It
 *	prints "listening on PATH" on stderr when ready.
 */

#include <sockchan.h>

#include <stdio.h>
#include <stdlib.h>

static void
Readable(void *clientData, int mask)
{
    sc_chan *con = clientData;
    char *msg = NULL;
    size_t cap = 0;
    long n = sc_gets(con, &msg, &cap);

    (void) mask;
    if (n == SC_BLOCKED) {
	free(msg);
	return;			/* Not a whole line yet. */
    }
    if (n >= 0) {
	sc_puts(con, msg);
    }
    free(msg);
    sc_close(con);
}

static void
Accept(void *clientData, sc_chan *con, const char *peer, int port)
{
    (void) clientData;
    (void) peer;
    (void) port;
    sc_chan_configure(con, "-blocking", "0");
    sc_chan_event(con, SC_READABLE, Readable, con);
}

int
main(int argc, char **argv)
{
    sc_loop *loop;
    sc_chan *listen;

    if (argc != 2) {
	fprintf(stderr, "usage: unix-echo-server PATH\n");
	return 2;
    }
    loop = sc_loop_new(0);
    if (loop == NULL) {
	perror("unix-echo-server");
	return 1;
    }
    listen = sc_open_unix_server(loop, argv[1], NULL, Accept, NULL);
    if (listen == NULL) {
	fprintf(stderr, "unix-echo-server: %s\n", sc_errmsg(loop));
	return 1;
    }
    fprintf(stderr, "listening on %s\n", argv[1]);
    sc_vwait(loop, NULL);	/* vwait ::forever */
    return 0;
}
