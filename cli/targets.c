/*
 * targets.c --
 *
 *	The scanner's parsers: being written.
 */

#include "targets.h"

int cli_targets_placeholder;
