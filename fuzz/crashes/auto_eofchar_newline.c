/*
 * auto_eofchar_newline.c --
 *
 *	Fixed in 614d750; kept as a regression check.
 *	Reproducer (found by fuzz_chan_input): with -translation auto and
 *	-eofchar "\n", the \n of a \r\n is not seen as the eofchar when it
 *	is already buffered, and reading goes on past it. Translate
 *	(src/chan/chan.c), for a \r in auto mode, peeks at the next byte
 *	and consumes a \n at once, before CookLine/CookRead compare it with
 *	the eofchar. When the \n arrives in a later read (CF_SAWCR), it is
 *	compared first and ends the input. So the result depends on chunk
 *	boundaries; Tcl finds the eofchar in the raw input before
 *	translating, so "a\r\nb\n" reads as the line "a" and end of file.
 *
 *	Build and run from the top directory:
 *	  cc -std=c11 -D_GNU_SOURCE -Iinclude fuzz/crashes/auto_eofchar_newline.c \
 *	     build/libsockchan.a -lpthread -o /tmp/repro && /tmp/repro
 *	Prints the lines; exits 1 when a line comes after "a".
 */

#include "sockchan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
main(void)
{
    static const char text[] = "a\r\nb\n";
    sc_loop *loop = sc_loop_new(0);
    sc_chan *chan;
    char *line = NULL;
    size_t cap = 0;
    int fds[2], lines = 0;

    if (loop == NULL || pipe(fds) < 0
	    || write(fds[1], text, strlen(text)) != (ssize_t) strlen(text)) {
	return 2;
    }
    close(fds[1]);
    chan = sc_chan_open_fd(loop, fds[0], SC_READABLE, 0);
    if (chan == NULL || sc_chan_set_eofchar(chan, '\n', 0) != 0) {
	return 2;
    }
    while (sc_gets(chan, &line, &cap) >= 0) {
	printf("line: \"%s\"\n", line);
	lines++;
    }
    free(line);
    sc_close(chan);
    sc_loop_free(loop);
    return lines == 1 ? 0 : 1;
}
