/*
 * unix-echo-client.c --
 *
 *	The client of unix_sockets(3tcl), in C: writes a line, waits for the
 *	answer from a readable event, and prints it.
 *
 *	    proc readable {con} {
 *	        set msg [gets $con]
 *	        puts "got response: ($msg)"
 *	        set ::done 1
 *	    }
 *	    set con [unix_sockets::connect /tmp/example.socket]
 *	    puts $con "hello, world"
 *	    flush $con
 *	    chan event $con readable [list readable $con]
 *	    vwait ::done
 *
 *	Usage: unix-echo-client PATH
 */

#include <sockchan.h>

#include <stdio.h>
#include <stdlib.h>

struct client {
    sc_chan *con;
    int done;
};

static void
Readable(void *clientData, int mask)
{
    struct client *c = clientData;
    char *msg = NULL;
    size_t cap = 0;
    long n = sc_gets(c->con, &msg, &cap);

    (void) mask;
    if (n == SC_BLOCKED) {
	free(msg);
	return;
    }
    printf("got response: (%s)\n", n >= 0 ? msg : "");
    free(msg);
    c->done = 1;
}

int
main(int argc, char **argv)
{
    struct client c = {NULL, 0};
    sc_loop *loop;

    if (argc != 2) {
	fprintf(stderr, "usage: unix-echo-client PATH\n");
	return 2;
    }
    loop = sc_loop_new(0);
    if (loop == NULL) {
	perror("unix-echo-client");
	return 1;
    }
    c.con = sc_open_unix_client(loop, argv[1], NULL);
    if (c.con == NULL) {
	fprintf(stderr, "unix-echo-client: %s\n", sc_errmsg(loop));
	return 1;
    }
    sc_puts(c.con, "hello, world");
    sc_flush(c.con);
    sc_chan_configure(c.con, "-blocking", "0");
    sc_chan_event(c.con, SC_READABLE, Readable, &c);
    if (sc_vwait(loop, &c.done) < 0) {
	fprintf(stderr, "unix-echo-client: %s\n", sc_errmsg(loop));
	return 1;
    }
    sc_close(c.con);
    sc_loop_free(loop);
    return 0;
}
