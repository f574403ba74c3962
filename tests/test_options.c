/*
 * test_options.c --
 *
 *	Channel options by name (src/chan/options.c): Tcl's names, values,
 *	abbreviations and messages, and the typed setters.
 */

#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void
all_options_as_fconfigure(void **state)
{
    sc_loop *loop = sct_loop();
    int peer, fds[2];
    sc_chan *chan = sct_pair_chan(loop, &peer, 0), *r;

    (void) state;
    sct_expect(chan, NULL, "-blocking 1 -buffering full -buffersize 4096 "
	    "-encoding utf-8 -eofchar {{} {}} -translation {auto lf} "
	    "-maxline 1048576 -outputlimit 1048576");
    /* A one-way channel shows single values. */
    assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
    r = sc_chan_open_fd(loop, fds[0], SC_READABLE, 0);
    sct_expect(r, NULL, "-blocking 1 -buffering full -buffersize 4096 "
	    "-encoding utf-8 -eofchar {} -translation auto "
	    "-maxline 1048576 -outputlimit 1048576");
    sc_close(r);
    close(fds[1]);
    sc_close(chan);
    close(peer);
    sct_loop_free(loop);
}

/*
 * Found by fuzz_options. A value with an unbalanced brace is a list
 * element backslashed, as Tcl writes it, so that what cget gives can be
 * configured back.
 */
static void
brace_eofchar_round_trips(void **state)
{
    sc_loop *loop = sct_loop();
    int peer;
    sc_chan *chan = sct_pair_chan(loop, &peer, 0);
    char *v;

    (void) state;
    assert_int_equal(sc_chan_configure(chan, "-eofchar", "\\}"), 0);
    sct_expect(chan, "-eofchar", "\\} \\}");
    v = sc_chan_cget(chan, "-eofchar");
    assert_non_null(v);
    assert_int_equal(sc_chan_configure(chan, "-eofchar", v), 0);
    free(v);
    assert_int_equal(sc_chan_configure(chan, "-eofchar", "\\{ \"\\}\""), 0);
    sct_expect(chan, "-eofchar", "\\{ \\}");
    assert_int_equal(sc_chan_configure(chan, "-eofchar", "{} x"), 0);
    sct_expect(chan, "-eofchar", "{} x");
    sc_close(chan);
    close(peer);
    {
	/* A one-way channel's one value is an element too, as Tcl's. */
	int fds[2];
	sc_chan *r;

	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	r = sc_chan_open_fd(loop, fds[0], SC_READABLE, 0);
	sct_expect(r, "-eofchar", "{}");
	assert_int_equal(sc_chan_configure(r, "-eofchar", "\\{"), 0);
	sct_expect(r, "-eofchar", "\\{");
	assert_int_equal(sc_chan_configure(r, "-eofchar", "{ }"), 0);
	sct_expect(r, "-eofchar", "{ }");
	v = sc_chan_cget(r, "-eofchar");
	assert_int_equal(sc_chan_configure(r, "-eofchar", v), 0);
	free(v);
	sct_expect(r, "-eofchar", "{ }");
	sc_close(r);
	close(fds[1]);
    }
    sct_loop_free(loop);
}

static void
set_and_get_each(void **state)
{
    sc_loop *loop = sct_loop();
    int peer;
    sc_chan *chan = sct_pair_chan(loop, &peer, 0);

    (void) state;
    assert_int_equal(sc_chan_configure(chan, "-blocking", "false"), 0);
    sct_expect(chan, "-blocking", "0");
    assert_true(fcntl(sc_chan_fd(chan, SC_READABLE), F_GETFL) & O_NONBLOCK);
    assert_int_equal(sc_chan_configure(chan, "-blocking", "yes"), 0);
    sct_expect(chan, "-blocking", "1");
    assert_false(fcntl(sc_chan_fd(chan, SC_READABLE), F_GETFL) & O_NONBLOCK);

    assert_int_equal(sc_chan_configure(chan, "-buffering", "line"), 0);
    sct_expect(chan, "-buffering", "line");
    assert_int_equal(sc_chan_configure(chan, "-buffering", "n"), 0);
    sct_expect(chan, "-buffering", "none");

    assert_int_equal(sc_chan_configure(chan, "-buffersize", "10000"), 0);
    sct_expect(chan, "-buffersize", "10000");
    assert_int_equal(sc_chan_configure(chan, "-buffersize", "0x10"), 0);
    sct_expect(chan, "-buffersize", "16");
    /* Kept within Tcl's range. */
    assert_int_equal(sc_chan_configure(chan, "-buffersize", "99999999"), 0);
    sct_expect(chan, "-buffersize", "1048576");
    assert_int_equal(sc_chan_configure(chan, "-buffersize", "-3"), 0);
    sct_expect(chan, "-buffersize", "1");

    assert_int_equal(sc_chan_configure(chan, "-encoding", "ISO8859-1"), 0);
    sct_expect(chan, "-encoding", "iso8859-1");
    assert_int_equal(sc_chan_configure(chan, "-encoding", ""), 0);
    sct_expect(chan, "-encoding", "binary");

    assert_int_equal(sc_chan_configure(chan, "-eofchar", "\x1a"), 0);
    sct_expect(chan, "-eofchar", "\x1a \x1a");
    assert_int_equal(sc_chan_configure(chan, "-eofchar", "{} x"), 0);
    sct_expect(chan, "-eofchar", "{} x");

    assert_int_equal(sc_chan_configure(chan, "-translation", "crlf cr"), 0);
    sct_expect(chan, "-translation", "crlf cr");
    assert_int_equal(sc_chan_configure(chan, "-translation", "auto"), 0);
    sct_expect(chan, "-translation", "auto lf");	/* Output auto: Unix's. */
    assert_int_equal(sc_chan_configure(chan, "-translation", "platform"), 0);
    sct_expect(chan, "-translation", "lf lf");
    /* binary is lf, the binary encoding and no eofchar. */
    assert_int_equal(sc_chan_configure(chan, "-encoding", "utf-8"), 0);
    assert_int_equal(sc_chan_configure(chan, "-translation", "binary"), 0);
    sct_expect(chan, "-translation", "lf lf");
    sct_expect(chan, "-encoding", "binary");
    sct_expect(chan, "-eofchar", "{} {}");

    assert_int_equal(sc_chan_configure(chan, "-maxline", "100"), 0);
    sct_expect(chan, "-maxline", "100");
    assert_int_equal(sc_chan_configure(chan, "-outputlimit", "5000"), 0);
    sct_expect(chan, "-outputlimit", "5000");
    sc_close(chan);
    close(peer);
    sct_loop_free(loop);
}

/* Tcl 8.6's abbreviations: -bl is -blocking, -bufferi -buffering; -b,
 * -buffer, -e and - are too short. */
static void
abbreviations(void **state)
{
    sc_loop *loop = sct_loop();
    int peer;
    sc_chan *chan = sct_pair_chan(loop, &peer, 0);
    static const char *const tooShort[] = {"-b", "-buffer", "-e", "-"};
    size_t i;

    (void) state;
    sct_expect(chan, "-bl", "1");
    sct_expect(chan, "-bufferi", "full");
    sct_expect(chan, "-buffers", "4096");
    sct_expect(chan, "-en", "utf-8");
    sct_expect(chan, "-eo", "{} {}");
    sct_expect(chan, "-t", "auto lf");
    assert_int_equal(sc_chan_configure(chan, "-tr", "lf"), 0);
    sct_expect(chan, "-translation", "lf lf");
    for (i = 0; i < sizeof(tooShort) / sizeof(tooShort[0]); i++) {
	char expect[256];

	assert_null(sc_chan_cget(chan, tooShort[i]));
	snprintf(expect, sizeof(expect), "bad option \"%s\": should be one "
		"of -blocking, -buffering, -buffersize, -encoding, -eofchar, "
		"-translation, -maxline, or -outputlimit", tooShort[i]);
	assert_string_equal(sc_errmsg(loop), expect);
    }
    sc_close(chan);
    close(peer);
    sct_loop_free(loop);
}

static void
bad_values_in_tcl_words(void **state)
{
    static const struct {
	const char *option, *value, *message;
    } cases[] = {
	{"-blocking", "maybe", "expected boolean value but got \"maybe\""},
	{"-blocking", "o", "expected boolean value but got \"o\""},
	{"-blocking", "2", "expected boolean value but got \"2\""},
	{"-buffering", "some", "bad value for -buffering: must be one of "
		"full, line, or none"},
	{"-buffering", "", "bad value for -buffering: must be one of "
		"full, line, or none"},
	{"-buffersize", "big", "expected integer but got \"big\""},
	{"-buffersize", "0o", "expected integer but got \"0o\""},
	{"-maxline", "-", "expected integer but got \"-\""},
	{"-encoding", "klingon", "unknown encoding \"klingon\""},
	{"-eofchar", "ab", "bad value for -eofchar: must be non-NUL ASCII "
		"character"},
	{"-eofchar", "a b c", "bad value for -eofchar: should be a list of "
		"zero, one, or two elements"},
	{"-translation", "dos", "bad value for -translation: must be one of "
		"auto, binary, cr, lf, crlf, or platform"},
	{"-translation", "lf lf lf", "bad value for -translation: must be a "
		"one or two element list"},
	{"-maxline", "0", "bad value for -maxline: must be a positive "
		"integer"},
	{"-outputlimit", "x", "expected integer but got \"x\""},
	{"-foo", "1", "bad option \"-foo\": should be one of -blocking, "
		"-buffering, -buffersize, -encoding, -eofchar, -translation, "
		"-maxline, or -outputlimit"},
    };
    sc_loop *loop = sct_loop();
    int peer;
    sc_chan *chan = sct_pair_chan(loop, &peer, 0);
    char *before = sc_chan_cget(chan, NULL), *after;
    size_t i;

    (void) state;
    assert_non_null(before);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
	assert_int_equal(sc_chan_configure(chan, cases[i].option,
		cases[i].value), -1);
	assert_string_equal(sc_errmsg(loop), cases[i].message);
    }
    /* Nothing was changed by any of them. */
    after = sc_chan_cget(chan, NULL);
    assert_string_equal(before, after);
    assert_null(sc_chan_cget(chan, "-nosuch"));
    assert_string_equal(sc_errmsg(loop), "bad option \"-nosuch\": should "
	    "be one of -blocking, -buffering, -buffersize, -encoding, "
	    "-eofchar, -translation, -maxline, or -outputlimit");
    assert_int_equal(sc_chan_configure(chan, NULL, "x"), -1);
    free(before);
    free(after);
    sc_close(chan);
    close(peer);
    sct_loop_free(loop);
}

static void
typed_setters(void **state)
{
    sc_loop *loop = sct_loop();
    int peer;
    sc_chan *chan = sct_pair_chan(loop, &peer, 0);

    (void) state;
    assert_int_equal(sc_chan_set_blocking(chan, 0), 0);
    assert_int_equal(sc_chan_set_buffering(chan, SC_BUFFER_LINE), 0);
    assert_int_equal(sc_chan_set_buffersize(chan, 8192), 0);
    assert_int_equal(sc_chan_set_translation(chan, SC_TRANS_CRLF,
	    SC_TRANS_CR), 0);
    assert_int_equal(sc_chan_set_encoding(chan, "ascii"), 0);
    assert_int_equal(sc_chan_set_eofchar(chan, 'z', 0), 0);
    assert_int_equal(sc_chan_set_maxline(chan, 77), 0);
    assert_int_equal(sc_chan_set_outputlimit(chan, 99), 0);
    sct_expect(chan, NULL, "-blocking 0 -buffering line -buffersize 8192 "
	    "-encoding ascii -eofchar {z {}} -translation {crlf cr} "
	    "-maxline 77 -outputlimit 99");
    assert_int_equal(sc_chan_set_buffering(chan, 9), -1);
    assert_int_equal(sc_chan_set_translation(chan, 9, 0), -1);
    assert_int_equal(sc_chan_set_eofchar(chan, 200, 0), -1);
    assert_int_equal(sc_chan_set_maxline(chan, 0), -1);
    assert_int_equal(sc_chan_set_encoding(chan, "nope"), -1);
    assert_int_equal(sc_chan_set_blocking(NULL, 0), -1);
    assert_int_equal(errno, EINVAL);
    sc_close(chan);
    close(peer);
    sct_loop_free(loop);
}

static const struct CMUnitTest tests[] = {
    SCT(all_options_as_fconfigure),
    SCT(set_and_get_each),
    SCT(brace_eofchar_round_trips),
    SCT(abbreviations),
    SCT(bad_values_in_tcl_words),
    SCT(typed_setters),
};

SCT_MAIN(tests)
