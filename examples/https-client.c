/*
 * https-client.c --
 *
 *	Fetches one page over HTTPS and writes its body on stdout, as the
 *	http package does in Tcl with tls::socket registered for https:
 *
 *	    package require http
 *	    package require tls
 *	    http::register https 443 [list tls::socket -autoservername 1]
 *	    set token [http::geturl https://$host:$port$path]
 *	    puts -nonewline [http::data $token]
 *
 *	The server's certificate is verified (the system's trust store, or
 *	CAFILE) and its name checked against HOST.
 *	Usage: https-client HOST PORT PATH [CAFILE]
 *	Exits 0 for a "200" answer, 1 otherwise (the status on stderr).
 */

#include <sockchan.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
main(int argc, char **argv)
{
    sc_loop *loop;
    sc_chan *chan;
    sc_tcp_options tcp = {NULL, NULL, 0, 10000};	/* 10 s for all. */
    sc_tls_options tls;
    char *line = NULL, *body = NULL;
    size_t cap = 0;
    long n;
    int status = 0;

    if (argc != 4 && argc != 5) {
	fprintf(stderr, "usage: https-client HOST PORT PATH [CAFILE]\n");
	return 2;
    }
    memset(&tls, 0, sizeof(tls));
    tls.alpn = "http/1.1";
    tls.cafile = argc == 5 ? argv[4] : NULL;
    loop = sc_loop_new(0);
    if (loop == NULL) {
	perror("https-client");
	return 1;
    }
    chan = sc_open_tls_client(loop, argv[1], argv[2], &tcp, &tls);
    if (chan == NULL) {
	fprintf(stderr, "https-client: %s\n", sc_errmsg(loop));
	sc_loop_free(loop);
	return 1;
    }
    /* HTTP/1.0: the server closes after the body. Lines end in CRLF. */
    sc_printf(chan, "GET %s HTTP/1.0\nHost: %s\nConnection: close\n\n",
	    argv[3], argv[1]);
    if (sc_flush(chan) < 0) {
	goto error;
    }
    n = sc_gets(chan, &line, &cap);
    if (n < 0) {
	goto error;
    }
    if (sscanf(line, "HTTP/%*d.%*d %d", &status) != 1) {
	fprintf(stderr, "https-client: bad status line \"%s\"\n", line);
	status = 0;
    }
    while ((n = sc_gets(chan, &line, &cap)) > 0) {
	/* Headers, up to the empty line. */
    }
    if (n < 0 && !sc_eof(chan)) {
	goto error;
    }
    sc_chan_configure(chan, "-translation", "binary");
    n = sc_read_all(chan, &body);
    if (n < 0) {
	goto error;
    }
    fwrite(body, 1, (size_t) n, stdout);
    free(body);
    free(line);
    sc_close(chan);
    sc_loop_free(loop);
    if (status != 200) {
	fprintf(stderr, "https-client: status %d\n", status);
	return 1;
    }
    return 0;

  error:
    fprintf(stderr, "https-client: %s\n", sc_errmsg(loop));
    free(line);
    sc_close(chan);
    sc_loop_free(loop);
    return 1;
}
