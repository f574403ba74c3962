/*
 * loop-tour.c --
 *
 *	A short tour of sockchan's event loop, Tcl's notifier for C: a file
 *	handler answering over a socketpair, a timer that sends, an idle
 *	callback, and a worker thread that posts its result back to the
 *	loop. Run: build/examples/loop-tour
 */

#include <sockchan.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct tour {
    sc_loop *loop;
    int left, right;		/* The two ends of a socketpair. */
    int sent, answered;
    long sum;			/* Set by the worker thread's post. */
    int done;
};

/* The right end answers every "ping N" with "pong N". */
static void
Answer(void *clientData, int mask)
{
    struct tour *t = clientData;
    char buf[64];
    ssize_t n = read(t->right, buf, sizeof(buf) - 1);

    (void) mask;
    if (n <= 0) {
	sc_delete_file_handler(t->loop, t->right);
	return;
    }
    buf[n] = '\0';
    printf("right got: %s", buf);
    buf[1] = 'o';		/* ping -> pong */
    if (write(t->right, buf, (size_t) n) != n) {
	perror("write");
    }
}

/* The left end prints the answers; after the third, the tour is done. */
static void
Hear(void *clientData, int mask)
{
    struct tour *t = clientData;
    char buf[64];
    ssize_t n = read(t->left, buf, sizeof(buf) - 1);

    (void) mask;
    if (n <= 0) {
	return;
    }
    buf[n] = '\0';
    printf("left got:  %s", buf);
    if (++t->answered == 3) {
	sc_delete_file_handler(t->loop, t->left);
	sc_delete_file_handler(t->loop, t->right);
	t->done = 1;
    }
}

/* Every 10 ms, send a ping, three times. */
static void
Send(void *clientData)
{
    struct tour *t = clientData;
    char buf[32];
    int n = snprintf(buf, sizeof(buf), "ping %d\n", ++t->sent);

    if (write(t->left, buf, (size_t) n) != n) {
	perror("write");
    }
    if (t->sent < 3) {
	sc_create_timer(t->loop, 10, Send, t);
    }
}

static void
Idle(void *clientData)
{
    (void) clientData;
    printf("idle: nothing else was ready\n");
}

/* The worker thread's result arrives on the loop's thread. */
static void
Result(void *clientData)
{
    struct tour *t = clientData;

    printf("worker posted: sum of 1..1000 is %ld\n", t->sum);
    sc_loop_release(t->loop);
}

static void *
Worker(void *arg)
{
    struct tour *t = arg;
    long i, sum = 0;

    for (i = 1; i <= 1000; i++) {
	sum += i;
    }
    t->sum = sum;
    sc_loop_post(t->loop, Result, t);
    return NULL;
}

int
main(void)
{
    struct tour t;
    pthread_t worker;
    int fds[2];

    memset(&t, 0, sizeof(t));
    t.loop = sc_loop_new(0);
    if (t.loop == NULL) {
	perror("sc_loop_new");
	return 1;
    }
    printf("loop backend: %s\n", sc_loop_backend(t.loop));
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0) {
	perror("socketpair");
	return 1;
    }
    t.left = fds[0];
    t.right = fds[1];
    if (sc_create_file_handler(t.loop, t.right, SC_READABLE, Answer, &t) < 0
	    || sc_create_file_handler(t.loop, t.left, SC_READABLE, Hear,
		&t) < 0) {
	fprintf(stderr, "%s\n", sc_errmsg(t.loop));
	return 1;
    }
    sc_do_when_idle(t.loop, Idle, NULL);
    sc_create_timer(t.loop, 10, Send, &t);

    sc_loop_hold(t.loop);	/* Released when the worker's post runs. */
    pthread_create(&worker, NULL, Worker, &t);

    if (sc_vwait(t.loop, &t.done) < 0) {
	fprintf(stderr, "%s\n", sc_errmsg(t.loop));
	return 1;
    }
    sc_vwait(t.loop, NULL);	/* Let the worker's post arrive. */
    pthread_join(worker, NULL);
    printf("done: %d pings answered; the worker's sum is %ld\n", t.answered,
	    t.sum);
    close(t.left);
    close(t.right);
    sc_loop_free(t.loop);
    return 0;
}
