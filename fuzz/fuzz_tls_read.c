/*
 * fuzz_tls_read.c --
 *
 *	The TLS transform's read path: the fuzz input is what "the peer"
 *	sends, delivered by a fake lower driver in chunks of any size (with
 *	"would block" between them on a nonblocking channel), to a TLS
 *	client or server pushed on the channel. The transform must turn any
 *	bytes into a handshake failure, an error or end of file: no crash,
 *	leak, hang or undefined behaviour, and a failure always has words.
 *
 *	Input layout: 4 header bytes, then the peer's bytes.
 *	  0  bit 0: server (else client); bit 1: nonblocking; bit 2: write
 *	     before reading; bit 3: half-close the write side
 *	  1  the largest chunk (0: 1)
 *	  2-3  the seed of the chunk sizes
 *
 *	The server's certificate and key are made at start-up (EC P-256,
 *	self-signed) into a temporary file that is removed at exit.
 */

#include "sockchan.h"
#include "chan/chan.h"
#include "fuzz_common.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct Peer {
    const uint8_t *data;
    size_t len, pos;
    uint32_t rng;
    unsigned maxChunk;
    int nonblocking;
} Peer;

static long
PeerInput(void *inst, char *buf, size_t n, int *errPtr)
{
    Peer *p = inst;
    size_t c;

    FUZZ_CHECK(n > 0, "the transform asked its driver for 0 bytes");
    if (p->pos == p->len) {
	return 0;
    }
    c = FuzzRand(&p->rng) % (p->maxChunk + 1);
    if (c == 0) {
	if (p->nonblocking) {
	    *errPtr = EAGAIN;
	    return -1;
	}
	c = 1;
    }
    if (c > n) {
	c = n;
    }
    if (c > p->len - p->pos) {
	c = p->len - p->pos;
    }
    memcpy(buf, p->data + p->pos, c);
    p->pos += c;
    return (long) c;
}

static long
PeerOutput(void *inst, const char *buf, size_t n, int *errPtr)
{
    Peer *p = inst;

    (void) buf;
    if (p->nonblocking && (FuzzRand(&p->rng) & 3) == 0) {
	*errPtr = EAGAIN;	/* A full socket, sometimes. */
	return -1;
    }
    return (long) n;
}

static int
PeerClose(void *inst, int direction)
{
    (void) inst;
    (void) direction;
    return 0;
}

static int
PeerWatch(void *inst, int mask)
{
    (void) inst;
    (void) mask;
    return 0;
}

static int
PeerBlockMode(void *inst, int blocking)
{
    ((Peer *) inst)->nonblocking = !blocking;
    return 0;
}

static int
PeerHandle(void *inst, int direction)
{
    (void) inst;
    (void) direction;
    return -1;
}

static void
PeerName(void *inst, char *buf, size_t size)
{
    (void) inst;
    snprintf(buf, size, "fuzz0");
}

static const struct sc__chan_type peerType = {
    "fuzz", PeerInput, PeerOutput, PeerClose, PeerWatch, PeerBlockMode,
    PeerHandle, NULL, NULL, "", PeerName, SC_TRANS_LF
};

static char pemPath[] = "/tmp/fuzz_tls_read-XXXXXX";

static void
RemovePem(void)
{
    unlink(pemPath);
}

/* A self-signed certificate and its key, in one PEM file. */
static void
MakeCert(void)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    X509_NAME *name;
    FILE *f;
    int fd = mkstemp(pemPath);

    FUZZ_CHECK(key != NULL && x != NULL && fd >= 0, "can't make a key");
    atexit(RemovePem);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, key);
    name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *) "localhost", -1, -1, 0);
    X509_set_issuer_name(x, name);
    FUZZ_CHECK(X509_sign(x, key, EVP_sha256()) > 0, "can't sign");
    f = fdopen(fd, "w");
    FUZZ_CHECK(f != NULL, "can't write the certificate");
    PEM_write_X509(f, x);
    PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
    fclose(f);
    X509_free(x);
    EVP_PKEY_free(key);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void) argc;
    (void) argv;
    MakeCert();
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int made;
    unsigned mode, i;
    sc_loop *loop;
    sc_chan *chan;
    Peer *p;
    sc_tls_options o;
    char buf[512];

    if (!made) {
	made = 1;
	if (pemPath[sizeof(pemPath) - 2] == 'X') {
	    MakeCert();		/* The standalone driver has no init. */
	}
    }
    mode = FuzzByte(&data, &size);
    loop = sc_loop_new(SC_LOOP_POLL);
    FUZZ_CHECK(loop != NULL, "no loop");
    chan = sc__chan_new(loop, &peerType, sizeof(Peer),
	    SC_READABLE | SC_WRITABLE);
    FUZZ_CHECK(chan != NULL, "no channel");
    p = chan->inst;
    p->maxChunk = FuzzByte(&data, &size);
    p->rng = FuzzByte(&data, &size) << 8;
    p->rng |= FuzzByte(&data, &size);
    p->data = data;
    p->len = size;
    sc_chan_configure(chan, "-translation", "binary");
    if (mode & 2) {
	sc_chan_set_blocking(chan, 0);
    }
    memset(&o, 0, sizeof(o));
    if (mode & 1) {
	o.flags = SC_TLS_SERVER;
	o.certfile = pemPath;
    } else {
	o.servername = "localhost";
	o.cafile = pemPath;
    }
    if (sc_tls_push(chan, &o) < 0) {
	FUZZ_CHECK(sc_errmsg(loop)[0] != '\0', "a failed push without words");
	sc_close(chan);
	sc_loop_free(loop);
	return 0;
    }
    if (mode & 4) {
	(void) sc_write(chan, "hello", 5);
	(void) sc_flush(chan);
    }
    if (mode & 8) {
	(void) sc_close_half(chan, SC_WRITABLE);
    }
    /* Read until the end or an error; a nonblocking channel gets events
     * as a loop would give them (bounded: every pass consumes input or
     * ends). */
    for (i = 0; i < 4 * size + 64; i++) {
	long n = sc_read(chan, buf, sizeof(buf));

	if (n == SC_EOF || n == SC_ERROR) {
	    if (n == SC_ERROR) {
		FUZZ_CHECK(sc_errmsg(loop)[0] != '\0', "an error without "
			"words");
	    }
	    break;
	}
	if (n == SC_BLOCKED) {
	    sc__chan_notify(chan, SC_READABLE | SC_WRITABLE);
	    (void) sc_do_one_event(loop, SC_ALL_EVENTS | SC_DONT_WAIT);
	}
    }
    {
	char *v = sc_chan_cget(chan, NULL);

	free(v);
    }
    sc_chan_set_blocking(chan, 1);	/* The close flushes now. */
    sc_close(chan);
    while (sc_do_one_event(loop, SC_ALL_EVENTS | SC_DONT_WAIT) > 0) {
    }
    sc_loop_free(loop);
    return 0;
}
