/*
 * eofchar_oneway_space.c --
 *
 *	Reproducer (found by fuzz_options after 614d750): on a channel open
 *	one way (the read end of a pipe), cget -eofchar gives the eofchar
 *	bare, not as a list element, so an eofchar that is white space, a
 *	brace, a backslash or a quote does not survive fconfigure's round
 *	trip. src/chan/options.c, the cget of OPT_EOFCHAR: the !both branch
 *	appends the character with sc__str_append, where the two-way branch
 *	uses sc__str_element (Tcl appends it with Tcl_DStringAppendElement
 *	in both cases). Configure splits its value as a list, so "\r" set
 *	as the list "\\r" comes back as a bare CR, which configure reads
 *	as an empty list: the eofchar is silently removed.
 *
 *	Build and run from the top directory:
 *	  cc -std=c11 -D_GNU_SOURCE -Iinclude fuzz/crashes/eofchar_oneway_space.c \
 *	     build/libsockchan.a -lpthread -o /tmp/repro && /tmp/repro
 *	Exits 1 when the eofchar does not survive cget and configure.
 */

#include "sockchan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
main(void)
{
    sc_loop *loop = sc_loop_new(0);
    sc_chan *chan;
    char *value, *again;
    int fds[2], ok;

    if (loop == NULL || pipe(fds) < 0) {
	return 2;
    }
    close(fds[1]);
    chan = sc_chan_open_fd(loop, fds[0], SC_READABLE, 0);
    if (chan == NULL || sc_chan_configure(chan, "-eofchar", "{ }") != 0
	    || (value = sc_chan_cget(chan, "-eofchar")) == NULL) {
	return 2;
    }
    sc_chan_configure(chan, "-eofchar", value);
    again = sc_chan_cget(chan, "-eofchar");
    ok = again != NULL && strcmp(again, value) == 0;
    printf("set \"{ }\"; cget gave \"%s\"; set that; cget gave \"%s\"\n",
	    value, again ? again : "(error)");
    free(value);
    free(again);
    sc_close(chan);
    sc_loop_free(loop);
    return ok ? 0 : 1;
}
