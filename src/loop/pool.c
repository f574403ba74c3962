/*
 * pool.c --
 *
 *	The loop's pool of I/O blocks (see loop.h). One size class, a free
 *	list threaded through the blocks themselves, a cap on what is kept.
 */

#include "loop.h"
#include "core/sys.h"

void *
sc__pool_alloc(sc_loop *loop, size_t size)
{
    if (size == SC__POOL_BLOCK && loop->poolHead != NULL) {
	void *block = loop->poolHead;

	loop->poolHead = *(void **) block;
	loop->poolCount--;
	return block;
    }
    return sc__malloc(size);
}

void
sc__pool_free(sc_loop *loop, void *block, size_t size)
{
    if (block == NULL) {
	return;
    }
    if (size == SC__POOL_BLOCK && loop->poolCount < SC__POOL_KEEP) {
	*(void **) block = loop->poolHead;
	loop->poolHead = block;
	loop->poolCount++;
	return;
    }
    sc__free(block);
}

void
sc__pool_drain(sc_loop *loop)
{
    while (loop->poolHead != NULL) {
	void *block = loop->poolHead;

	loop->poolHead = *(void **) block;
	sc__free(block);
    }
    loop->poolCount = 0;
}
