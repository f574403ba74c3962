/*
 * fuzz_options.c --
 *
 *	Option values by name: sc_chan_configure and sc_chan_cget with
 *	names and values from the input, on a channel over one end of a
 *	socketpair, over the read end of a pipe, on a Unix-socket client
 *	and on a Unix-socket server (abstract names: nothing on disk).
 *
 *	Input: byte 0 chooses the channel (% 4); the rest is strings
 *	separated by NUL bytes, taken as pairs (name, value). For each pair:
 *	configure, then cget of the same name. When configure succeeded,
 *	the value cget gives must be accepted back by configure and then
 *	read back the same (fconfigure's round trip), or the check fails.
 *	At the end every option is listed (cget NULL), a little text goes
 *	out and comes back through the channel with the options set, and
 *	the channel is closed.
 */

#include "sockchan.h"
#include "fuzz_common.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static sc_loop *loop;
static sc_chan *server;
static char serverName[64];

static void
Accept(void *clientData, sc_chan *chan, const char *address, int port)
{
    (void) clientData;
    (void) address;
    (void) port;
    sc_close(chan);
}

static void
Setup(void)
{
    loop = sc_loop_new(0);
    FUZZ_CHECK(loop != NULL, "no loop");
    snprintf(serverName, sizeof(serverName), "@sockchan-fuzz-options-%ld",
	    (long) getpid());
    server = sc_open_unix_server(loop, serverName, NULL, Accept, NULL);
    FUZZ_CHECK(server != NULL, "no server: %s", sc_errmsg(loop));
}

/* Take the connections made so far (each closed at once). */
static void
Pump(void)
{
    int i;

    for (i = 0; i < 4 && sc_do_one_event(loop, SC_ALL_EVENTS | SC_DONT_WAIT);
	    i++) {
    }
}

/* The next NUL-terminated string of the input, copied (NULL at the end). */
static char *
Next(const uint8_t **data, size_t *size)
{
    const uint8_t *end;
    size_t n;
    char *s;

    if (*size == 0) {
	return NULL;
    }
    end = memchr(*data, '\0', *size);
    n = end ? (size_t) (end - *data) : *size;
    s = malloc(n + 1);
    FUZZ_CHECK(s != NULL, "out of memory");
    memcpy(s, *data, n);
    s[n] = '\0';
    *data += n + (end != NULL);
    *size -= n + (end != NULL);
    return s;
}

/* Setting what cget gave must work, and read back the same. */
static void
RoundTrip(sc_chan *chan, const char *name)
{
    char *value = sc_chan_cget(chan, name), *again;

    FUZZ_CHECK(value != NULL, "cget %s after configure: %s", name,
	    sc_errmsg(loop));
    FUZZ_CHECK(sc_chan_configure(chan, name, value) == 0,
	    "configure %s {%s} (what cget gave): %s", name, value,
	    sc_errmsg(loop));
    again = sc_chan_cget(chan, name);
    FUZZ_CHECK(again != NULL && strcmp(again, value) == 0,
	    "%s: {%s} set, {%s} read back", name, value,
	    again ? again : "(error)");
    free(value);
    free(again);
}

/* Some text out and back with the options as they are now. */
static void
Exchange(sc_chan *chan, int peer, int readable, int writable)
{
    static const char text[] = "h\xc3\xa9llo\r\nw\xe2\x82\xacrld\rx\n\x1a";
    char buf[4096], *all = NULL;

    sc_chan_set_blocking(chan, 0);
    if (writable && sc_puts(chan, text) == 0) {
	sc_flush(chan);
	if (peer >= 0) {
	    while (recv(peer, buf, sizeof(buf), MSG_DONTWAIT) > 0) {
	    }
	}
    }
    if (readable && peer >= 0) {
	if (write(peer, text, sizeof(text) - 1) > 0) {
	    long n = sc_read_all(chan, &all);

	    FUZZ_CHECK(n >= 0 || n == SC_BLOCKED || n == SC_ERROR,
		    "read_all: %ld", n);
	    free(all);
	}
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sc_chan *chan = NULL;
    unsigned kind;
    int fds[2] = {-1, -1}, peer = -1, readable = 1, writable = 1;
    char *name, *value, *all;

    if (size < 1) {
	return 0;
    }
    if (loop == NULL) {
	Setup();
    }
    kind = FuzzByte(&data, &size) % 4;
    switch (kind) {
    case 0:
	FUZZ_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds)
		== 0, "socketpair: %d", errno);
	chan = sc_chan_open_fd(loop, fds[0], SC_READABLE | SC_WRITABLE, 0);
	peer = fds[1];
	break;
    case 1:
	FUZZ_CHECK(pipe(fds) == 0, "pipe: %d", errno);
	chan = sc_chan_open_fd(loop, fds[0], SC_READABLE, 0);
	close(fds[1]);
	writable = 0;
	break;
    case 2:
	chan = sc_open_unix_client(loop, serverName, NULL);
	break;
    default:
	chan = server;
	readable = writable = 0;
	break;
    }
    FUZZ_CHECK(chan != NULL, "no channel of kind %u: %s", kind,
	    sc_errmsg(loop));

    while ((name = Next(&data, &size)) != NULL) {
	char *got;
	int r;

	value = Next(&data, &size);
	if (value == NULL) {
	    got = sc_chan_cget(chan, name);
	    free(got);
	    free(name);
	    break;
	}
	/* The shared server keeps its options: only read them. */
	r = chan == server ? -1 : sc_chan_configure(chan, name, value);
	if (r == 0) {
	    RoundTrip(chan, name);
	} else if (chan != server) {
	    FUZZ_CHECK(r == -1 && sc_errmsg(loop)[0] != '\0',
		    "configure %s {%s}: %d without a message", name, value, r);
	}
	got = sc_chan_cget(chan, name);
	FUZZ_CHECK(r != 0 || got != NULL, "cget %s after configure: %s",
		name, sc_errmsg(loop));
	free(got);
	free(name);
	free(value);
    }
    all = sc_chan_cget(chan, NULL);
    FUZZ_CHECK(all != NULL, "cget (all): %s", sc_errmsg(loop));
    free(all);

    if (chan != server) {
	Exchange(chan, peer, readable, writable);
	/* Closing must not wait: what is queued goes (the peer reads). */
	sc_chan_set_blocking(chan, 1);
	if (peer >= 0) {
	    shutdown(peer, SHUT_RD);
	}
	sc_close(chan);
    }
    if (peer >= 0) {
	close(peer);
    }
    Pump();
    return 0;
}
