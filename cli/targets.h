/*
 * targets.h --
 *
 *	The scanner's parsers: targets (names, addresses, CIDR blocks,
 *	ranges) and port lists. Kept apart from scan.c so that the fuzz
 *	targets can call them.
 */

#ifndef SC_CLI_TARGETS_H
#define SC_CLI_TARGETS_H

/* Filled in by the scan command's author. */

#endif /* SC_CLI_TARGETS_H */
