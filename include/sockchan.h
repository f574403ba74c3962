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

#define SC_VERSION_MAJOR 0
#define SC_VERSION_MINOR 1
#define SC_VERSION_PATCH 0

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
/* How many file handlers, timers and idle callbacks (as selected by the
 * SC_*_EVENTS bits of flags) are registered: 0 means nothing is left. */
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
