/*
 * tls.c --
 *
 *	The TLS transform: OpenSSL 3 stacked on a channel (sc_tls_push), as
 *	tcl-tls stacks it on a Tcl channel. OpenSSL reads through a BIO
 *	that calls the layer below; the records it writes are held here
 *	(the transform's "held" output) and handed below as the layer below
 *	takes them, so that a nonblocking channel never waits and the
 *	generic layer sees held records as queued output (flush, close,
 *	half-close, the output limit).
 *
 *	Secure by default: the peer's chain is verified against the
 *	system's trust store (or -cafile/-cadir), a client checks the host
 *	name (an IP literal as an address, and not sent as SNI), TLS 1.2 at
 *	least. The handshake runs on the loop for a nonblocking channel; its
 *	outcome comes as a connect's does: a writable event, then -error.
 *
 *	Contexts (SSL_CTX, with the trust store loaded) are shared by every
 *	connection made with the same options and files: an idle connection
 *	costs its SSL object, without OpenSSL's buffers
 *	(SSL_MODE_RELEASE_BUFFERS), and this instance.
 */

#include "chan/chan.h"
#include "core/sys.h"
#include "loop/loop.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

enum { HS, OPEN, FAILED };	/* struct tls's state. */

enum {
    TF_SERVER = 1 << 0,
    TF_NOTIFY_SENT = 1 << 1,	/* Our close_notify is made. */
    TF_PEER_CLOSED = 1 << 2,	/* The peer's close_notify came. */
    TF_REPORTED = 1 << 3,	/* -error has told of the failure. */
};

#define RECORD_MAX 16384	/* Plaintext bytes per SSL_write. */

struct tls {
    struct sc__layer *layer;
    SSL *ssl;
    char *held;			/* Records not yet below: */
    size_t heldStart, heldLen;	/* held[heldStart..+heldLen). */
    size_t heldCap;
    uint8_t state, flags;
    uint8_t want;		/* The events asked of us from above. */
    uint8_t belowWant;		/* What we asked of the layer below. */
    int ioErr;			/* The layer below's last errno. */
    int failErr;		/* Why the connection failed. */
    char *failMsg;		/* Its words (for -error and messages). */
    sc_timer timer;		/* Reports our own readiness. */
    sc_timer timeout;		/* The handshake's deadline. */
    uint64_t deadline;		/* The same, in sc__now_ns, or 0. */
};

/*
 *----------------------------------------------------------------------
 *
 * Contexts --
 *
 *	A small cache, keyed by the options and by the files' identity and
 *	times, so that a new connection does not load the trust store
 *	again. The cache keeps one reference on each context, to the end
 *	of the process (no destructor: OpenSSL's own clean-up at exit may
 *	run first, and freeing after it is not safe).
 *
 *----------------------------------------------------------------------
 */

#define CACHE_SIZE 8
static pthread_mutex_t cacheLock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    char *key;
    SSL_CTX *ctx;
} cache[CACHE_SIZE];
static unsigned cacheNext;

static BIO_METHOD *bioMethod;
static pthread_once_t bioOnce = PTHREAD_ONCE_INIT;

static void
AppendFile(struct sc__str *key, const char *path)
{
    struct stat st;

    if (path == NULL) {
	sc__str_append(key, "\1", 1);
	return;
    }
    sc__str_appendf(key, "%s", path);
    if (stat(path, &st) == 0) {
	sc__str_appendf(key, "@%lu:%lu:%lld.%ld:%lld", (unsigned long) st.st_dev,
		(unsigned long) st.st_ino, (long long) st.st_mtim.tv_sec,
		st.st_mtim.tv_nsec, (long long) st.st_size);
    }
    sc__str_append(key, "\1", 1);
}

static void
AppendStr(struct sc__str *key, const char *s)
{
    sc__str_appendf(key, "%s\1", s ? s : "\2");
}

/* The first OpenSSL error's reason, e.g. "wrong version number". */
static const char *
SslReason(void)
{
    unsigned long e = ERR_peek_last_error();
    const char *r = e ? ERR_reason_error_string(e) : NULL;

    return r ? r : "TLS error";
}

/* ALPN's wire format from "h2,http/1.1". Returns the length, or 0. */
static size_t
AlpnWire(const char *list, unsigned char *out, size_t size)
{
    size_t len = 0;

    while (list != NULL && *list) {
	const char *comma = strchr(list, ',');
	size_t n = comma ? (size_t) (comma - list) : strlen(list);

	if (n == 0 || n > 255 || len + 1 + n > size) {
	    return 0;
	}
	out[len++] = (unsigned char) n;
	memcpy(out + len, list, n);
	len += n;
	list = comma ? comma + 1 : NULL;
    }
    return len;
}

/* A server's choice among the client's protocols: our first that it
 * offers (the list is the context's). */
static int
SelectAlpn(SSL *ssl, const unsigned char **out, unsigned char *outLen,
	const unsigned char *in, unsigned inLen, void *arg)
{
    const unsigned char *ours = arg;
    unsigned char *sel;

    (void) ssl;
    if (SSL_select_next_proto(&sel, outLen, ours + 1, ours[0], in, inLen)
	    != OPENSSL_NPN_NEGOTIATED) {
	return SSL_TLSEXT_ERR_ALERT_FATAL;
    }
    *out = sel;
    return SSL_TLSEXT_ERR_OK;
}

/* Called by OpenSSL when the context goes: the ALPN list. */
static void
FreeAlpn(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
	void *argp)
{
    (void) parent; (void) ad; (void) idx; (void) argl; (void) argp;
    OPENSSL_free(ptr);
}

static int alpnIndex = -1;

/* Make a context for options; NULL with the message in msg. */
static SSL_CTX *
NewCtx(const sc_tls_options *o, char *msg, size_t size)
{
    int server = (o->flags & SC_TLS_SERVER) != 0;
    SSL_CTX *ctx = SSL_CTX_new(server ? TLS_server_method()
	    : TLS_client_method());
    int minVersion = o->minVersion == SC_TLS_1_3 ? TLS1_3_VERSION
	    : TLS1_2_VERSION;
    unsigned char alpn[256];
    size_t alpnLen;

    ERR_clear_error();
    if (ctx == NULL) {
	snprintf(msg, size, "%s", SslReason());
	return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, minVersion);
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
    if (o->cipher != NULL && !SSL_CTX_set_cipher_list(ctx, o->cipher)) {
	snprintf(msg, size, "bad cipher list \"%s\"", o->cipher);
	goto fail;
    }
    if (o->ciphersuites != NULL
	    && !SSL_CTX_set_ciphersuites(ctx, o->ciphersuites)) {
	snprintf(msg, size, "bad cipher suites \"%s\"", o->ciphersuites);
	goto fail;
    }
    if (o->cafile != NULL || o->cadir != NULL) {
	if (!SSL_CTX_load_verify_locations(ctx, o->cafile, o->cadir)) {
	    snprintf(msg, size, "couldn't load CA certificates from \"%s\": "
		    "%s", o->cafile ? o->cafile : o->cadir, SslReason());
	    goto fail;
	}
    } else if (!SSL_CTX_set_default_verify_paths(ctx)) {
	snprintf(msg, size, "couldn't load the system's CA certificates: %s",
		SslReason());
	goto fail;
    }
    if (o->certfile != NULL) {
	const char *key = o->keyfile ? o->keyfile : o->certfile;

	if (!SSL_CTX_use_certificate_chain_file(ctx, o->certfile)) {
	    snprintf(msg, size, "couldn't load certificate \"%s\": %s",
		    o->certfile, SslReason());
	    goto fail;
	}
	if (!SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM)) {
	    snprintf(msg, size, "couldn't load key \"%s\": %s", key,
		    SslReason());
	    goto fail;
	}
	if (!SSL_CTX_check_private_key(ctx)) {
	    snprintf(msg, size, "key \"%s\" doesn't match certificate \"%s\"",
		    key, o->certfile);
	    goto fail;
	}
    } else if (o->keyfile != NULL) {
	snprintf(msg, size, "a key file needs a certificate file");
	goto fail;
    }
    if (server) {
	int mode = SSL_VERIFY_NONE;

	if (o->flags & SC_TLS_REQUIRE) {
	    mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
	} else if (o->flags & SC_TLS_REQUEST) {
	    mode = SSL_VERIFY_PEER;
	}
	SSL_CTX_set_verify(ctx, mode, NULL);
	if (o->certfile == NULL) {
	    snprintf(msg, size, "a TLS server needs a certificate");
	    goto fail;
	}
    } else {
	SSL_CTX_set_verify(ctx, (o->flags & SC_TLS_NOVERIFY)
		? SSL_VERIFY_NONE : SSL_VERIFY_PEER, NULL);
    }
    if (o->alpn != NULL) {
	alpnLen = AlpnWire(o->alpn, alpn, sizeof(alpn));
	if (alpnLen == 0) {
	    snprintf(msg, size, "bad ALPN list \"%s\": should be protocol "
		    "names separated by commas", o->alpn);
	    goto fail;
	}
	if (server) {
	    unsigned char *copy = OPENSSL_malloc(alpnLen + 1);

	    if (copy == NULL) {
		snprintf(msg, size, "%s", sc_errno_msg(ENOMEM));
		goto fail;
	    }
	    copy[0] = (unsigned char) alpnLen;
	    memcpy(copy + 1, alpn, alpnLen);
	    SSL_CTX_set_ex_data(ctx, alpnIndex, copy);
	    SSL_CTX_set_alpn_select_cb(ctx, SelectAlpn, copy);
	} else if (SSL_CTX_set_alpn_protos(ctx, alpn,
		(unsigned) alpnLen) != 0) {
	    snprintf(msg, size, "%s", SslReason());
	    goto fail;
	}
    }
    return ctx;

  fail:
    SSL_CTX_free(ctx);
    return NULL;
}

/* The context for options: from the cache or made. */
static SSL_CTX *
GetCtx(const sc_tls_options *o, char *msg, size_t size)
{
    struct sc__str key = {NULL, 0, 0};
    SSL_CTX *ctx = NULL;
    unsigned i;

    sc__str_appendf(&key, "%d\1%d\1", o->flags & (SC_TLS_SERVER
	    | SC_TLS_NOVERIFY | SC_TLS_REQUEST | SC_TLS_REQUIRE),
	    o->minVersion);
    AppendFile(&key, o->cafile);
    AppendFile(&key, o->cadir);
    AppendFile(&key, o->certfile);
    AppendFile(&key, o->keyfile);
    AppendStr(&key, o->alpn);
    AppendStr(&key, o->cipher);
    AppendStr(&key, o->ciphersuites);
    if (key.s == NULL) {
	snprintf(msg, size, "%s", sc_errno_msg(ENOMEM));
	return NULL;
    }
    pthread_mutex_lock(&cacheLock);
    for (i = 0; i < CACHE_SIZE; i++) {
	if (cache[i].key != NULL && strcmp(cache[i].key, key.s) == 0) {
	    ctx = cache[i].ctx;
	    SSL_CTX_up_ref(ctx);
	    break;
	}
    }
    if (ctx == NULL && (ctx = NewCtx(o, msg, size)) != NULL) {
	i = cacheNext++ % CACHE_SIZE;
	if (cache[i].ctx != NULL) {
	    SSL_CTX_free(cache[i].ctx);
	    sc__free(cache[i].key);
	}
	cache[i].key = key.s;
	key.s = NULL;
	cache[i].ctx = ctx;
	SSL_CTX_up_ref(ctx);
    }
    pthread_mutex_unlock(&cacheLock);
    sc__str_free(&key);
    return ctx;
}

/*
 *----------------------------------------------------------------------
 *
 * The BIO --
 *
 *	OpenSSL's reads come from the layer below (handed-down bytes
 *	first); its writes go into held. Before it reads, held output goes
 *	below: a handshake message must leave before its answer can come.
 *
 *----------------------------------------------------------------------
 */

static int Drain(struct tls *t);

static int
BioWrite(BIO *bio, const char *data, int len)
{
    struct tls *t = BIO_get_data(bio);
    size_t need = t->heldStart + t->heldLen + (size_t) len;

    if (need > t->heldCap) {
	char *p;
	size_t cap = t->heldLen + (size_t) len;

	if (t->heldStart > 0) {
	    memmove(t->held, t->held + t->heldStart, t->heldLen);
	    t->heldStart = 0;
	}
	if (cap > t->heldCap) {
	    cap = cap < 2 * t->heldCap ? 2 * t->heldCap : cap;
	    p = sc__realloc(t->held, cap);
	    if (p == NULL) {
		t->ioErr = ENOMEM;
		return -1;
	    }
	    t->held = p;
	    t->heldCap = cap;
	}
    }
    memcpy(t->held + t->heldStart + t->heldLen, data, (size_t) len);
    t->heldLen += (size_t) len;
    return len;
}

/* Wait, on a blocking channel's handshake, until readable or the
 * deadline. 0, or ETIMEDOUT. */
static int
WaitReadable(struct tls *t)
{
    struct pollfd pfd;
    int fd = sc__below_handle(&t->layer->below, SC_READABLE);

    if (fd < 0 || t->deadline == 0 || sc__below_ready(&t->layer->below)) {
	return 0;
    }
    pfd.fd = fd;
    pfd.events = POLLIN;
    for (;;) {
	uint64_t now = sc__now_ns();
	int r;

	if (now >= t->deadline) {
	    return ETIMEDOUT;
	}
	r = sc__poll(&pfd, 1, (int) ((t->deadline - now + 999999) / 1000000));
	if (r > 0) {
	    return 0;
	}
	if (r < 0 && errno != EINTR) {
	    return errno;
	}
    }
}

static int
BioRead(BIO *bio, char *buf, int len)
{
    struct tls *t = BIO_get_data(bio);
    struct sc__below *below = &t->layer->below;
    int err = 0;
    long n;

    BIO_clear_retry_flags(bio);
    if (t->heldLen > 0) {
	err = Drain(t);
	if (err != 0 && err != EAGAIN) {
	    t->ioErr = err;
	    return -1;
	}
    }
    if (t->state == HS && sc__below_blocking(below)
	    && (err = WaitReadable(t)) != 0) {
	t->ioErr = err;
	return -1;
    }
    n = sc__below_input(below, buf, (size_t) len, &err);
    if (n >= 0) {
	return (int) n;
    }
    if (err == EAGAIN || err == EWOULDBLOCK) {
	BIO_set_retry_read(bio);
    } else {
	t->ioErr = err;
    }
    return -1;
}

static long
BioCtrl(BIO *bio, int cmd, long num, void *ptr)
{
    (void) bio; (void) num; (void) ptr;
    return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static void
InitBio(void)
{
    bioMethod = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK,
	    "sockchan");
    if (bioMethod != NULL) {
	BIO_meth_set_write(bioMethod, BioWrite);
	BIO_meth_set_read(bioMethod, BioRead);
	BIO_meth_set_ctrl(bioMethod, BioCtrl);
    }
    alpnIndex = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, FreeAlpn);
}

/*
 *----------------------------------------------------------------------
 *
 * Held output, watching, our own events --
 *
 *----------------------------------------------------------------------
 */

/* Hand held records below. 0 when none is left, EAGAIN, or errno. */
static int
Drain(struct tls *t)
{
    struct sc__below *below = &t->layer->below;

    while (t->heldLen > 0) {
	int err = 0;
	long n = sc__below_output(below, t->held + t->heldStart, t->heldLen,
		&err);

	if (n > 0) {
	    t->heldStart += (size_t) n;
	    t->heldLen -= (size_t) n;
	    continue;
	}
	return n == 0 || err == EWOULDBLOCK ? EAGAIN : err;
    }
    /* Nothing held: the buffer goes (an idle connection keeps none). */
    sc__free(t->held);
    t->held = NULL;
    t->heldStart = t->heldCap = 0;
    return sc__below_drain(below);
}

static void Rewatch(struct tls *t);

/* Input of ours that no event from below will tell of. */
static int
InputWaiting(const struct tls *t)
{
    return t->state == OPEN && (SSL_has_pending(t->ssl)
	    || sc__below_ready(&t->layer->below)
	    || (t->flags & TF_PEER_CLOSED));
}

/* Our events, from a zero-delay timer: plaintext (or an end) OpenSSL
 * holds while the layer below is not readable, or a failure to report
 * while the channel waits for events (as a failed connect does). */
static void
OwnEvents(void *clientData)
{
    struct tls *t = clientData;
    int mask = 0;

    t->timer = 0;
    if (t->state == FAILED) {
	mask = t->want;
    } else if ((t->want & SC_READABLE) && InputWaiting(t)) {
	mask = SC_READABLE;
    }
    if (mask != 0) {
	/* Armed again first: the notify may close the channel, and
	 * closing deletes the timer. */
	t->timer = sc_create_timer(t->layer->below.chan->loop, 0, OwnEvents,
		t);
	sc__layer_notify(t->layer, mask);
    }
}

static void
ArmTimer(struct tls *t)
{
    if (t->timer == 0) {
	t->timer = sc_create_timer(t->layer->below.chan->loop, 0, OwnEvents,
		t);
    }
}

/* Ask the layer below for what we need now. */
static void
Rewatch(struct tls *t)
{
    int mask = 0, err;

    switch (t->state) {
    case HS:
	mask = SC_READABLE | (t->heldLen > 0 ? SC_WRITABLE : 0);
	if (sc__below_blocking(&t->layer->below)) {
	    /* The handshake finishes at the first read or write. */
	    mask = t->want;
	}
	break;
    case OPEN:
	mask = (t->want & SC_READABLE)
		| ((t->want & SC_WRITABLE) || t->heldLen > 0
		    ? SC_WRITABLE : 0);
	if ((t->want & SC_READABLE) && InputWaiting(t)) {
	    ArmTimer(t);
	}
	break;
    default:
	if (t->want != 0) {
	    ArmTimer(t);
	}
	break;
    }
    if (mask != t->belowWant) {
	err = sc__below_watch(&t->layer->below, mask);
	if (err != 0) {
	    sc__chan_watch_failed(t->layer->below.chan, err);
	    return;
	}
	t->belowWant = (uint8_t) mask;
    }
}

/*
 *----------------------------------------------------------------------
 *
 * The handshake --
 *
 *----------------------------------------------------------------------
 */

static void
SetFail(struct tls *t, int err, const char *prefix, const char *text)
{
    char buf[300];

    snprintf(buf, sizeof(buf), "%s%s%s", prefix, text, *prefix ? ")" : "");
    sc__free(t->failMsg);
    t->failMsg = sc__malloc(strlen(buf) + 1);
    if (t->failMsg != NULL) {
	memcpy(t->failMsg, buf, strlen(buf) + 1);
    }
    t->failErr = err;
}

/* The handshake failed (r and e from SSL_do_handshake): find words. */
static void
HandshakeFailed(struct tls *t, int e)
{
    long v = SSL_get_verify_result(t->ssl);

    if (t->timeout) {
	sc_delete_timer(t->layer->below.chan->loop, t->timeout);
	t->timeout = 0;
    }
    t->state = FAILED;
    if (v != X509_V_OK && !(t->flags & TF_SERVER)) {
	SetFail(t, EPROTO, "certificate verify failed (",
		X509_verify_cert_error_string(v));
    } else if (t->ioErr != 0) {
	/* The layer below failed: a connect's failure is in its -error
	 * ("connection refused"), the read's errno says less. */
	struct sc__str why = {NULL, 0, 0};

	if (sc__below_get(&t->layer->below, "-error", &why) == 0
		&& why.s != NULL && why.s[0] != '\0') {
	    SetFail(t, t->ioErr, "", why.s);
	} else {
	    SetFail(t, t->ioErr, "", sc_errno_msg(t->ioErr));
	}
	sc__str_free(&why);
    } else if (e == SSL_ERROR_SSL) {
	SetFail(t, EPROTO, "", SslReason());
    } else {
	SetFail(t, ECONNRESET, "", "connection closed during the TLS "
		"handshake");
    }
    ERR_clear_error();
}

/* One step of the handshake. 0: done; EAGAIN: more to come; or the
 * failure's errno (t->failMsg says it). */
static int
Step(struct tls *t)
{
    int r, e, err;

    if (t->state == OPEN) {
	return 0;
    }
    if (t->state == FAILED) {
	return t->failErr;
    }
    ERR_clear_error();
    t->ioErr = 0;
    r = SSL_do_handshake(t->ssl);
    if (r == 1) {
	t->state = OPEN;
	if (t->timeout) {
	    sc_delete_timer(t->layer->below.chan->loop, t->timeout);
	    t->timeout = 0;
	}
	/* The last flight may be held still. */
	err = Drain(t);
	if (err != 0 && err != EAGAIN) {
	    t->ioErr = err;
	    HandshakeFailed(t, SSL_ERROR_SYSCALL);
	    return t->failErr;
	}
	return 0;
    }
    e = SSL_get_error(t->ssl, r);
    if ((e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
	    && t->ioErr == 0) {
	err = Drain(t);
	if (err == 0 || err == EAGAIN) {
	    return EAGAIN;
	}
	t->ioErr = err;
    }
    HandshakeFailed(t, e);
    return t->failErr;
}

/* The handshake to its end on a blocking channel. 0 or the errno. */
static int
Finish(struct tls *t)
{
    int err;

    while ((err = Step(t)) == EAGAIN) {
	/* A blocking layer below said "would block": it is nonblocking
	 * underneath (a socket still connecting). Wait for it. */
	struct pollfd pfd;

	pfd.fd = sc__below_handle(&t->layer->below, SC_READABLE);
	pfd.events = (short) (POLLIN | (t->heldLen > 0 ? POLLOUT : 0));
	/* No descriptor to wait on: back off instead of spinning. */
	(void) sc__poll(pfd.fd >= 0 ? &pfd : NULL, pfd.fd >= 0 ? 1 : 0,
		pfd.fd >= 0 ? 100 : 10);
	if (t->deadline != 0 && sc__now_ns() >= t->deadline) {
	    t->ioErr = ETIMEDOUT;
	    HandshakeFailed(t, SSL_ERROR_SYSCALL);
	    return t->failErr;
	}
    }
    return err;
}

static void
HandshakeTimedOut(void *clientData)
{
    struct tls *t = clientData;

    t->timeout = 0;
    if (t->state != HS) {
	return;
    }
    t->ioErr = ETIMEDOUT;
    HandshakeFailed(t, SSL_ERROR_SYSCALL);
    t->ioErr = 0;
    Rewatch(t);
}

/* Run the handshake as far as it goes now; on a blocking channel, to
 * its end. 0 when open, EAGAIN, or the failure's errno. */
static int
Progress(struct tls *t)
{
    int err;

    if (t->state != HS) {
	return t->state == OPEN ? 0 : t->failErr;
    }
    err = sc__below_blocking(&t->layer->below) ? Finish(t) : Step(t);
    Rewatch(t);
    return err;
}

/*
 *----------------------------------------------------------------------
 *
 * The transform's operations --
 *
 *----------------------------------------------------------------------
 */

static long
TlsInput(void *inst, char *buf, size_t n, int *errPtr)
{
    struct tls *t = inst;
    size_t got = 0;
    int err, e;

    if ((err = Progress(t)) != 0) {
	*errPtr = err;
	return -1;
    }
    if (t->flags & TF_PEER_CLOSED) {
	return 0;
    }
    ERR_clear_error();
    t->ioErr = 0;
    if (SSL_read_ex(t->ssl, buf, n, &got)) {
	if (t->heldLen > 0) {
	    (void) Drain(t);	/* A post-handshake message's answer. */
	}
	Rewatch(t);
	return (long) got;
    }
    e = SSL_get_error(t->ssl, 0);
    switch (e) {
    case SSL_ERROR_ZERO_RETURN:
	t->flags |= TF_PEER_CLOSED;
	return 0;
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
	if (t->ioErr == 0) {
	    if (t->heldLen > 0) {
		(void) Drain(t);
		Rewatch(t);
	    }
	    *errPtr = EAGAIN;
	    return -1;
	}
	break;
    case SSL_ERROR_SYSCALL:
	if (t->ioErr == 0 && !SSL_has_pending(t->ssl)) {
	    /* The stream ended without close_notify, on a record's
	     * boundary: an end of file, as curl and Python take it. */
	    t->flags |= TF_PEER_CLOSED;
	    return 0;
	}
	if (t->ioErr == 0) {
	    /* It ended in the middle of a record: truncated. */
	    SetFail(t, EPROTO, "", "unexpected eof while reading");
	    t->state = FAILED;
	    *errPtr = EPROTO;
	    ERR_clear_error();
	    return -1;
	}
	break;
    default:
	break;
    }
    if (t->ioErr != 0) {
	*errPtr = t->ioErr;
    } else {
	/* A bad or truncated record: the stream can't go on. */
	SetFail(t, EPROTO, "", SslReason());
	t->state = FAILED;
	*errPtr = EPROTO;
    }
    ERR_clear_error();
    return -1;
}

static long
TlsOutput(void *inst, const char *buf, size_t n, int *errPtr)
{
    struct tls *t = inst;
    size_t done = 0;
    int err;

    if ((err = Progress(t)) != 0) {
	*errPtr = err;
	return -1;
    }
    if (t->flags & TF_NOTIFY_SENT) {
	*errPtr = EPIPE;
	return -1;
    }
    err = Drain(t);
    if (err == 0 && t->heldLen > 0) {
	err = EAGAIN;
    }
    if (err != 0) {
	Rewatch(t);
	*errPtr = err;
	return -1;
    }
    ERR_clear_error();
    t->ioErr = 0;
    if (!SSL_write_ex(t->ssl, buf, n < RECORD_MAX ? n : RECORD_MAX, &done)) {
	*errPtr = t->ioErr ? t->ioErr : EPROTO;
	ERR_clear_error();
	return -1;
    }
    err = Drain(t);
    if (err != 0 && err != EAGAIN) {
	*errPtr = err;
	return -1;
    }
    Rewatch(t);
    return (long) done;
}

/* Make our close_notify (once). */
static void
Shutdown(struct tls *t)
{
    if (t->state == OPEN && !(t->flags & TF_NOTIFY_SENT)) {
	t->flags |= TF_NOTIFY_SENT;
	ERR_clear_error();
	(void) SSL_shutdown(t->ssl);
	ERR_clear_error();
    }
}

static int
TlsClose(void *inst, int direction)
{
    struct tls *t = inst;
    sc_loop *loop = t->layer->below.chan->loop;
    int err;

    if (direction == SC_READABLE) {
	return sc__below_close(&t->layer->below, SC_READABLE);
    }
    if (direction == SC_WRITABLE) {
	/* close_notify, then the FIN; reading goes on (TLS 1.3). */
	Shutdown(t);
	err = Drain(t);
	if (err != 0) {
	    Rewatch(t);
	    return err;
	}
	return sc__below_close(&t->layer->below, SC_WRITABLE);
    }
    Shutdown(t);
    (void) Drain(t);		/* What the layer below takes now. */
    if (t->timer) {
	sc_delete_timer(loop, t->timer);
    }
    if (t->timeout) {
	sc_delete_timer(loop, t->timeout);
    }
    SSL_free(t->ssl);
    sc__free(t->held);
    sc__free(t->failMsg);
    sc__free(t);
    return 0;
}

static int
TlsWatch(void *inst, int mask)
{
    struct tls *t = inst;

    t->want = (uint8_t) (mask & (SC_READABLE | SC_WRITABLE));
    Rewatch(t);
    return 0;
}

/*
 * Events from below: handshake progress is ours; once open, the events
 * pass up as the layer above asked for them, and a failure is reported
 * as a connect's is (both events, then -error).
 */
static int
TlsEvent(void *inst, int mask)
{
    struct tls *t = inst;
    int err;

    if (t->state == HS) {
	if (sc__below_blocking(&t->layer->below)) {
	    return mask & t->want;	/* The read or write finishes it. */
	}
	err = Step(t);
	Rewatch(t);
	if (err == EAGAIN) {
	    return 0;
	}
	if (err != 0) {
	    return t->want;
	}
	mask = (t->want & SC_WRITABLE)
		| (InputWaiting(t) ? t->want & SC_READABLE : 0);
	return mask;
    }
    if (t->state == FAILED) {
	return t->want;
    }
    if ((mask & SC_WRITABLE) && t->heldLen > 0) {
	err = Drain(t);
	if (err != 0 && err != EAGAIN) {
	    t->ioErr = err;
	}
	Rewatch(t);
    }
    return mask & t->want;
}

static size_t
TlsHeld(void *inst)
{
    struct tls *t = inst;

    return t->heldLen + sc__below_held(&t->layer->below);
}

static int
TlsDrain(void *inst)
{
    struct tls *t = inst;
    int err = Drain(t);

    Rewatch(t);
    return err;
}

static int
TlsBlockMode(void *inst, int blocking)
{
    struct tls *t = inst;

    return sc__below_blockmode(&t->layer->below, blocking);
}

static int
TlsHandle(void *inst, int direction)
{
    struct tls *t = inst;

    return sc__below_handle(&t->layer->below, direction);
}

static void
TlsName(void *inst, char *buf, size_t size)
{
    struct tls *t = inst;

    sc__below_name(&t->layer->below, buf, size);
}

/*
 *----------------------------------------------------------------------
 *
 * Options: the queries (tls::status's) --
 *
 *----------------------------------------------------------------------
 */

static const char *const queries[] = {
    "-alpn", "-cipher", "-issuer", "-notafter", "-notbefore", "-protocol",
    "-san", "-serial", "-servername", "-sha256", "-subject", "-verify",
    NULL
};

static int
PutName(struct sc__str *v, X509_NAME *name)
{
    BIO *mem = BIO_new(BIO_s_mem());
    char *p;
    long n;

    if (mem == NULL) {
	return -1;
    }
    X509_NAME_print_ex(mem, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
    n = BIO_get_mem_data(mem, &p);
    sc__str_append(v, p, (size_t) n);
    BIO_free(mem);
    return 0;
}

static void
PutTime(struct sc__str *v, const ASN1_TIME *tm)
{
    struct tm out;

    if (tm != NULL && ASN1_TIME_to_tm(tm, &out)) {
	sc__str_appendf(v, "%04d-%02d-%02d %02d:%02d:%02d UTC",
		out.tm_year + 1900, out.tm_mon + 1, out.tm_mday, out.tm_hour,
		out.tm_min, out.tm_sec);
    }
}

static void
PutSans(struct sc__str *v, X509 *cert)
{
    GENERAL_NAMES *names = X509_get_ext_d2i(cert, NID_subject_alt_name,
	    NULL, NULL);
    int i;

    for (i = 0; names != NULL && i < sk_GENERAL_NAME_num(names); i++) {
	const GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);
	char buf[300];

	buf[0] = '\0';
	if (g->type == GEN_DNS) {
	    snprintf(buf, sizeof(buf), "DNS:%.*s",
		    ASN1_STRING_length(g->d.dNSName),
		    (const char *) ASN1_STRING_get0_data(g->d.dNSName));
	} else if (g->type == GEN_IPADD) {
	    char addr[INET6_ADDRSTRLEN];
	    int len = ASN1_STRING_length(g->d.iPAddress);
	    const unsigned char *p = ASN1_STRING_get0_data(g->d.iPAddress);

	    if ((len == 4 && inet_ntop(AF_INET, p, addr, sizeof(addr)))
		    || (len == 16
			&& inet_ntop(AF_INET6, p, addr, sizeof(addr)))) {
		snprintf(buf, sizeof(buf), "IP:%s", addr);
	    }
	} else if (g->type == GEN_EMAIL) {
	    snprintf(buf, sizeof(buf), "email:%.*s",
		    ASN1_STRING_length(g->d.rfc822Name),
		    (const char *) ASN1_STRING_get0_data(g->d.rfc822Name));
	}
	if (buf[0]) {
	    sc__str_element(v, buf);
	}
    }
    GENERAL_NAMES_free(names);
}

/* One query's value into v. */
static void
Query(struct tls *t, const char *name, struct sc__str *v)
{
    X509 *cert = SSL_get0_peer_certificate(t->ssl);
    const char *s = NULL;

    sc__str_append(v, "", 0);
    if (strcmp(name, "-alpn") == 0) {
	const unsigned char *p = NULL;
	unsigned len = 0;

	SSL_get0_alpn_selected(t->ssl, &p, &len);
	if (p != NULL && len > 0) {
	    sc__str_append(v, (const char *) p, len);
	}
    } else if (strcmp(name, "-cipher") == 0) {
	s = t->state == OPEN ? SSL_get_cipher_name(t->ssl) : NULL;
    } else if (strcmp(name, "-protocol") == 0) {
	s = t->state == OPEN ? SSL_get_version(t->ssl) : NULL;
    } else if (strcmp(name, "-servername") == 0) {
	s = SSL_get_servername(t->ssl, TLSEXT_NAMETYPE_host_name);
    } else if (strcmp(name, "-verify") == 0) {
	if (t->state != HS) {
	    long r = SSL_get_verify_result(t->ssl);

	    s = cert == NULL && !(t->flags & TF_SERVER) ? "" : r == X509_V_OK
		    ? "ok" : X509_verify_cert_error_string(r);
	}
    } else if (cert == NULL) {
	/* No peer certificate: the rest are empty. */
    } else if (strcmp(name, "-subject") == 0) {
	PutName(v, X509_get_subject_name(cert));
    } else if (strcmp(name, "-issuer") == 0) {
	PutName(v, X509_get_issuer_name(cert));
    } else if (strcmp(name, "-notbefore") == 0) {
	PutTime(v, X509_get0_notBefore(cert));
    } else if (strcmp(name, "-notafter") == 0) {
	PutTime(v, X509_get0_notAfter(cert));
    } else if (strcmp(name, "-serial") == 0) {
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
	char *hex = bn ? BN_bn2hex(bn) : NULL;

	sc__str_appendf(v, "%s", hex ? hex : "");
	OPENSSL_free(hex);
	BN_free(bn);
    } else if (strcmp(name, "-sha256") == 0) {
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned len = 0, i;

	if (X509_digest(cert, EVP_sha256(), md, &len)) {
	    for (i = 0; i < len; i++) {
		sc__str_appendf(v, "%s%02X", i ? ":" : "", md[i]);
	    }
	}
    } else if (strcmp(name, "-san") == 0) {
	PutSans(v, cert);
    }
    if (s != NULL) {
	sc__str_appendf(v, "%s", s);
    }
}

static int
IsQuery(const char *name)
{
    int i;

    for (i = 0; queries[i] != NULL; i++) {
	if (strcmp(queries[i], name) == 0) {
	    return 1;
	}
    }
    return 0;
}

static int
TlsGetOption(void *inst, const char *name, struct sc__str *out)
{
    struct tls *t = inst;
    int i;

    if (name == NULL) {
	for (i = 0; queries[i] != NULL; i++) {
	    struct sc__str v = {NULL, 0, 0};

	    sc__str_element(out, queries[i]);
	    sc__str_append(out, " ", 1);
	    Query(t, queries[i], &v);
	    sc__str_element(out, v.s ? v.s : "");
	    sc__str_free(&v);
	}
	return sc__below_get(&t->layer->below, NULL, out);
    }
    if (strcmp(name, "-error") == 0 && t->state == FAILED
	    && t->failMsg != NULL) {
	/* Told once, as Tcl clears -error once read. */
	if (!(t->flags & TF_REPORTED)) {
	    t->flags |= TF_REPORTED;
	    sc__str_appendf(out, "%s", t->failMsg);
	} else {
	    sc__str_append(out, "", 0);
	}
	return 0;
    }
    if (strcmp(name, "-connecting") == 0 && t->state == HS) {
	sc__str_appendf(out, "1");
	return 0;
    }
    if (strcmp(name, "-error") == 0 || strcmp(name, "-connecting") == 0) {
	/* The layer below's, or none (a transform over a descriptor). */
	int r = sc__below_get(&t->layer->below, name, out);

	if (r == 1) {
	    sc__str_appendf(out, "%s", name[1] == 'c' ? "0" : "");
	    return 0;
	}
	return r;
    }
    if (IsQuery(name)) {
	Query(t, name, out);
	return 0;
    }
    return sc__below_get(&t->layer->below, name, out);
}

static int
TlsSetOption(void *inst, const char *name, const char *value)
{
    struct tls *t = inst;

    if (IsQuery(name)) {
	return sc__loop_error(t->layer->below.chan->loop, 0, "option "
		"\"%s\" is read-only: give it to sc_tls_push", name);
    }
    return sc__below_set(&t->layer->below, name, value);
}

static const struct sc__chan_type tlsType = {
    "tls",
    TlsInput,
    TlsOutput,
    TlsClose,
    TlsWatch,
    TlsBlockMode,
    TlsHandle,
    TlsGetOption,
    TlsSetOption,
    "-alpn -cipher -issuer -notafter -notbefore -protocol -san -serial "
	    "-servername -sha256 -subject -verify",
    TlsName,
    SC_TRANS_CRLF,
};

static const struct sc__transform_ops tlsOps = {
    TlsEvent,
    TlsHeld,
    TlsDrain,
};

/*
 *----------------------------------------------------------------------
 *
 * sc_tls_push --
 *
 *	Stacks TLS on an open channel. A blocking client's handshake
 *	completes here; a nonblocking channel's runs on the loop, its
 *	outcome told by a writable event and -error; a blocking server's
 *	completes at the first read or write.
 *
 * Results:
 *	0, or -1 with the error message left on the loop ("couldn't open
 *	socket: certificate verify failed (hostname mismatch)"); the
 *	channel is then as it was (the program closes it).
 *
 *----------------------------------------------------------------------
 */

struct pushArgs {
    const sc_tls_options *o;
    const char *host;		/* The name to check and send, or NULL. */
    long timeout;
};

static void *
Create(void *clientData, struct sc__layer *layer)
{
    struct pushArgs *a = clientData;
    const sc_tls_options *o = a->o;
    sc_loop *loop = layer->below.chan->loop;
    char msg[400];
    struct tls *t;
    SSL_CTX *ctx;
    BIO *bio;
    int err;

    pthread_once(&bioOnce, InitBio);
    if (bioMethod == NULL || alpnIndex < 0) {
	sc__loop_error(loop, ENOMEM, "couldn't open socket");
	return NULL;
    }
    ctx = GetCtx(o, msg, sizeof(msg));
    if (ctx == NULL) {
	sc__loop_error(loop, 0, "couldn't open socket: %s", msg);
	return NULL;
    }
    t = sc__calloc(1, sizeof(*t));
    if (t == NULL || (t->ssl = SSL_new(ctx)) == NULL
	    || (bio = BIO_new(bioMethod)) == NULL) {
	SSL_CTX_free(ctx);
	if (t != NULL) {
	    SSL_free(t->ssl);
	    sc__free(t);
	}
	sc__loop_error(loop, ENOMEM, "couldn't open socket");
	return NULL;
    }
    SSL_CTX_free(ctx);		/* The SSL holds it now. */
    t->layer = layer;
    BIO_set_data(bio, t);
    BIO_set_init(bio, 1);
    SSL_set_bio(t->ssl, bio, bio);
    SSL_set_read_ahead(t->ssl, 1);
    if (o->flags & SC_TLS_SERVER) {
	t->flags |= TF_SERVER;
	SSL_set_accept_state(t->ssl);
    } else {
	const char *host = o->servername ? o->servername : a->host;
	unsigned char addr[16];
	int literal = host != NULL && (inet_pton(AF_INET, host, addr) == 1
		|| inet_pton(AF_INET6, host, addr) == 1);

	SSL_set_connect_state(t->ssl);
	if (host != NULL && !literal) {
	    /* SSL_set_tlsext_host_name, without its cast of const away. */
	    SSL_ctrl(t->ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME,
		    TLSEXT_NAMETYPE_host_name, (void *) (uintptr_t) host);
	}
	if (host != NULL && !(o->flags & SC_TLS_NOVERIFY)) {
	    X509_VERIFY_PARAM *vp = SSL_get0_param(t->ssl);

	    if (literal) {
		X509_VERIFY_PARAM_set1_ip_asc(vp, host);
	    } else {
		X509_VERIFY_PARAM_set1_host(vp, host, 0);
	    }
	}
    }
    if (a->timeout > 0) {
	t->deadline = sc__now_ns() + (uint64_t) a->timeout * 1000000u;
    }
    if (sc__below_blocking(&layer->below)) {
	if (!(o->flags & SC_TLS_SERVER) && (err = Finish(t)) != 0) {
	    sc__loop_error(loop, 0, "couldn't open socket: %s",
		    t->failMsg ? t->failMsg : sc_errno_msg(err));
	    (void) TlsClose(t, 0);
	    return NULL;
	}
    } else {
	if (a->timeout > 0) {
	    t->timeout = sc_create_timer(loop, a->timeout, HandshakeTimedOut,
		    t);
	}
	(void) Step(t);
    }
    Rewatch(t);
    return t;
}

int
sc_tls_push(sc_chan *chan, const sc_tls_options *options)
{
    static const sc_tls_options defaults;
    struct pushArgs a;

    a.o = options ? options : &defaults;
    a.host = NULL;
    a.timeout = a.o->timeout;
    if (a.o->timeout < 0) {
	return chan ? sc__chan_error(chan, 0, "bad timeout %ld: should be a "
		"non-negative number of milliseconds", a.o->timeout) : -1;
    }
    return sc__chan_push(chan, &tlsType, &tlsOps, Create, &a);
}

/*
 *----------------------------------------------------------------------
 *
 * sc_open_tls_client --
 *
 *	sc_open_tcp_client, then TLS on the connection, checked against
 *	host (unless options give a server name). The TCP options' timeout
 *	covers connect and handshake together.
 *
 *----------------------------------------------------------------------
 */

sc_chan *
sc_open_tls_client(sc_loop *loop, const char *host, const char *port,
	const sc_tcp_options *tcpOptions, const sc_tls_options *options)
{
    static const sc_tls_options defaults;
    struct pushArgs a;
    uint64_t start = sc__now_ns();
    sc_chan *chan;
    long timeout = tcpOptions ? tcpOptions->timeout : 0;

    a.o = options ? options : &defaults;
    if (a.o->flags & SC_TLS_SERVER) {
	sc__loop_error(loop, 0, "couldn't open socket: SC_TLS_SERVER in a "
		"client's options");
	return NULL;
    }
    chan = sc_open_tcp_client(loop, host, port, tcpOptions);
    if (chan == NULL) {
	return NULL;
    }
    a.host = host ? host : "localhost";
    a.timeout = a.o->timeout;
    if (timeout > 0) {
	/* What the connect left of the timeout, at least 1 ms. */
	long spent = (long) ((sc__now_ns() - start) / 1000000u);

	a.timeout = spent < timeout ? timeout - spent : 1;
    }
    if (sc__chan_push(chan, &tlsType, &tlsOps, Create, &a) < 0) {
	char msg[sizeof(loop->errmsg)];
	int err = errno;

	snprintf(msg, sizeof(msg), "%s", loop->errmsg);
	sc_close(chan);
	snprintf(loop->errmsg, sizeof(loop->errmsg), "%s", msg);
	errno = err;
	return NULL;
    }
    return chan;
}

/*
 *----------------------------------------------------------------------
 *
 * sc_tls_selfsigned --
 *
 *	Makes a temporary self-signed certificate (EC P-256, valid for a
 *	day, for cn and, as subject alternative names, cn, 127.0.0.1 and
 *	::1) and its key, both in one PEM file at path, created new with
 *	mode 0600 (an existing file is an error, never overwritten): what
 *	ncat's --ssl listener does without a certificate. Its SHA-256
 *	fingerprint ("AB:CD:..", 95 characters) goes into sha256.
 *
 * Results:
 *	0, or -1 with the message left on the loop.
 *
 *----------------------------------------------------------------------
 */

int
sc_tls_selfsigned(sc_loop *loop, const char *path, const char *cn,
	char *sha256, size_t size)
{
    EVP_PKEY *key = NULL;
    X509 *x = NULL;
    X509_EXTENSION *ext = NULL;
    X509V3_CTX v3;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0, i;
    char san[300];
    FILE *f = NULL;
    int fd = -1, ok = 0;

    if (path == NULL || cn == NULL || cn[0] == '\0' || strlen(cn) > 200) {
	return sc__loop_error(loop, EINVAL, "can't make a certificate");
    }
    ERR_clear_error();
    snprintf(san, sizeof(san), "DNS:%s,IP:127.0.0.1,IP:::1", cn);
    key = EVP_EC_gen("P-256");
    x = X509_new();
    if (key == NULL || x == NULL) {
	goto done;
    }
    ASN1_INTEGER_set(X509_get_serialNumber(x), (long) (sc__now_ns() >> 20)
	    & 0x7fffffff);
    X509_set_version(x, 2);
    X509_gmtime_adj(X509_getm_notBefore(x), -300);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, key);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
	    (const unsigned char *) cn, -1, -1, 0);
    X509_set_issuer_name(x, X509_get_subject_name(x));
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
    ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, san);
    if (ext == NULL || !X509_add_ext(x, ext, -1)
	    || X509_sign(x, key, EVP_sha256()) <= 0
	    || !X509_digest(x, EVP_sha256(), md, &len)) {
	goto done;
    }
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    0600);
    if (fd < 0) {
	int err = errno;

	X509_EXTENSION_free(ext);
	X509_free(x);
	EVP_PKEY_free(key);
	return sc__loop_error(loop, err, "couldn't open \"%s\"", path);
    }
    f = fdopen(fd, "w");
    if (f == NULL) {
	close(fd);
	goto done;
    }
    ok = PEM_write_X509(f, x) && PEM_write_PrivateKey(f, key, NULL, NULL, 0,
	    NULL, NULL);
    if (fclose(f) != 0) {
	ok = 0;
    }
    if (!ok) {
	unlink(path);
    }

  done:
    X509_EXTENSION_free(ext);
    X509_free(x);
    EVP_PKEY_free(key);
    if (!ok) {
	sc__loop_error(loop, 0, "can't make a certificate: %s", SslReason());
	ERR_clear_error();
	return -1;
    }
    if (sha256 != NULL && size > 0) {
	size_t at = 0;

	sha256[0] = '\0';
	for (i = 0; i < len && at + 3 < size; i++) {
	    at += (size_t) snprintf(sha256 + at, size - at, "%s%02X",
		    i ? ":" : "", md[i]);
	}
    }
    return 0;
}
