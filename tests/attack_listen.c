/*
 * attack_listen.c --
 *
 *	The victim side of tests/attack_unix.sh: opens and closes a Unix
 *	listener with a mode through the C library (sc_open_unix_server),
 *	ROUNDS times, as fast as it can, while another user attacks the
 *	path. It only counts; the script judges (a target file's mode, the
 *	attacker's wins).
 *
 *	Usage: attack_listen PATH MODE ROUNDS
 *	Prints "opened N failed M" and the first error met (a symbolic link
 *	put in the socket's way is refused, which is right).
 */

#include "sockchan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
Accept(void *clientData, sc_chan *chan, const char *peer, int port)
{
    (void) clientData;
    (void) peer;
    (void) port;
    sc_close(chan);
}

int
main(int argc, char **argv)
{
    sc_loop *loop;
    sc_unix_options o = {0, 0, -1, 0};
    long rounds, i, opened = 0, failed = 0;
    char first[256] = "";

    if (argc != 4) {
	fprintf(stderr, "usage: attack_listen PATH MODE ROUNDS\n");
	return 2;
    }
    o.mode = (int) strtol(argv[2], NULL, 8);
    rounds = atol(argv[3]);
    loop = sc_loop_new(0);
    if (loop == NULL) {
	return 1;
    }
    for (i = 0; i < rounds; i++) {
	sc_chan *server = sc_open_unix_server(loop, argv[1], &o, Accept,
		NULL);

	if (server != NULL) {
	    opened++;
	    sc_close(server);
	} else {
	    if (failed++ == 0) {
		snprintf(first, sizeof(first), "%s", sc_errmsg(loop));
	    }
	}
    }
    sc_loop_free(loop);
    printf("opened %ld failed %ld%s%s\n", opened, failed,
	    first[0] ? ": " : "", first);
    return 0;
}
