/*
 * exec.c --
 *
 *	A program for a connection, as ncat runs one: -e/--exec PROG [ARGS]
 *	runs PROG directly (no shell), its words split at blanks with a
 *	backslash keeping the next character as it is ("a\ b" is one word);
 *	-c/--sh-exec CMD runs "/bin/sh -c CMD". The connection is the
 *	program's stdin and stdout; stderr stays the command's.
 */

#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Split text into words (see above); NULL-terminated, or NULL if none. */
static char **
SplitWords(const char *text)
{
    size_t len = strlen(text), n = 0;
    char **argv = calloc(len / 2 + 2, sizeof(*argv));
    char *copy = malloc(len + 1), *w = copy;
    const char *p = text;

    if (argv == NULL || copy == NULL) {
	cli_die(EXIT_NET, "out of memory");
    }
    while (*p != '\0') {
	while (*p == ' ' || *p == '\t' || *p == '\n') {
	    p++;
	}
	if (*p == '\0') {
	    break;
	}
	argv[n++] = w;
	while (*p != '\0' && *p != ' ' && *p != '\t' && *p != '\n') {
	    if (*p == '\\' && p[1] != '\0') {
		p++;
	    }
	    *w++ = *p++;
	}
	*w++ = '\0';
    }
    if (n == 0) {
	free(argv);
	free(copy);
	return NULL;
    }
    return argv;
}

/* Is name a program execvp would run: 0, or an errno. */
static int
Findable(const char *name)
{
    const char *path, *p;
    struct stat st;
    int err = ENOENT;

    if (strchr(name, '/') != NULL) {
	if (stat(name, &st) < 0) {
	    return errno;
	}
	if (S_ISDIR(st.st_mode)) {
	    return EISDIR;
	}
	return access(name, X_OK) < 0 ? errno : 0;
    }
    path = getenv("PATH");
    if (path == NULL) {
	path = "/usr/local/bin:/usr/bin:/bin";
    }
    for (p = path; ; p++) {
	const char *colon = strchr(p, ':');
	size_t dirLen = colon ? (size_t) (colon - p) : strlen(p);
	char full[4096];

	if (dirLen + strlen(name) + 2 < sizeof(full)) {
	    snprintf(full, sizeof(full), "%.*s/%s", (int) dirLen,
		    dirLen ? p : ".", name);
	    if (stat(full, &st) == 0 && !S_ISDIR(st.st_mode)) {
		if (access(full, X_OK) == 0) {
		    return 0;
		}
		err = EACCES;
	    }
	}
	if (colon == NULL) {
	    break;
	}
	p = colon;
    }
    return err;
}

/*
 *----------------------------------------------------------------------
 *
 * cli_program_parse --
 *
 *	Makes prog from an -e (shell 0) or -c (shell 1) value.
 *
 * Side effects:
 *	Exits with status 2 and one line when text holds no program, or
 *	when -e's program can't be found or run.
 *
 *----------------------------------------------------------------------
 */

void
cli_program_parse(const char *command, const char *text, int shell,
	cli_program *prog)
{
    const char *opt = shell ? "--sh-exec" : "--exec";
    int err;

    prog->text = text;
    prog->shell = shell;
    if (shell) {
	if (text[strspn(text, " \t\n")] == '\0') {
	    cli_usage(command, "%s needs a command: got \"%s\"", opt, text);
	}
	prog->argv = calloc(4, sizeof(*prog->argv));
	if (prog->argv == NULL) {
	    cli_die(EXIT_NET, "out of memory");
	}
	prog->argv[0] = strdup("/bin/sh");
	prog->argv[1] = strdup("-c");
	prog->argv[2] = strdup(text);
	if (prog->argv[0] == NULL || prog->argv[1] == NULL
		|| prog->argv[2] == NULL) {
	    cli_die(EXIT_NET, "out of memory");
	}
	return;
    }
    prog->argv = SplitWords(text);
    if (prog->argv == NULL) {
	cli_usage(command, "%s needs a program: got \"%s\"", opt, text);
    }
    err = Findable(prog->argv[0]);
    if (err != 0) {
	cli_die(EXIT_USAGE, "can't run \"%s\": %s", prog->argv[0],
		sc_errno_msg(err));
    }
}

void
cli_program_free(cli_program *prog)
{
    if (prog->argv != NULL) {
	free(prog->argv[0]);	/* -e: every word lives in this block. */
	if (prog->shell) {
	    free(prog->argv[1]);
	    free(prog->argv[2]);
	}
	free(prog->argv);
	prog->argv = NULL;
    }
}

/*
 *----------------------------------------------------------------------
 *
 * cli_program_run --
 *
 *	Starts prog with fd as its stdin and stdout.
 *
 * Results:
 *	The child's pid, or -1 with errno set (fork failed).
 *
 * Side effects:
 *	The child leads a process group of its own, gets the default
 *	signal mask and SIGPIPE action, fd in blocking mode, and SIGTERM
 *	should the command die first (so that a server killed with SIGKILL
 *	leaves no program behind).
 *
 *----------------------------------------------------------------------
 */

long
cli_program_run(const cli_program *prog, int fd)
{
    pid_t parent = getpid(), pid;

    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid != 0) {
	if (pid > 0) {
	    (void) setpgid(pid, pid);	/* Both sides, whichever is first. */
	}
	return (long) pid;
    }
    {
	sigset_t none;
	int fl;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGXFSZ, SIG_DFL);	/* Both ignored by the relay. */
	/* A process group of its own, so that its end reaches what it
	 * started too. */
	(void) setpgid(0, 0);
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent) {
	    _exit(127);		/* The command is gone already. */
	}
	fl = fcntl(fd, F_GETFL);
	if (fl >= 0 && (fl & O_NONBLOCK)) {
	    fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	}
	if (dup2(fd, 0) < 0 || dup2(fd, 1) < 0) {
	    _exit(127);
	}
	execvp(prog->argv[0], prog->argv);
	fprintf(stderr, "sockchan: can't run \"%s\": %s\n", prog->argv[0],
		sc_errno_msg(errno));
	_exit(127);
    }
}

int
cli_exit_status(int waitStatus)
{
    if (WIFEXITED(waitStatus)) {
	return WEXITSTATUS(waitStatus);
    }
    if (WIFSIGNALED(waitStatus)) {
	return 128 + WTERMSIG(waitStatus);
    }
    return EXIT_NET;
}
