/*
 * time-server.c --
 *
 *	The time server at the end of Tcl's socket(n), in C:
 *
 *	    proc Server {startTime channel clientaddr clientport} {
 *	        puts "Connection from $clientaddr registered"
 *	        set now [clock seconds]
 *	        puts $channel [clock format $now]
 *	        puts $channel "[expr {$now - $startTime}] since start"
 *	        close $channel
 *	    }
 *	    socket -server [list Server [clock seconds]] 9900
 *	    vwait forever
 *
 *	Usage: time-server PORT (0 lets the system choose; each listening
 *	socket is then announced as "listening on ADDR PORT" on stderr).
 */

#include <sockchan.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void
Server(void *clientData, sc_chan *chan, const char *address, int port)
{
    time_t startTime = *(time_t *) clientData, now = time(NULL);
    char date[64];

    (void) port;
    printf("Connection from %s registered\n", address);
    fflush(stdout);
    /* Tcl's [clock format]: "Sat Nov 21 12:00:00 UTC 2026". */
    strftime(date, sizeof(date), "%a %b %d %H:%M:%S %Z %Y", localtime(&now));
    sc_puts(chan, date);
    sc_printf(chan, "%ld since start\n", (long) (now - startTime));
    sc_close(chan);
}

/* Print "listening on ADDR PORT" for each {addr host port} triple. */
static void
Announce(sc_chan *server)
{
    char *sockname = sc_chan_cget(server, "-sockname");
    char *p, *save = NULL, *word[3];
    int n = 0;

    if (sockname == NULL) {
	return;
    }
    for (p = strtok_r(sockname, " {}", &save); p != NULL;
	    p = strtok_r(NULL, " {}", &save)) {
	word[n++] = p;
	if (n == 3) {
	    fprintf(stderr, "listening on %s %s\n", word[0], word[2]);
	    n = 0;
	}
    }
    free(sockname);
}

int
main(int argc, char **argv)
{
    static time_t startTime;
    sc_loop *loop;
    sc_chan *server;

    if (argc != 2) {
	fprintf(stderr, "usage: time-server PORT\n");
	return 2;
    }
    startTime = time(NULL);
    loop = sc_loop_new(0);
    if (loop == NULL) {
	perror("time-server");
	return 1;
    }
    server = sc_open_tcp_server(loop, argv[1], NULL, Server, &startTime);
    if (server == NULL) {
	fprintf(stderr, "time-server: %s\n", sc_errmsg(loop));
	return 1;
    }
    Announce(server);
    sc_vwait(loop, NULL);	/* vwait forever: the server never ends. */
    return 0;
}
