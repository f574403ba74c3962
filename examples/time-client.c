/*
 * time-client.c --
 *
 *	The client of the time server in Tcl's socket(n), in C:
 *
 *	    set sockChan [socket $server 9900]
 *	    gets $sockChan line1
 *	    gets $sockChan line2
 *	    close $sockChan
 *	    puts "The time on $server is $line1"
 *	    puts "That is [lindex $line2 0]s since the server started"
 *
 *	Usage: time-client HOST PORT
 */

#include <sockchan.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
main(int argc, char **argv)
{
    char *line1 = NULL, *line2 = NULL;
    size_t cap1 = 0, cap2 = 0;
    sc_loop *loop;
    sc_chan *chan;

    if (argc != 3) {
	fprintf(stderr, "usage: time-client HOST PORT\n");
	return 2;
    }
    loop = sc_loop_new(0);
    if (loop == NULL) {
	perror("time-client");
	return 1;
    }
    chan = sc_open_tcp_client(loop, argv[1], argv[2], NULL);
    if (chan == NULL) {
	fprintf(stderr, "time-client: %s\n", sc_errmsg(loop));
	return 1;
    }
    if (sc_gets(chan, &line1, &cap1) < 0 || sc_gets(chan, &line2, &cap2) < 0) {
	fprintf(stderr, "time-client: %s\n", sc_eof(chan)
		? "the server closed before answering" : sc_errmsg(loop));
	return 1;
    }
    sc_close(chan);
    printf("The time on %s is %s\n", argv[1], line1);
    line2[strcspn(line2, " ")] = '\0';	/* [lindex $line2 0] */
    printf("That is %ss since the server started\n", line2);
    free(line1);
    free(line2);
    sc_loop_free(loop);
    return 0;
}
