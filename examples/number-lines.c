/*
 * number-lines.c --
 *
 *	Channels on plain descriptors: read stdin line by line from a
 *	readable event (nonblocking, as a server reads a socket), and write
 *	each line numbered to stdout, like `cat -n`. Any end of line works on
 *	input (-translation auto); an optional argument sets stdout's
 *	-translation (lf, crlf, cr).
 *
 *	Run: printf 'one\r\ntwo\n' | build/examples/number-lines crlf
 */

#include <sockchan.h>

#include <stdio.h>
#include <stdlib.h>

struct state {
    sc_chan *in, *out;
    char *line;
    size_t cap;
    long count;
    int done;
};

static void
Readable(void *clientData, int mask)
{
    struct state *s = clientData;
    long n;

    (void) mask;
    /* Take every complete line there is; stop when gets would wait. */
    while ((n = sc_gets(s->in, &s->line, &s->cap)) >= 0) {
	sc_printf(s->out, "%6ld\t%s\n", ++s->count, s->line);
    }
    if (n == SC_EOF || n == SC_ERROR) {
	if (n == SC_ERROR) {
	    fprintf(stderr, "number-lines: %s\n",
		    sc_errmsg(sc_chan_loop(s->in)));
	}
	sc_chan_event(s->in, SC_READABLE, NULL, NULL);
	s->done = 1;
    }
}

int
main(int argc, char **argv)
{
    sc_loop *loop = sc_loop_new(0);
    struct state s = {NULL, NULL, NULL, 0, 0, 0};

    if (loop == NULL) {
	perror("number-lines");
	return 1;
    }
    s.in = sc_chan_open_fd(loop, 0, SC_READABLE, SC_CHAN_KEEP_FD);
    s.out = sc_chan_open_fd(loop, 1, SC_WRITABLE, SC_CHAN_KEEP_FD);
    if (s.in == NULL || s.out == NULL
	    || sc_chan_configure(s.in, "-blocking", "0") < 0
	    || (argc > 1 && sc_chan_configure(s.out, "-translation",
		argv[1]) < 0)
	    || sc_chan_event(s.in, SC_READABLE, Readable, &s) < 0) {
	fprintf(stderr, "number-lines: %s\n", sc_errmsg(loop));
	return 2;
    }
    if (sc_vwait(loop, &s.done) < 0) {
	fprintf(stderr, "number-lines: %s\n", sc_errmsg(loop));
	return 1;
    }
    /* Back to blocking, so that closing stdin does not leave the shell's
     * terminal nonblocking. */
    sc_chan_configure(s.in, "-blocking", "1");
    sc_close(s.in);
    if (sc_close(s.out) < 0) {
	fprintf(stderr, "number-lines: %s\n", sc_errmsg(loop));
	return 1;
    }
    free(s.line);
    sc_loop_free(loop);
    return 0;
}
