/* A program outside the tree, built against an installed sockchan. */
#include <sockchan.h>
#include <stdio.h>

static void
Fire(void *clientData)
{
    *(int *) clientData = 1;
}

int
main(void)
{
    sc_loop *loop = sc_loop_new(0);
    int done = 0;

    if (loop == NULL || sc_create_timer(loop, 1, Fire, &done) == 0
	    || sc_vwait(loop, &done) != 0) {
	return 1;
    }
    printf("consumer ok: sockchan %s on %s\n", sc_version(),
	    sc_loop_backend(loop));
    sc_loop_free(loop);
    return 0;
}
