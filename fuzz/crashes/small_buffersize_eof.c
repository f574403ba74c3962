/*
 * small_buffersize_eof.c --
 *
 *	Fixed in 614d750; kept as a regression check.
 *	Reproducer (found by fuzz_chan_input): with -buffersize 1, 2 or 3,
 *	input is cut short as if the end of file had come, whenever the
 *	tail input buffer is full and not yet consumed (a UTF-8 character
 *	or a crlf \r\n split across buffers, a line gets is still
 *	looking for the end of, ...). GetInput (src/chan/chan.c) takes a
 *	fresh buffer only when the tail has less than cap/4 bytes of room;
 *	for cap < 4 that is 0 and "room < 0" is never true, so it calls the
 *	driver with n = 0: read(fd, p, 0) returns 0, which GetInput takes
 *	for end of file (CF_INEOF). The rest of the input is lost and the
 *	partial character is decoded as U+00C3.
 *
 *	Build and run from the top directory:
 *	  cc -std=c11 -D_GNU_SOURCE -Iinclude fuzz/crashes/small_buffersize_eof.c \
 *	     build/libsockchan.a -lpthread -o /tmp/repro && /tmp/repro
 *	sc_gets should give the lines "caf\u00e9" and "def"; it gives
 *	"caf\u00c3" and then end of file, and the program exits 1.
 */

#include "sockchan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
main(void)
{
    static const char text[] = "caf\xc3\xa9\ndef\n";
    sc_loop *loop = sc_loop_new(0);
    sc_chan *chan;
    char *line = NULL;
    size_t cap = 0;
    int lines = 0;
    int fds[2];
    long n;

    if (loop == NULL || pipe(fds) < 0
	    || write(fds[1], text, strlen(text)) != (ssize_t) strlen(text)) {
	return 2;
    }
    close(fds[1]);
    chan = sc_chan_open_fd(loop, fds[0], SC_READABLE, 0);
    if (chan == NULL || sc_chan_configure(chan, "-buffersize", "1") != 0) {
	return 2;
    }
    while ((n = sc_gets(chan, &line, &cap)) >= 0) {
	printf("line: \"%s\"\n", line);
	lines++;
    }
    n = (lines == 2);
    free(line);
    sc_close(chan);
    sc_loop_free(loop);
    return n ? 0 : 1;
}
