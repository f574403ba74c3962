/*
 * resolve.c --
 *
 *	Name lookups off the caller's thread: a small pool of worker threads
 *	(started on first use, at most POOL_MAX, each leaving after a while
 *	without work) takes lookups from a queue, runs getaddrinfo, and calls
 *	the lookup's done procedure on the worker thread. The pool is shared
 *	by every loop of the process, like libuv's.
 */

#include "core/sock.h"
#include "core/sys.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define POOL_MAX 256		/* Threads at most: a lookup waits only when
				 * this many slower ones are running. */
#define IDLE_SECONDS 10		/* An idle worker leaves after this. */

static pthread_mutex_t poolLock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t poolCond = PTHREAD_COND_INITIALIZER;
static struct sc__lookup *queueHead, *queueTail;
static int threads, idleThreads, queued;

static void
Resolve(struct sc__lookup *l)
{
    l->failed = sc__resolve_pair(l->host, l->port, l->myaddr, l->myport,
	    l->family, &l->remote, &l->local, &l->err) < 0;
}

static void *
Worker(void *arg)
{
    (void) arg;
    pthread_mutex_lock(&poolLock);
    for (;;) {
	struct sc__lookup *l;

	while (queueHead == NULL) {
	    struct timespec until;
	    int r;

	    clock_gettime(CLOCK_REALTIME, &until);
	    until.tv_sec += IDLE_SECONDS;
	    idleThreads++;
	    r = pthread_cond_timedwait(&poolCond, &poolLock, &until);
	    idleThreads--;
	    if (r == ETIMEDOUT && queueHead == NULL) {
		threads--;
		pthread_mutex_unlock(&poolLock);
		return NULL;
	    }
	}
	l = queueHead;
	queued--;
	queueHead = l->next;
	if (queueHead == NULL) {
	    queueTail = NULL;
	}
	pthread_mutex_unlock(&poolLock);
	Resolve(l);
	l->done(l->clientData, l);	/* The lookup is the caller's now. */
	pthread_mutex_lock(&poolLock);
    }
}

int
sc__lookup_start(struct sc__lookup *l)
{
    int err = 0;

    l->next = NULL;
    pthread_mutex_lock(&poolLock);
    /* A new thread unless an idle one is free for this lookup too: a
     * slow lookup must not hold up the ones queued behind it. */
    if (queued >= idleThreads && threads < POOL_MAX) {
	pthread_t t;
	pthread_attr_t attr;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 512 * 1024);
	if (pthread_create(&t, &attr, Worker, NULL) == 0) {
	    threads++;
	} else if (threads == 0) {
	    err = EAGAIN;	/* No thread at all would ever run it. */
	}
	pthread_attr_destroy(&attr);
    }
    if (err == 0) {
	if (queueTail) {
	    queueTail->next = l;
	} else {
	    queueHead = l;
	}
	queueTail = l;
	queued++;
	pthread_cond_signal(&poolCond);
    }
    pthread_mutex_unlock(&poolLock);
    if (err) {
	errno = err;
	return -1;
    }
    return 0;
}

void
sc__lookup_free(struct sc__lookup *l)
{
    if (l == NULL) {
	return;
    }
    sc__freeaddrinfo(l->remote);
    sc__freeaddrinfo(l->local);
    sc__free(l->host);
    sc__free(l->myaddr);
    sc__free(l);
}
