/*
 * util.c --
 *
 *	Small things the subcommands share: messages and exits, numbers and
 *	ports, the descriptor limit, signals through a signalfd.
 */

#include "cli.h"

#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

/* "sockchan: " and the message on stderr, after what stdout holds. */
static void Complain(const char *fmt, va_list ap)
	__attribute__((format(printf, 1, 0)));

static void
Complain(const char *fmt, va_list ap)
{
    fflush(stdout);
    fputs("sockchan: ", stderr);
    vfprintf(stderr, fmt, ap);
}

void
cli_die(int status, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    Complain(fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(status);
}

void
cli_usage(const char *command, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    Complain(fmt, ap);
    va_end(ap);
    fprintf(stderr, " (see sockchan %s%s--help)\n", command ? command : "",
	    command ? " " : "");
    exit(EXIT_USAGE);
}

/*
 * Has everything written to stdout reached it? On the first failure,
 * "sockchan: error writing "stdout": REASON" goes to stderr.
 */
static int stdoutReported;

int
cli_check_stdout(void)
{
    int err;

    if (stdoutReported) {
	return -1;
    }
    if (ferror(stdout)) {
	err = errno;		/* Most likely the failed write's. */
    } else {
	errno = 0;
	if (fflush(stdout) == 0 && !ferror(stdout)) {
	    return 0;
	}
	err = errno;
    }
    stdoutReported = 1;
    fprintf(stderr, "sockchan: error writing \"stdout\": %s\n",
	    sc_errno_msg(err ? err : EIO));
    return -1;
}

/* At exit (--help, cli_die...): a stdout not written is a failure. */
static void
CheckStdoutAtExit(void)
{
    if (!stdoutReported && cli_check_stdout() < 0) {
	_exit(EXIT_NET);
    }
}

void
cli_check_stdout_at_exit(void)
{
    atexit(CheckStdoutAtExit);
}

void
cli_announce(sc_chan *server, const char *path)
{
    char *names, *word[3], *p, *save = NULL;
    int n = 0;

    if (path != NULL) {
	fprintf(stderr, "listening on %s\n", path);
	return;
    }
    names = sc_chan_cget(server, "-sockname");
    if (names == NULL) {
	return;
    }
    /* -sockname is a list of {address host port} triples. */
    for (p = strtok_r(names, " ", &save); p != NULL;
	    p = strtok_r(NULL, " ", &save)) {
	word[n++] = p;
	if (n == 3) {
	    fprintf(stderr, "listening on %s %s\n", word[0], word[2]);
	    n = 0;
	}
    }
    free(names);
}

long
cli_number(const char *text, long max)
{
    const char *p;
    char *end;
    long n;

    if (text == NULL || text[0] < '0' || text[0] > '9') {
	return -1;
    }
    for (p = text; *p >= '0' && *p <= '9'; p++) {
    }
    if (*p != '\0') {
	return -1;
    }
    errno = 0;
    n = strtol(text, &end, 10);
    if (errno == ERANGE || n > max) {
	return -2;		/* All digits, but too large. */
    }
    return n;
}

long
cli_number_arg(const char *command, const char *what, const char *text,
	long max, const char *unit)
{
    long n = cli_number(text, max);

    if (n == -2) {
	cli_usage(command, "bad %s \"%s\": too large (at most %ld%s)", what,
		text, max, unit);
    }
    if (n < 0) {
	cli_usage(command, "bad %s \"%s\": should be a number%s%s", what,
		text, unit[0] ? " of" : "", unit);
    }
    return n;
}

long
cli_size_arg(const char *command, const char *what, const char *text,
	long max)
{
    char digits[32];
    size_t len = text ? strlen(text) : 0;
    long n, unit = 1;

    if (len > 0 && len < sizeof(digits)) {
	switch (text[len - 1]) {
	case 'k': case 'K': unit = 1L << 10; break;
	case 'm': case 'M': unit = 1L << 20; break;
	case 'g': case 'G': unit = 1L << 30; break;
	}
    }
    if (unit > 1) {
	memcpy(digits, text, len - 1);
	digits[len - 1] = '\0';
	n = cli_number(digits, max / unit);
    } else {
	n = cli_number(text, max);
    }
    if (n == -2) {
	cli_usage(command, "bad %s \"%s\": too large (at most %ld bytes)",
		what, text, max);
    }
    if (n <= 0) {
	cli_usage(command, "bad %s \"%s\": should be a number of bytes "
		"above 0, with K, M or G for KiB, MiB or GiB", what, text);
    }
    return n * unit;
}

static void
DrainTimeout(void *clientData)
{
    *(int *) clientData = 1;
}

int
cli_drain(sc_loop *loop, long ms)
{
    int stalled = 0;
    sc_timer t = sc_create_timer(loop, ms, DrainTimeout, &stalled);

    while (!stalled && sc_loop_handlers(loop, SC_FILE_EVENTS) > 0) {
	int r = sc_do_one_event(loop, SC_ALL_EVENTS);

	if (r < 0) {
	    break;
	}
	if (r > 0 && !stalled) {
	    sc_delete_timer(loop, t);	/* Progress: another ms. */
	    t = sc_create_timer(loop, ms, DrainTimeout, &stalled);
	}
    }
    if (!stalled) {
	sc_delete_timer(loop, t);
    }
    return stalled ? -1 : 0;
}

int
cli_port(const char *text)
{
    long n = cli_number(text, 65535);
    struct servent se, *result = NULL;
    char buf[1024];

    if (n >= 0) {
	return (int) n;
    }
    if (text != NULL && text[0] != '\0' && (text[0] < '0' || text[0] > '9')
	    && text[0] != '-'
	    && getservbyname_r(text, "tcp", &se, buf, sizeof(buf), &result) == 0
	    && result != NULL) {
	return ntohs((uint16_t) result->s_port);
    }
    return -1;
}

long
cli_raise_nofile(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) < 0) {
	return 1024;
    }
    if (rl.rlim_cur < rl.rlim_max) {
	rl.rlim_cur = rl.rlim_max;
	(void) setrlimit(RLIMIT_NOFILE, &rl);
	getrlimit(RLIMIT_NOFILE, &rl);
    }
    return rl.rlim_cur == RLIM_INFINITY ? 1L << 20 : (long) rl.rlim_cur;
}

/*
 * Signals.
 */

static int signalFd = -1;
static cli_signal_proc *signalProc;
static void *signalData;

static void
SignalReadable(void *clientData, int mask)
{
    struct signalfd_siginfo si;

    (void) clientData;
    (void) mask;
    while (read(signalFd, &si, sizeof(si)) == (ssize_t) sizeof(si)) {
	signalProc(signalData, (int) si.ssi_signo);
    }
}

int
cli_watch_signals(sc_loop *loop, cli_signal_proc *proc, void *clientData)
{
    sigset_t set;

    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGQUIT);
    sigaddset(&set, SIGCHLD);
    if (sigprocmask(SIG_BLOCK, &set, NULL) < 0) {
	return -1;
    }
    signalFd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (signalFd < 0) {
	return -1;
    }
    signalProc = proc;
    signalData = clientData;
    return sc_create_file_handler(loop, signalFd, SC_READABLE,
	    SignalReadable, NULL);
}

void
cli_unwatch_signals(sc_loop *loop)
{
    if (signalFd >= 0) {
	sigset_t set;

	sc_delete_file_handler(loop, signalFd);
	close(signalFd);
	signalFd = -1;
	/* Back to the default actions: a second Ctrl-C ends the command. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
    }
}

long
cli_time_arg(const char *command, const char *what, const char *text,
	long bareMs)
{
    static const struct {
	const char *suffix;
	double ms;
    } units[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}};
    const char *p = text;
    double n, ms = -1;
    size_t i;
    int dots = 0;

    /* Digits with at most one point, then the unit: strtod alone would
     * take "1e3", "0x10" or "inf". */
    while ((*p >= '0' && *p <= '9') || (*p == '.' && dots++ == 0)) {
	p++;
    }
    if (p > text && !(p == text + 1 && text[0] == '.')) {
	n = strtod(text, NULL);
	if (*p == '\0') {
	    ms = n * (double) bareMs;
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
	    if (strcasecmp(p, units[i].suffix) == 0) {
		ms = n * units[i].ms;
	    }
	}
    }
    /* As ncat: a bare number of 100 seconds or more is most likely
     * meant as milliseconds, from the days (or options) that counted
     * them; say so rather than wait minutes. */
    if (bareMs == 1000 && *p == '\0' && ms >= 100000 && ms <= 604800000.0) {
	cli_usage(command, "bad value \"%s\" for %s: a bare number is "
		"seconds, so this is %.1f minutes; write %sms for milliseconds "
		"or %ss for seconds", text, what, ms / 60000, text, text);
    }
    if (ms < 1 || ms > 604800000.0) {
	cli_usage(command, "bad value \"%s\" for %s: should be a time such "
		"as %s, 500ms, 1.5s, 2m or 1h (a bare number is %s; 1 ms to "
		"a week)", text, what, bareMs == 1 ? "300" : "30",
		bareMs == 1 ? "milliseconds" : "seconds");
    }
    return (long) ms;
}

void
cli_endpoint(char *buf, size_t len, const char *address, int port)
{
    snprintf(buf, len, strchr(address, ':') ? "[%s]:%d" : "%s:%d", address,
	    port);
}
