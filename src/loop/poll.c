/*
 * poll.c --
 *
 *	The poll backend of the event loop: always built, on every system,
 *	and forced with SC_LOOP_POLL or SOCKCHAN_BACKEND=poll. It has no
 *	descriptor ceiling (unlike select): a dense pollfd array, and an
 *	index from descriptor to position for O(1) changes.
 */

#include "loop.h"
#include "core/sys.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <string.h>

struct pollData {
    struct pollfd *pfds;
    int len, cap;
    int *index;			/* fd -> position in pfds, or -1. */
    int indexCap;
    int start;			/* Where the next scan of results begins. */
};

static int
PollInit(sc_loop *loop)
{
    struct pollData *d = sc__calloc(1, sizeof(*d));

    if (d == NULL) {
	errno = ENOMEM;
	return -1;
    }
    loop->backendData = d;
    return 0;
}

static void
PollFree(sc_loop *loop)
{
    struct pollData *d = loop->backendData;

    sc__free(d->pfds);
    sc__free(d->index);
    sc__free(d);
}

static short
ToPoll(int mask)
{
    return (short) (((mask & SC_READABLE) ? POLLIN : 0)
	    | ((mask & SC_WRITABLE) ? POLLOUT : 0)
	    | ((mask & SC_EXCEPTION) ? POLLPRI : 0));
}

static int
GrowIndex(struct pollData *d, int fd)
{
    int cap = d->indexCap ? d->indexCap : 64;
    int *index;

    while (cap <= fd) {
	cap = cap > INT_MAX / 2 ? INT_MAX : cap * 2;
    }
    index = sc__realloc(d->index, (size_t) cap * sizeof(*index));
    if (index == NULL) {
	errno = ENOMEM;
	return -1;
    }
    for (int i = d->indexCap; i < cap; i++) {
	index[i] = -1;
    }
    d->index = index;
    d->indexCap = cap;
    return 0;
}

static int
PollSet(sc_loop *loop, int fd, int oldMask, int newMask)
{
    struct pollData *d = loop->backendData;
    int pos;

    (void) oldMask;
    if (fd >= d->indexCap && GrowIndex(d, fd) < 0) {
	return -1;
    }
    pos = d->index[fd];
    if (newMask == 0) {
	if (pos >= 0) {
	    /* Move the last entry into the hole. */
	    if (pos != --d->len) {
		int moved;

		d->pfds[pos] = d->pfds[d->len];
		moved = d->pfds[pos].fd;
		d->index[moved < 0 ? ~moved : moved] = pos;
	    }
	    d->index[fd] = -1;
	}
	return 0;
    }
    if (pos < 0) {
	/* poll() would only say POLLNVAL: refuse a closed descriptor now. */
	if (sc__fcntl(fd, F_GETFD, 0) < 0) {
	    return -1;
	}
	if (d->len == d->cap) {
	    int cap = d->cap ? d->cap * 2 : 64;
	    struct pollfd *pfds = sc__realloc(d->pfds,
		    (size_t) cap * sizeof(*pfds));

	    if (pfds == NULL) {
		errno = ENOMEM;
		return -1;
	    }
	    d->pfds = pfds;
	    d->cap = cap;
	}
	pos = d->len++;
	d->index[fd] = pos;
    }
    d->pfds[pos].fd = fd;
    d->pfds[pos].events = ToPoll(newMask);
    d->pfds[pos].revents = 0;
    return 0;
}

static int
PollWait(sc_loop *loop, struct sc__fired *out, int max, int timeoutMs)
{
    struct pollData *d = loop->backendData;
    int ready, i, n = 0, start = d->start;

    ready = sc__poll(d->pfds, (nfds_t) d->len, timeoutMs);
    if (ready <= 0) {
	return ready;
    }

    /*
     * Collect from a rotating start, so that when more descriptors are
     * ready than one pass takes, the later ones are not starved.
     */
    for (i = 0; i < d->len && n < max && ready > 0; i++) {
	int pos = (start + i) % d->len;
	struct pollfd *p = &d->pfds[pos];
	int mask = 0;

	if (p->revents == 0) {
	    continue;
	}
	ready--;
	if (p->revents & POLLNVAL) {
	    /*
	     * Closed without its handler being deleted. epoll forgets such
	     * a descriptor silently; do the same, rather than report it on
	     * every pass. The fd is stored as ~fd so that the index entry
	     * can still be found and a new registration revives it.
	     */
	    p->fd = ~p->fd;
	    continue;
	}
	if (p->revents & POLLIN) {
	    mask |= SC_READABLE;
	}
	if (p->revents & POLLOUT) {
	    mask |= SC_WRITABLE;
	}
	if (p->revents & POLLPRI) {
	    mask |= SC_EXCEPTION;
	}
	if (p->revents & (POLLERR | POLLHUP)) {
	    mask |= SC_READABLE | SC_WRITABLE | SC_EXCEPTION;
	}
	out[n].fd = p->fd;
	out[n].mask = mask;
	out[n].gen = 0;
	n++;
	d->start = (pos + 1) % d->len;
    }
    return n;
}

const struct sc__backend sc__backend_poll = {
    "poll", PollInit, PollFree, PollSet, PollWait
};
