/*
 * eofchar_brace_list.c --
 *
 *	Fixed in 614d750; kept as a regression check.
 *	Reproducer (found by fuzz_options): cget -eofchar gives a malformed
 *	Tcl list when the eofchar is a brace (or a backslash), so the value
 *	cget gives cannot be configured back. The eofchar may be any
 *	non-NUL ASCII character (sc_chan_set_eofchar). For a channel open
 *	both ways, options.c (OPT_EOFCHAR in cget) builds "{in out}" with
 *	sc__str_element (src/chan/buf.c), which puts braces around an
 *	element holding a brace or a backslash: "}" becomes "{}}", so the
 *	value is "{}} {}}" -- braces that do not balance, where Tcl writes
 *	"\} \}". Its comment says the values never hold unbalanced braces,
 *	but eofchars and Unix socket names (-sockname, -peername: sock.c)
 *	can.
 *
 *	Build and run from the top directory:
 *	  cc -std=c11 -D_GNU_SOURCE -Iinclude fuzz/crashes/eofchar_brace_list.c \
 *	     build/libsockchan.a -lpthread -o /tmp/repro && /tmp/repro
 *	Exits 1 when the value cget gave is refused by configure.
 */

#include "sockchan.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int
main(void)
{
    sc_loop *loop = sc_loop_new(0);
    sc_chan *chan;
    char *value;
    int fds[2], r;

    if (loop == NULL || socketpair(AF_UNIX, SOCK_STREAM, 0, fds) < 0) {
	return 2;
    }
    chan = sc_chan_open_fd(loop, fds[0], SC_READABLE | SC_WRITABLE, 0);
    if (chan == NULL || sc_chan_set_eofchar(chan, '}', '}') != 0
	    || (value = sc_chan_cget(chan, "-eofchar")) == NULL) {
	return 2;
    }
    r = sc_chan_configure(chan, "-eofchar", value);
    printf("cget -eofchar: %s\nconfigure -eofchar with it: %s\n", value,
	    r == 0 ? "ok" : sc_errmsg(loop));
    free(value);
    sc_chan_set_eofchar(chan, 0, 0);
    sc_close(chan);
    close(fds[1]);
    sc_loop_free(loop);
    return r == 0 ? 0 : 1;
}
