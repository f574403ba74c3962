/*
 * epoll.c --
 *
 *	The epoll backend of the event loop (Linux). Level-triggered, one
 *	epoll_ctl per change of interest, nothing per wait.
 */

#include "loop.h"
#include "core/sys.h"

#ifdef __linux__

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>

struct epollData {
    int epfd;
};

static int
EpollInit(sc_loop *loop)
{
    struct epollData *d = sc__malloc(sizeof(*d));

    if (d == NULL) {
	errno = ENOMEM;
	return -1;
    }
    d->epfd = sc__epoll_create1(EPOLL_CLOEXEC);
    if (d->epfd < 0) {
	int err = errno;

	sc__free(d);
	errno = err;
	return -1;
    }
    loop->backendData = d;
    return 0;
}

static void
EpollFree(sc_loop *loop)
{
    struct epollData *d = loop->backendData;

    sc__close(d->epfd);
    sc__free(d);
}

static uint32_t
ToEpoll(int mask)
{
    return ((mask & SC_READABLE) ? EPOLLIN : 0)
	    | ((mask & SC_WRITABLE) ? EPOLLOUT : 0)
	    | ((mask & SC_EXCEPTION) ? EPOLLPRI : 0);
}

static int
EpollSet(sc_loop *loop, int fd, int oldMask, int newMask)
{
    struct epollData *d = loop->backendData;
    struct epoll_event ev;
    int op;

    memset(&ev, 0, sizeof(ev));
    ev.events = ToEpoll(newMask);
    ev.data.fd = fd;
    if (newMask == 0) {
	op = EPOLL_CTL_DEL;
    } else if (oldMask == 0) {
	op = EPOLL_CTL_ADD;
    } else {
	op = EPOLL_CTL_MOD;
    }
    if (sc__epoll_ctl(d->epfd, op, fd, &ev) == 0) {
	return 0;
    }

    /*
     * A descriptor closed and reopened behind our back has left epoll's
     * set (ENOENT on MOD), or is still in it through a duplicate (EEXIST
     * on ADD): switch to the other operation once.
     */
    if (op == EPOLL_CTL_MOD && errno == ENOENT) {
	return sc__epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev);
    }
    if (op == EPOLL_CTL_ADD && errno == EEXIST) {
	return sc__epoll_ctl(d->epfd, EPOLL_CTL_MOD, fd, &ev);
    }
    return -1;
}

static int
EpollWait(sc_loop *loop, struct sc__fired *out, int max, int timeoutMs)
{
    struct epollData *d = loop->backendData;
    struct epoll_event evs[128];
    int i, n;

    if (max > (int) (sizeof(evs) / sizeof(evs[0]))) {
	max = (int) (sizeof(evs) / sizeof(evs[0]));
    }
    n = sc__epoll_wait(d->epfd, evs, max, timeoutMs);
    for (i = 0; i < n; i++) {
	uint32_t e = evs[i].events;
	int mask = 0;

	if (e & EPOLLIN) {
	    mask |= SC_READABLE;
	}
	if (e & EPOLLOUT) {
	    mask |= SC_WRITABLE;
	}
	if (e & EPOLLPRI) {
	    mask |= SC_EXCEPTION;
	}
	if (e & (EPOLLERR | EPOLLHUP)) {
	    /*
	     * An error or hang-up makes the descriptor both readable and
	     * writable: the next read or write reports it. The loop keeps
	     * only the bits the handler asked for.
	     */
	    mask |= SC_READABLE | SC_WRITABLE | SC_EXCEPTION;
	}
	out[i].fd = evs[i].data.fd;
	out[i].mask = mask;
	out[i].gen = 0;
    }
    return n;
}

const struct sc__backend sc__backend_epoll = {
    "epoll", EpollInit, EpollFree, EpollSet, EpollWait
};

#endif /* __linux__ */
