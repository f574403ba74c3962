/*
 * scan-floor.c --
 *
 *	The kernel's floor for a TCP connect scan (issue 19): nothing but
 *	nonblocking connects, CONCURRENCY in flight, watched with epoll,
 *	over ports 1-65535 of one IPv4 address; no timeouts, no retries,
 *	no output but the open ports, one a line (a socket the kernel
 *	connected to itself is not one). PROCS processes share the
 *	ports (sockchan scan runs one event loop per CPU), and the
 *	concurrency, evenly. What sockchan scan does beyond this is its own
 *	cost.
 *
 *	Usage: scan-floor ADDRESS CONCURRENCY PROCS
 */

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static struct sockaddr_in target;

/* Open, and not the socket connected to itself (TCP's simultaneous open
 * when the kernel picked the target port as the source port). */
static void
Found(int fd, int port)
{
    struct sockaddr_in me;
    socklen_t len = sizeof(me);

    if (getsockname(fd, (struct sockaddr *) &me, &len) == 0
	    && me.sin_port == htons((uint16_t) port)
	    && me.sin_addr.s_addr == target.sin_addr.s_addr) {
	return;
    }
    printf("%d\n", port);
}

/* Scans ports lo..hi with up to conc connects in flight. */
static int
Scan(int lo, int hi, int conc)
{
    int ep = epoll_create1(EPOLL_CLOEXEC), next = lo, inflight = 0;
    struct epoll_event evs[256];

    if (ep < 0) {
	perror("scan-floor: epoll_create1");
	return 1;
    }
    while (next <= hi || inflight > 0) {
	int n, k;

	while (next <= hi && inflight < conc) {
	    int port = next++;
	    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK
		    | SOCK_CLOEXEC, 0);
	    struct sockaddr_in sa = target;
	    struct epoll_event ev;

	    if (fd < 0) {
		perror("scan-floor: socket");
		return 1;
	    }
	    sa.sin_port = htons((uint16_t) port);
	    if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) == 0) {
		Found(fd, port);
		close(fd);
		continue;
	    }
	    if (errno != EINPROGRESS) {
		close(fd);		/* Refused at once. */
		continue;
	    }
	    ev.events = EPOLLOUT;
	    ev.data.u64 = ((uint64_t) port << 32) | (uint32_t) fd;
	    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	    inflight++;
	}
	n = epoll_wait(ep, evs, 256, -1);
	for (k = 0; k < n; k++) {
	    int fd = (int) (uint32_t) evs[k].data.u64, err = 0;
	    socklen_t len = sizeof(err);

	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
	    if (err == 0) {
		Found(fd, (int) (evs[k].data.u64 >> 32));
	    }
	    close(fd);
	    inflight--;
	}
    }
    return 0;
}

int
main(int argc, char **argv)
{
    int conc, procs, i, status, rc = 0;

    if (argc != 4 || inet_pton(AF_INET, argv[1], &target.sin_addr) != 1
	    || (conc = atoi(argv[2])) < 1 || (procs = atoi(argv[3])) < 1) {
	fprintf(stderr, "usage: scan-floor ADDRESS CONCURRENCY PROCS\n");
	return 2;
    }
    target.sin_family = AF_INET;
    for (i = 0; i < procs; i++) {
	int lo = 1 + (int) ((long) 65535 * i / procs);
	int hi = (int) ((long) 65535 * (i + 1) / procs);
	pid_t pid = fork();

	if (pid == 0) {
	    int r = Scan(lo, hi, (conc + procs - 1) / procs);

	    fflush(stdout);
	    _exit(r);
	}
	if (pid < 0) {
	    perror("scan-floor: fork");
	    return 1;
	}
    }
    while (wait(&status) > 0) {
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
	    rc = 1;
	}
    }
    return rc;
}
