/*
 * cli.h --
 *
 *	What the parts of the sockchan command share. The command is built
 *	on the public API (include/sockchan.h) and libc only.
 *
 *	Exit status: 0 on success, 1 when the network says no (refused,
 *	timed out, host not found), 2 for bad usage or bad input, 130 after
 *	Ctrl-C. Every failure prints one line on stderr that says what was
 *	wrong, starting with "sockchan: ".
 */

#ifndef SC_CLI_H
#define SC_CLI_H

#include <sockchan.h>

#include <stddef.h>

#define EXIT_NET 1
#define EXIT_USAGE 2
#define EXIT_INTERRUPTED 130

/* Print "sockchan: MESSAGE" on stderr and exit with status. */
void cli_die(int status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));
/* The same for bad usage, adding "(see sockchan COMMAND --help)". */
void cli_usage(const char *command, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

/*
 * stdout's writes checked: cli_check_stdout() flushes it and returns 0, or
 * -1 after "sockchan: error writing "stdout": REASON" on stderr (said
 * once); cli_check_stdout_at_exit() does the same when the process exits
 * and then makes its status 1, unless it was said already.
 */
int cli_check_stdout(void);
void cli_check_stdout_at_exit(void);

/* On stderr: "listening on PATH" (path not NULL), else "listening on
 * ADDR PORT" for each address the server listens on. */
void cli_announce(sc_chan *server, const char *path);

/* Parse a whole non-negative number no larger than max; -1 if it is not. */
long cli_number(const char *text, long max);
/* A port: a number 0..65535 or a service name; -1 if it is neither. */
int cli_port(const char *text);

/* Raise RLIMIT_NOFILE's soft limit to the hard one; the new soft limit. */
long cli_raise_nofile(void);

/*
 * Signals for the loop: SIGINT, SIGTERM, SIGHUP, SIGQUIT and SIGCHLD are
 * blocked
 * and read from a signalfd that the loop watches; proc(clientData, signo)
 * is called on the loop's thread for each. Returns 0 or -1.
 */
typedef void cli_signal_proc(void *clientData, int signo);
int cli_watch_signals(sc_loop *loop, cli_signal_proc *proc,
	void *clientData);
void cli_unwatch_signals(sc_loop *loop);

/* The subcommands: each parses its own arguments and returns the exit
 * status (or exits through cli_die). */
int cmd_connect(int argc, char **argv);
int cmd_listen(int argc, char **argv);
int cmd_unix(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_scan(int argc, char **argv);

#endif /* SC_CLI_H */
