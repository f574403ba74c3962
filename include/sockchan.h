/*
 * sockchan.h --
 *
 *	The public interface of libsockchan: Tcl's socket model for C.
 *	This is the only header a user includes; every structure behind it
 *	is opaque.
 *
 *	Conventions:
 *	  - Names are sc_*; callbacks come just before their client data.
 *	  - A call that fails returns -1 (or NULL, or 0 for a timer token),
 *	    sets errno, and leaves a message in Tcl's words that sc_errmsg()
 *	    returns until the next failing call on the same loop.
 *	  - Every loop is independent: there is no global state, and a loop
 *	    and everything on it belongs to the thread that runs it. Only
 *	    sc_loop_post() may be called from other threads.
 */

#ifndef SOCKCHAN_H
#define SOCKCHAN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) && defined(SC_BUILDING_LIBRARY)
#define SC_API __attribute__((visibility("default")))
#else
#define SC_API
#endif

/* The one place the version is written (CMake reads it from here). */
#define SC_VERSION_MAJOR 0
#define SC_VERSION_MINOR 1
#define SC_VERSION_PATCH 0
#define SC__STR2(x) #x
#define SC__STR(x) SC__STR2(x)
/* The version as a string literal: "MAJOR.MINOR.PATCH". */
#define SC_VERSION_STRING SC__STR(SC_VERSION_MAJOR) "." \
	SC__STR(SC_VERSION_MINOR) "." SC__STR(SC_VERSION_PATCH)

/* The library's version as "MAJOR.MINOR.PATCH". */
SC_API const char *sc_version(void);

/*
 * Event masks, with Tcl's values (TCL_READABLE, ...).
 */
#define SC_READABLE  (1 << 1)
#define SC_WRITABLE  (1 << 2)
#define SC_EXCEPTION (1 << 3)

/*
 * Flags for sc_do_one_event(), with Tcl's values (TCL_DONT_WAIT, ...).
 */
#define SC_DONT_WAIT     (1 << 1)
#define SC_FILE_EVENTS   (1 << 3)
#define SC_TIMER_EVENTS  (1 << 4)
#define SC_IDLE_EVENTS   (1 << 5)
#define SC_ALL_EVENTS    (SC_FILE_EVENTS | SC_TIMER_EVENTS | SC_IDLE_EVENTS)

/*
 * Flags for sc_loop_new(). Without one, the loop uses the best backend
 * the system has (epoll on Linux), unless the environment variable
 * SOCKCHAN_BACKEND names another ("poll" or "epoll").
 */
#define SC_LOOP_EPOLL (1 << 0)
#define SC_LOOP_POLL  (1 << 1)

typedef struct sc_loop sc_loop;

/* A timer's token: never 0 for a timer that was created. */
typedef uint64_t sc_timer;

typedef void sc_file_proc(void *clientData, int mask);
typedef void sc_proc(void *clientData);

/* --- The event loop: Tcl's notifier for C ------------------------------- */

/* A new loop, or NULL with errno set (there is no loop to hold a message). */
SC_API sc_loop *sc_loop_new(int flags);
/* Frees the loop and whatever is still registered on it (without calling
 * any callback). Descriptors are not closed: they are the caller's. */
SC_API void sc_loop_free(sc_loop *loop);
/* "epoll" or "poll": the backend this loop runs on. */
SC_API const char *sc_loop_backend(const sc_loop *loop);
/* How many file handlers (and holds), timers and idle callbacks (as
 * selected by the SC_*_EVENTS bits of flags) are registered: 0 means
 * nothing is left. */
SC_API size_t sc_loop_handlers(const sc_loop *loop, int flags);

/* Watch fd for the events in mask (SC_READABLE, SC_WRITABLE, SC_EXCEPTION)
 * and call proc(clientData, readyMask) when some are ready. Replaces any
 * handler fd had; a mask of 0 keeps the handler but watches nothing.
 * Safe to call from any callback, including the handler itself. */
SC_API int sc_create_file_handler(sc_loop *loop, int fd, int mask,
	sc_file_proc *proc, void *clientData);
/* Forget fd's handler; a no-op when there is none. Call it before closing
 * a watched descriptor. */
SC_API void sc_delete_file_handler(sc_loop *loop, int fd);

/* Call proc(clientData) once, ms milliseconds from now on the monotonic
 * clock. Timers with the same deadline fire in the order of creation.
 * Returns the timer's token, or 0 on error. */
SC_API sc_timer sc_create_timer(sc_loop *loop, long ms, sc_proc *proc,
	void *clientData);
/* Cancel a timer. Returns 1 if it was pending, 0 if it had already fired
 * or been cancelled (then nothing happens). */
SC_API int sc_delete_timer(sc_loop *loop, sc_timer timer);

/* Call proc(clientData) once when the loop has nothing else to do (Tcl's
 * "after idle"). Callbacks added by an idle callback run in the next
 * idle round, not in the current one. */
SC_API int sc_do_when_idle(sc_loop *loop, sc_proc *proc, void *clientData);
/* Cancel every pending idle callback with this proc and clientData. */
SC_API void sc_cancel_idle_call(sc_loop *loop, sc_proc *proc,
	void *clientData);

/* Thread-safe: queue proc(clientData) to run on the loop's thread, and wake
 * the loop. The only call that another thread may make on a loop. */
SC_API int sc_loop_post(sc_loop *loop, sc_proc *proc, void *clientData);
/* Tell the loop that work is pending elsewhere (a thread that will post),
 * so that a wait does not end as "would wait forever". Loop thread only;
 * every hold is matched by a release. */
SC_API void sc_loop_hold(sc_loop *loop);
SC_API void sc_loop_release(sc_loop *loop);

/* Wait for events of the kinds in flags and handle the ones that are ready
 * (Tcl_DoOneEvent). Returns 1 if a callback ran, 0 if none did: with
 * SC_DONT_WAIT when nothing was ready, and at once when nothing is
 * registered that could ever become ready. */
SC_API int sc_do_one_event(sc_loop *loop, int flags);
/* Handle events until *flag is non-zero (Tcl's vwait). Returns 0 then, or
 * -1 with "can't wait: would wait forever" when nothing is left that could
 * set it. With flag NULL, runs until nothing is left and returns 0. */
SC_API int sc_vwait(sc_loop *loop, const int *flag);

/* --- Channels: Tcl's generic I/O for C ---------------------------------- */

typedef struct sc_chan sc_chan;

/*
 * Results of sc_gets and sc_read besides a length: an error (the message
 * is in sc_errmsg), end of file, and "nothing complete yet" on a
 * nonblocking channel (wait for a readable event).
 */
#define SC_ERROR   (-1)
#define SC_EOF     (-2)
#define SC_BLOCKED (-3)

/* -buffering values. */
#define SC_BUFFER_FULL 0
#define SC_BUFFER_LINE 1
#define SC_BUFFER_NONE 2

/* -translation values (one per direction). */
#define SC_TRANS_AUTO   0
#define SC_TRANS_LF     1
#define SC_TRANS_CR     2
#define SC_TRANS_CRLF   3
#define SC_TRANS_BINARY 4

/* Flags for sc_chan_open_fd. */
#define SC_CHAN_KEEP_FD (1 << 8)	/* Closing the channel leaves fd open. */

/* A channel over a descriptor the caller opened: a pipe, a file, a tty,
 * a socket, one end of a socketpair. mode is SC_READABLE, SC_WRITABLE or
 * both; flags may add SC_CHAN_KEEP_FD. The channel owns fd (unless
 * KEEP_FD), starts in the descriptor's own blocking mode (blocking unless
 * O_NONBLOCK is set), and is named "stdin", "stdout", "stderr" for
 * descriptors 0-2 and "fileN" otherwise. NULL on error. */
SC_API sc_chan *sc_chan_open_fd(sc_loop *loop, int fd, int mode, int flags);

/* Read one line into *linePtr (grown with realloc as needed, NUL
 * terminated; *capPtr is its size). Returns the line's length without its
 * end of line, SC_EOF, SC_BLOCKED (nonblocking, no complete line yet: the
 * partial line stays buffered) or SC_ERROR. At end of file a last line
 * without an end of line is returned as a line. A line longer than
 * -maxline is an error; its bytes stay buffered for sc_read. */
SC_API long sc_gets(sc_chan *chan, char **linePtr, size_t *capPtr);
/* Read up to n bytes (after translation and decoding). A blocking channel
 * waits for n bytes or end of file; a nonblocking one returns what there
 * is. Returns the count (> 0), SC_EOF, SC_BLOCKED or SC_ERROR. */
SC_API long sc_read(sc_chan *chan, void *buf, size_t n);
/* Read everything up to end of file (nonblocking: everything there is
 * now) into a new buffer the caller frees, NUL terminated. Returns the
 * length (0 at end of file), SC_BLOCKED or SC_ERROR. */
SC_API long sc_read_all(sc_chan *chan, char **dataPtr);

/* Write n bytes (translated and encoded). Blocking: all of them, or
 * SC_ERROR. Nonblocking: never waits; returns how many were taken, fewer
 * than n when the output queue reached -outputlimit (then sc_blocked is
 * true and a writable event comes when there is room again). */
SC_API long sc_write(sc_chan *chan, const void *buf, size_t n);
/* Write s and a newline (Tcl's puts), or s alone (puts -nonewline): all
 * or nothing. Returns 0, SC_BLOCKED (nonblocking, the queue is full:
 * nothing was taken) or SC_ERROR. */
SC_API int sc_puts(sc_chan *chan, const char *s);
SC_API int sc_puts_nonewline(sc_chan *chan, const char *s);
SC_API int sc_printf(sc_chan *chan, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Send what is buffered. Blocking: waits until written. Nonblocking:
 * writes what the descriptor takes now and the rest in the background. */
SC_API int sc_flush(sc_chan *chan);

/* Tcl's eof, fblocked and chan pending (direction SC_READABLE: bytes
 * buffered for reading; SC_WRITABLE: bytes queued for writing). */
SC_API int sc_eof(const sc_chan *chan);
SC_API int sc_blocked(const sc_chan *chan);
SC_API size_t sc_pending(const sc_chan *chan, int direction);

/* Close the channel: flush, then close. A nonblocking channel with output
 * still queued finishes it in the background, then closes. The handle is
 * gone after the call, even when it returns SC_ERROR (a flush error). May
 * be called from the channel's own event handler. */
SC_API int sc_close(sc_chan *chan);
/* Half-close: direction SC_WRITABLE sends everything queued, then the
 * end of file (shutdown); SC_READABLE stops reading. Later reads or
 * writes on that side fail with Tcl's "wasn't opened for" message. */
SC_API int sc_close_half(sc_chan *chan, int direction);

/* Call proc(clientData, mask) while the channel is readable (input is
 * buffered, or the descriptor has some, or end of file) or writable
 * (there is room for output), as Tcl's chan event. event is SC_READABLE
 * or SC_WRITABLE; a NULL proc removes the handler. A handler may close its
 * channel or remove itself. */
SC_API int sc_chan_event(sc_chan *chan, int event, sc_file_proc *proc,
	void *clientData);

/* Options by Tcl's name: -blocking, -buffering, -buffersize, -encoding,
 * -eofchar, -translation, and sockchan's -maxline and -outputlimit, plus
 * the driver's. sc_chan_configure sets one; sc_chan_cget returns one, or
 * every option as "-name value ..." when option is NULL, as a new string
 * the caller frees (NULL on error). */
SC_API int sc_chan_configure(sc_chan *chan, const char *option,
	const char *value);
SC_API char *sc_chan_cget(sc_chan *chan, const char *option);

/* Typed setters for the same options. */
SC_API int sc_chan_set_blocking(sc_chan *chan, int blocking);
SC_API int sc_chan_set_buffering(sc_chan *chan, int buffering);
SC_API int sc_chan_set_buffersize(sc_chan *chan, size_t size);
SC_API int sc_chan_set_translation(sc_chan *chan, int in, int out);
SC_API int sc_chan_set_encoding(sc_chan *chan, const char *name);
SC_API int sc_chan_set_eofchar(sc_chan *chan, int in, int out);
SC_API int sc_chan_set_maxline(sc_chan *chan, size_t bytes);
SC_API int sc_chan_set_outputlimit(sc_chan *chan, size_t bytes);

/* The channel's name ("file5", "sock..."), its loop, and the descriptor
 * of one direction (-1 if none). */
SC_API const char *sc_chan_name(const sc_chan *chan);
SC_API sc_loop *sc_chan_loop(const sc_chan *chan);
SC_API int sc_chan_fd(const sc_chan *chan, int direction);

/* Copy from in to out in the background (Tcl's chan copy): size bytes,
 * or up to end of file when size is -1. done(clientData, bytes, errmsg)
 * is called once at the end (errmsg NULL on success). Without done, the
 * copy runs now and returns the count, or SC_ERROR. While a copy runs,
 * both channels belong to it. When neither side translates or converts
 * and both are sockets or pipes, the bytes move with splice(2) and never
 * enter user space. */
typedef void sc_copy_proc(void *clientData, long long bytes,
	const char *errmsg);
SC_API long long sc_chan_copy(sc_chan *in, sc_chan *out, long long size,
	sc_copy_proc *done, void *clientData);

/* --- TCP sockets: Tcl's socket command for C ---------------------------- */

/* Flags. */
#define SC_TCP_ASYNC     (1 << 0)	/* Client: connect in the background. */
#define SC_TCP_IPV4      (1 << 1)	/* Only IPv4 addresses. */
#define SC_TCP_IPV6      (1 << 2)	/* Only IPv6 addresses. */
#define SC_TCP_REUSEADDR (1 << 3)	/* Server: SO_REUSEADDR (TIP 456). */
#define SC_TCP_REUSEPORT (1 << 4)	/* Server: SO_REUSEPORT (TIP 456). */
#define SC_TCP_SERIAL    (1 << 5)	/* Client: no Happy Eyeballs; one
					 * address after another, as Tcl. */

/* The options of a client (socket ?-myaddr? ?-myport? ?-async?). */
typedef struct sc_tcp_options {
    const char *myaddr;		/* Local address or name, or NULL. */
    const char *myport;		/* Local port or service, or NULL. */
    int flags;			/* SC_TCP_ASYNC, SC_TCP_IPV4, SC_TCP_IPV6,
				 * SC_TCP_SERIAL. */
    long timeout;		/* Milliseconds to connect; 0: no limit. */
} sc_tcp_options;

/* Open a client connection to host (a name, or an IPv4 or IPv6 address)
 * and port (a number or a service name); options may be NULL.
 * A name's addresses race (Happy Eyeballs, RFC 8305): the name is looked
 * up in the background twice, for every address and for IPv4 alone (so
 * that a slow AAAA answer does not hold back the A one); the first attempt
 * starts with the first answer (an IPv4 one waits up to 50 ms for the
 * other), families
 * interleaved with IPv6 first; each next address 250 ms after the one
 * before started, at once when one fails, the first to connect wins and
 * the others are closed. Every address is paired with every local address
 * of its family. SC_TCP_SERIAL tries them one after another instead, as
 * Tcl does. The timeout bounds all of it, the lookup included.
 * Synchronous: returns the connected channel, or NULL with "couldn't
 * open socket: connection refused" (the attempt that got farthest).
 * SC_TCP_ASYNC: returns a channel at once, whatever the network does
 * (the name lookup too runs off the loop); the outcome comes as a
 * writable event, after which the -error option gives the reason ("" on
 * success). A bad port or option, or a local address (myaddr) this host
 * does not have, is still an error at the call: no connect() could be
 * made, as Tcl says at once too. The channel's blocking mode is what
 * SC_TCP_ASYNC made it (nonblocking) until it is configured. */
SC_API sc_chan *sc_open_tcp_client(sc_loop *loop, const char *host,
	const char *port, const sc_tcp_options *options);
/* The same, with the delay between two attempts of a race in ms
 * (attemptDelay; 0: the default, 250). */
SC_API sc_chan *sc_open_tcp_client_ex(sc_loop *loop, const char *host,
	const char *port, const sc_tcp_options *options, long attemptDelay);

/* A server calls this for each connection: the new channel, the client's
 * numeric address and port. */
typedef void sc_accept_proc(void *clientData, sc_chan *chan,
	const char *address, int port);

/* Listen on service (a port or service name; "0" lets the system choose)
 * on every address host resolves to, or on every interface (IPv4 and IPv6
 * on one port) when host is NULL: Tcl_OpenTcpServerEx. flags:
 * SC_TCP_REUSEADDR, SC_TCP_REUSEPORT, SC_TCP_IPV4, SC_TCP_IPV6; backlog
 * -1 for the system's largest. Returns the server channel (close it to
 * stop accepting; it cannot be read or written), or NULL. */
SC_API sc_chan *sc_open_tcp_server_ex(sc_loop *loop, const char *service,
	const char *host, unsigned flags, int backlog,
	sc_accept_proc *acceptProc, void *clientData);
/* The same with SO_REUSEADDR and the largest backlog (Tcl's defaults). */
SC_API sc_chan *sc_open_tcp_server(sc_loop *loop, const char *port,
	const char *host, sc_accept_proc *acceptProc, void *clientData);

/* --- Unix-domain sockets --------------------------------------------------- */

#define SC_UNIX_ASYNC (1 << 0)	/* Client: report the outcome by an event. */

typedef struct sc_unix_options {
    int flags;			/* SC_UNIX_ASYNC. */
    int mode;			/* Server: the socket file's mode (0600);
				 * 0 leaves the umask's. */
    int backlog;		/* Server: -1 or 0 for the system's largest. */
    size_t length;		/* The name's length, when it holds a NUL
				 * (an abstract name "\0name"); 0: strlen. */
} sc_unix_options;

/* Connect to the Unix socket at path ("@name", or "\0name" with its
 * length, for Linux's abstract names). Synchronous: the channel or NULL
 * ("couldn't open socket: no such file or directory"); SC_UNIX_ASYNC: the
 * channel at once, the outcome through a writable event and -error, as
 * for TCP. options may be NULL. A path longer than the system allows is
 * an error, never truncated. */
SC_API sc_chan *sc_open_unix_client(sc_loop *loop, const char *path,
	const sc_unix_options *options);

/* Listen on the Unix socket at path, and call acceptProc(clientData,
 * chan, peer, 0) for each connection (peer: the client's name, usually
 * ""). What is at path already is never destroyed: a socket nobody
 * answers on (stale) is replaced; a live one is "couldn't open socket:
 * address already in use"; a file, a directory, a link are an error that
 * names them, and stay. Closing the server removes the socket file, if it
 * is still the one it made. options may be NULL. */
SC_API sc_chan *sc_open_unix_server(sc_loop *loop, const char *path,
	const sc_unix_options *options, sc_accept_proc *acceptProc,
	void *clientData);

/*
 * Stacked transforms and TLS (OpenSSL). A transform sits between a
 * channel's buffers and its socket, as in Tcl_StackChannel: reads, writes,
 * events, options and close go through it. sc_tls_push stacks TLS on an
 * open channel (also after plain text: STARTTLS); sc_chan_pop takes the
 * top transform off again (TLS sends close_notify). Verification is on by
 * default: the chain against the system's trust store (or cafile/cadir)
 * and, for a client, the host name (an IP literal as an address).
 * Queries (sc_chan_cget): -protocol -cipher -alpn -verify -servername
 * -subject -issuer -serial -notbefore -notafter -sha256 -san.
 */
#define SC_TLS_SERVER   (1 << 0)	/* The server's side of the handshake. */
#define SC_TLS_NOVERIFY (1 << 1)	/* Client: don't verify the server
					 * (insecure; explicit). */
#define SC_TLS_REQUEST  (1 << 2)	/* Server: ask for a client certificate. */
#define SC_TLS_REQUIRE  (1 << 3)	/* Server: require a verified one. */

#define SC_TLS_1_2 12
#define SC_TLS_1_3 13

typedef struct sc_tls_options {
    int flags;			/* SC_TLS_SERVER, _NOVERIFY, _REQUEST, ... */
    const char *cafile;		/* Trusted CAs (PEM), or NULL: the system's */
    const char *cadir;		/* A hashed CA directory, or NULL. */
    const char *certfile;	/* Our certificate chain (PEM); a server's
				 * is required. */
    const char *keyfile;	/* Its key (PEM); NULL: in certfile. */
    const char *servername;	/* Client: the name checked and sent as
				 * SNI; NULL: the host connected to. */
    const char *alpn;		/* "h2,http/1.1", or NULL. */
    const char *cipher;		/* TLS 1.2 cipher list, or NULL. */
    const char *ciphersuites;	/* TLS 1.3 suites, or NULL. */
    int minVersion;		/* 0 (TLS 1.2), SC_TLS_1_2 or SC_TLS_1_3. */
    long timeout;		/* Milliseconds for the handshake; 0: no
				 * limit. */
} sc_tls_options;

SC_API int sc_tls_push(sc_chan *chan, const sc_tls_options *options);
SC_API sc_chan *sc_open_tls_client(sc_loop *loop, const char *host,
	const char *port, const sc_tcp_options *tcpOptions,
	const sc_tls_options *options);
SC_API int sc_chan_pop(sc_chan *chan);
/* A temporary self-signed certificate and key (one PEM file, made new,
 * mode 0600) for cn, 127.0.0.1 and ::1; its SHA-256 fingerprint (96
 * bytes with the NUL) into sha256. */
SC_API int sc_tls_selfsigned(sc_loop *loop, const char *path,
	const char *cn, char *sha256, size_t size);

/* --- Errors -------------------------------------------------------------- */

/* The message of the last failed call on this loop, in Tcl's words. The
 * caller must not free this string; it changes with the next failure. */
SC_API const char *sc_errmsg(const sc_loop *loop);
/* Tcl_ErrnoMsg: the lower-case text Tcl gives an errno value
 * ("connection refused", "too many open files"). Never NULL. */
SC_API const char *sc_errno_msg(int err);

#ifdef __cplusplus
}
#endif

#endif /* SOCKCHAN_H */
