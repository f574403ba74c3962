/*
 * scan.c --
 *
 *	sockchan scan: being written.
 */

#include "cli.h"

int
cmd_scan(int argc, char **argv)
{
    (void) argc;
    (void) argv;
    cli_die(EXIT_USAGE, "scan is not there yet");
}
