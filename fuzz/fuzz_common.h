/*
 * fuzz_common.h --
 *
 *	What the fuzz targets share: a small deterministic generator and a
 *	reader of the input's leading parameter bytes. Header-only, so that
 *	each target is one file plus the library.
 */

#ifndef SC_FUZZ_COMMON_H
#define SC_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* xorshift32: the chunk sizes and operations follow from a seed in the
 * input, so that every input replays exactly. */
static inline uint32_t
FuzzRand(uint32_t *state)
{
    uint32_t x = *state ? *state : 0x9E3779B9u;

    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *state = x;
}

/* Take the next byte of the input's header (0 when it runs out). */
static inline unsigned
FuzzByte(const uint8_t **data, size_t *size)
{
    unsigned b = 0;

    if (*size > 0) {
	b = **data;
	(*data)++;
	(*size)--;
    }
    return b;
}

/* A check that failed: say which and stop (libFuzzer records a crash). */
#define FUZZ_CHECK(cond, ...) do {					\
	if (!(cond)) {							\
	    fprintf(stderr, "fuzz check failed at %s:%d: %s: ",		\
		    __FILE__, __LINE__, #cond);				\
	    fprintf(stderr, __VA_ARGS__);				\
	    fputc('\n', stderr);					\
	    abort();							\
	}								\
    } while (0)

#endif /* SC_FUZZ_COMMON_H */
