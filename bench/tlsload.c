/*
 * tlsload.c --
 *
 *	The TLS load generator of bench/run.sh: plain OpenSSL and poll(2),
 *	nothing of sockchan's, so that every server is measured by the same
 *	client. Every connection offers TLS 1.3 with TLS_AES_128_GCM_SHA256
 *	only (the server can choose nothing else) and does not verify the
 *	server (the figures are of the servers, not of a trust store).
 *
 *	tlsload bulk -p PORT -b BYTES
 *	    one connection: BYTES written and the echo read, concurrently;
 *	    prints "mode=tlsbulk bytes=N secs=S rate=MB/s (10^6 bytes)
 *	    proto=TLSv1.3 cipher=...".
 *	tlsload handshakes -p PORT -t SECS
 *	    connect, handshake, close_notify, close, one after another for
 *	    SECS; prints "mode=tlshs done=N secs=S rate=N/s".
 *	tlsload idle -p PORT -c N [-t SECS]
 *	    N connections, each with its handshake done, then "ready
 *	    conns=N" on stdout; held until stdin ends (or SECS pass).
 *
 *	Everything on 127.0.0.1. Exit 1 with a line on stderr on failure.
 */

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#define CHUNK 16384

static SSL_CTX *ctx;
static int port;

static void
Die(const char *what)
{
    unsigned long e = ERR_get_error();

    fprintf(stderr, "tlsload: %s: %s\n", what, e ? ERR_reason_error_string(e)
	    : errno ? strerror(errno) : "failed");
    exit(1);
}

static double
Now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A connected TCP socket to 127.0.0.1:port (blocking). */
static int
Connect(void)
{
    struct sockaddr_in a;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short) port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *) &a, sizeof(a)) < 0) {
	Die("connect");
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
}

/* A TLS connection with its handshake done (blocking). */
static SSL *
Open(int *fdPtr)
{
    SSL *ssl = SSL_new(ctx);

    *fdPtr = Connect();
    if (ssl == NULL || !SSL_set_fd(ssl, *fdPtr) || SSL_connect(ssl) != 1) {
	Die("handshake");
    }
    return ssl;
}

static void
Bulk(long long total)
{
    static char out[CHUNK], in[65536];
    long long sent = 0, got = 0;
    double t0;
    int fd;
    SSL *ssl = Open(&fd);

    memset(out, 'x', sizeof(out));
    SSL_set_mode(ssl, SSL_MODE_ENABLE_PARTIAL_WRITE);
    if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0) {
	Die("fcntl");
    }
    t0 = Now();
    while (got < total) {
	int progress = 0, n, wantOut = 0;

	if (sent < total) {
	    n = SSL_write(ssl, out, (int) (total - sent < CHUNK
		    ? total - sent : CHUNK));
	    if (n > 0) {
		sent += n;
		progress = 1;
	    } else {
		int e = SSL_get_error(ssl, n);

		if (e == SSL_ERROR_WANT_WRITE) {
		    wantOut = 1;
		} else if (e != SSL_ERROR_WANT_READ) {
		    Die("write");
		}
	    }
	}
	for (;;) {
	    n = SSL_read(ssl, in, sizeof(in));
	    if (n > 0) {
		got += n;
		progress = 1;
		continue;
	    }
	    n = SSL_get_error(ssl, n);
	    if (n == SSL_ERROR_WANT_READ || n == SSL_ERROR_WANT_WRITE) {
		break;
	    }
	    fprintf(stderr, "tlsload: the echo ended after %lld of %lld "
		    "bytes\n", got, total);
	    exit(1);
	}
	if (!progress) {
	    struct pollfd p = {fd, (short) (POLLIN | (wantOut ? POLLOUT : 0)),
		    0};

	    if (poll(&p, 1, 10000) == 0) {
		fprintf(stderr, "tlsload: no progress for 10 s (%lld of %lld "
			"bytes back)\n", got, total);
		exit(1);
	    }
	}
    }
    t0 = Now() - t0;
    printf("mode=tlsbulk bytes=%lld secs=%.3f rate=%.1f proto=%s "
	    "cipher=%s\n", got, t0, got / t0 / 1e6, SSL_get_version(ssl),
	    SSL_get_cipher_name(ssl));
}

static void
Handshakes(double secs)
{
    double t0 = Now(), t;
    long done = 0;

    do {
	int fd;
	SSL *ssl = Open(&fd);

	SSL_shutdown(ssl);
	SSL_free(ssl);
	close(fd);
	done++;
	t = Now() - t0;
    } while (t < secs);
    printf("mode=tlshs done=%ld secs=%.3f rate=%.0f\n", done, t, done / t);
}

static void
Idle(long conns, int secs)
{
    struct pollfd p = {0, POLLIN, 0};
    char buf[256];
    long i;

    for (i = 0; i < conns; i++) {
	int fd;

	(void) Open(&fd);	/* Held until the process ends. */
    }
    printf("ready conns=%ld\n", conns);
    fflush(stdout);
    while (poll(&p, 1, secs * 1000) > 0 && read(0, buf, sizeof(buf)) > 0) {
	continue;
    }
}

int
main(int argc, char **argv)
{
    long long bytes = 1 << 20;
    long conns = 100;
    double secs = 2;
    const char *mode;
    int c;

    if (argc < 2) {
	fprintf(stderr, "usage: tlsload bulk|handshakes|idle -p PORT "
		"[-b BYTES] [-t SECS] [-c N]\n");
	return 2;
    }
    mode = argv[1];
    optind = 2;
    while ((c = getopt(argc, argv, "p:b:t:c:")) != -1) {
	switch (c) {
	case 'p':
	    port = atoi(optarg);
	    break;
	case 'b':
	    bytes = atoll(optarg);
	    break;
	case 't':
	    secs = atof(optarg);
	    break;
	case 'c':
	    conns = atol(optarg);
	    break;
	default:
	    return 2;
	}
    }
    ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL || !SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION)
	    || !SSL_CTX_set_ciphersuites(ctx, "TLS_AES_128_GCM_SHA256")) {
	Die("context");
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    if (strcmp(mode, "bulk") == 0) {
	Bulk(bytes);
    } else if (strcmp(mode, "handshakes") == 0) {
	Handshakes(secs);
    } else if (strcmp(mode, "idle") == 0) {
	Idle(conns, (int) secs);
    } else {
	fprintf(stderr, "tlsload: unknown mode \"%s\"\n", mode);
	return 2;
    }
    return 0;
}
