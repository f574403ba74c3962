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

/* Parse a whole non-negative number no larger than max; -1 if it is not
 * a number, -2 if it is one but larger than max. */
long cli_number(const char *text, long max);
/* The same for an option's value: bad input exits 2 with "bad WHAT "TEXT":
 * should be a number[ of UNIT]" or "...: too large (at most MAX[UNIT])". */
long cli_number_arg(const char *command, const char *what, const char *text,
	long max, const char *unit);
/* A size in bytes above 0, with an optional K, M or G (1024-based). */
long cli_size_arg(const char *command, const char *what, const char *text,
	long max);
/* A port: a number 0..65535 or a service name; -1 if it is neither. */
int cli_port(const char *text);
/*
 * A time in ncat's and nmap's syntax, in milliseconds: a number (a
 * fraction too) with ms, s, m or h after it (500ms, 1.5s, 2m), or bare,
 * counted in bareMs milliseconds (1000: seconds, as ncat; 1: the older
 * millisecond options). 1 ms to a week; anything else exits 2 with
 * 'bad value "TEXT" for WHAT: ...'.
 */
long cli_time_arg(const char *command, const char *what, const char *text,
	long bareMs);

/*
 * ncat's flags that sockchan lacks (ncat.c): for an option getopt did not
 * know (arg as typed, or its letter), exits 2 with what sockchan does
 * instead or why it refuses; returns when the option is not ncat's.
 */
void cli_refuse_ncat(const char *command, const char *arg, int letter);
/* The same for nmap's flags that sockchan scan lacks (-O, -A, --script...). */
void cli_refuse_nmap(const char *arg);

/*
 * --allow, --deny, --allowfile and --denyfile of a listener (ncat.c), with
 * ncat's meaning: with any allow rule, a peer must match one; a peer that
 * matches a deny rule is refused (deny wins, as in ncat 7.93). Rules are
 * addresses, CIDR blocks, ranges and names (cli_targets_parse); an
 * IPv4-mapped IPv6 peer or rule counts as its IPv4 address. Bad input
 * exits 2.
 */
typedef struct cli_acl cli_acl;
void cli_acl_add(cli_acl **aclPtr, const char *command, const char *option,
	const char *value);
/* Resolve the names the rules hold (once, before listening); with
 * noNames (-n), a name is an error instead. */
void cli_acl_resolve(cli_acl *acl, const char *command, int noNames);
/* NULL when acl lets address in, else why not ("not allowed", "denied"). */
const char *cli_acl_check(const cli_acl *acl, const char *address);
void cli_acl_free(cli_acl *acl);

/* An address and port as ncat writes them: 127.0.0.1:80, [::1]:80. */
void cli_endpoint(char *buf, size_t len, const char *address, int port);

/* Raise RLIMIT_NOFILE's soft limit to the hard one; the new soft limit. */
long cli_raise_nofile(void);

/* Run the loop until no descriptor is watched (closes that are still
 * sending have finished), giving up after ms without progress: 0, or -1
 * when it gave up. */
int cli_drain(sc_loop *loop, long ms);

/*
 * stdin and stdout for the loop (stdio.c), directly or through threads
 * and socketpairs: the flags of the open file descriptions they share
 * are never changed. open returns the loop's descriptor (the caller owns
 * it; take its blocking mode as it is) or -1 with errno set. The loop
 * passes each sc_read of stdin's and each sc_write of stdout's result to
 * got and put (and a failed final flush of stdout as SC_ERROR).
 */
int cli_stdin_open(void);
void cli_stdin_got(long n);
int cli_stdin_error(void);	/* errno of a failed read of stdin, or 0. */
int cli_stdin_ended(void);	/* stdin's end of file was read. */
long long cli_stdin_count(void);	/* Bytes read from stdin. */
long long cli_stdin_taken(void);	/* Bytes the loop took of them. */
int cli_stdin_stop(void);	/* Read no more; 1: nothing held. */
int cli_stdout_open(void);
void cli_stdout_put(long n);
int cli_stdout_direct(void);	/* No thread: a file or a device. */
int cli_stdout_finish(void);	/* After closing our end: wait; errno. */
int cli_stdout_error(void);
long long cli_stdout_count(void);	/* Bytes written to stdout. */
long long cli_stdout_taken(void);	/* Bytes handed on for it. */

/*
 * The echo service (echo.c), shared by serve echo and listen --echo: at
 * most limit bytes queued per connection, budget in all.
 */
typedef struct cli_echo cli_echo;
cli_echo *cli_echo_new(size_t limit, size_t budget,
	void (*onClose)(void *clientData), void *clientData);
void cli_echo_start(cli_echo *echo, sc_chan *chan);
size_t cli_echo_live(const cli_echo *echo);
size_t cli_echo_queued(const cli_echo *echo);

#define CLI_ECHO_LIMIT (64L * 1024)		/* --output-limit default */
#define CLI_ECHO_BUDGET (16L * 1024 * 1024)	/* --output-budget default */

/*
 * Programs for a connection (exec.c): -e/--exec PROG [ARGS] run directly
 * (the words split at blanks, a backslash keeping the next character as
 * it is), -c/--sh-exec CMD through /bin/sh -c.
 */
typedef struct cli_program {
    char **argv;		/* NULL-terminated; argv[0] is the program. */
    const char *text;		/* As given, for messages. */
    int shell;			/* -c: argv's three strings are each
				 * allocated; -e: argv[0] holds them all. */
} cli_program;
/* Parse and check (the program must exist and be executable): exits 2
 * with a message otherwise. */
void cli_program_parse(const char *command, const char *text, int shell,
	cli_program *prog);
void cli_program_free(cli_program *prog);
/* Fork and run prog with fd as its stdin and stdout (stderr stays ours).
 * The pid, or -1 with a message left in errno's words: a failed exec is
 * reported on stderr by the child, which exits 127. */
long cli_program_run(const cli_program *prog, int fd);
/* A wait status as an exit status: the code, or 128 + the signal. */
int cli_exit_status(int waitStatus);

/*
 * TLS (tls.c): ncat's --ssl vocabulary for connect, listen, unix and
 * serve. A parser puts CLI_TLS_LONGOPTS in its option table and hands
 * every option it does not know to cli_tls_option first.
 */
enum {
    CLI_OPT_SSL = 0x1000, CLI_OPT_SSL_CERT, CLI_OPT_SSL_KEY,
    CLI_OPT_SSL_TRUST, CLI_OPT_SSL_NAME, CLI_OPT_SSL_ALPN,
    CLI_OPT_SSL_CIPHERS, CLI_OPT_SSL_VERIFY, CLI_OPT_SSL_NOVERIFY,
    CLI_OPT_STARTTLS
};
#define CLI_TLS_LONGOPTS \
	{"ssl", no_argument, NULL, CLI_OPT_SSL}, \
	{"ssl-cert", required_argument, NULL, CLI_OPT_SSL_CERT}, \
	{"ssl-key", required_argument, NULL, CLI_OPT_SSL_KEY}, \
	{"ssl-trustfile", required_argument, NULL, CLI_OPT_SSL_TRUST}, \
	{"ssl-servername", required_argument, NULL, CLI_OPT_SSL_NAME}, \
	{"ssl-alpn", required_argument, NULL, CLI_OPT_SSL_ALPN}, \
	{"ssl-ciphers", required_argument, NULL, CLI_OPT_SSL_CIPHERS}, \
	{"ssl-verify", no_argument, NULL, CLI_OPT_SSL_VERIFY}, \
	{"ssl-no-verify", no_argument, NULL, CLI_OPT_SSL_NOVERIFY}, \
	{"starttls", required_argument, NULL, CLI_OPT_STARTTLS}

#define CLI_TLS_HANDSHAKE_MS 10000	/* A handshake's limit by default. */

typedef struct cli_tls {
    int on;			/* --ssl, or any --ssl-* option. */
    int noVerify;		/* --ssl-no-verify. */
    const char *cert, *key, *trustfile, *servername, *alpn, *ciphers;
    const char *starttls;	/* connect --starttls PROTOCOL, or NULL. */
    long timeout;		/* The handshake's limit in ms. */
} cli_tls;

/* 1 if c was one of CLI_TLS_LONGOPTS (taken into t), else 0. */
int cli_tls_option(cli_tls *t, int c, const char *arg);
/* After parsing: usage errors (exit 2) for options that do not fit the
 * command; a server without --ssl-cert gets a temporary self-signed
 * certificate (removed at exit), whose fingerprint goes to stderr. */
void cli_tls_check(cli_tls *t, const char *command, int server);
/* Client: --starttls's exchange, then TLS on a connected blocking
 * channel, checked against host (or --ssl-servername); a failure exits 1
 * with its message. */
void cli_tls_connect(const cli_tls *t, sc_chan *chan, const char *host);
/* Server: TLS on an accepted channel; ready(clientData, chan, address,
 * port) once the handshake is done. A failed handshake is said on stderr
 * and the channel closed. */
void cli_tls_accept(const cli_tls *t, sc_chan *chan, const char *address,
	int port, sc_accept_proc *ready, void *clientData);
/* Close every handshake still running. */
void cli_tls_abort(void);
/* Run prog on a plain socketpair bridged to the TLS channel chan, which
 * the bridge owns from now on; onEnd(clientData) once both directions
 * are done. The pid, or -1 with errno set (chan closed). */
long cli_tls_exec(const cli_program *prog, sc_chan *chan,
	sc_proc *onEnd, void *clientData);
/* Bridges still moving bytes. */
long cli_tls_bridges(void);

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
