/*
 * unix.c --
 *
 *	Unix-domain stream sockets without a loop: names (paths, abstract
 *	names), listening safely on a path that may already exist, and
 *	removing only what we created. See sock.h.
 *
 *	The rules for an existing path (the original unix_sockets extension
 *	unlinks whatever is there, and so destroys a regular file):
 *	  - nothing there: the new socket takes the name;
 *	  - a socket nobody answers on (connect is refused): stale, removed,
 *	    and the new socket takes the name;
 *	  - a socket with a live listener: "address already in use";
 *	  - a socket we may not connect to: "permission denied";
 *	  - anything else: an error that names it; it is left untouched.
 *
 *	The threat: another local user who can write in the socket's
 *	directory (/tmp, a 1777 or 0733 spool directory) and wants the
 *	listener to change a file of the listener's owner, to reach a socket
 *	meant to be closed to them, or to make the listener wait. Binding at
 *	the path and then chmod()ing it by name lost on all three counts: the
 *	name could be swapped for a symbolic link before the chmod, the file
 *	had the umask's mode until the chmod (connect() checks the permission
 *	when it looks the name up, before it sees that the socket does not
 *	listen yet), and the flock on the directory that serialised racers
 *	could be held by anyone who can read the directory.
 *
 *	So a listener is made out of sight and moved into place whole:
 *	  1. P: an O_PATH descriptor for the socket's directory (no read
 *	     permission needed, so a 0733 directory works as a bind does).
 *	  2. D: a fresh directory ".sockchan-XXXXXXXXXXXX" made in P with
 *	     mkdirat (mode 0700, ours, on P's file system), held by an O_PATH
 *	     descriptor and checked with fstat (a directory, ours, 0700).
 *	     Nobody else can enter it, so nothing in it can be swapped.
 *	  3. bind() the socket as D/s through "/proc/self/fd/<D>/s", a name
 *	     that reaches D's inode whatever happens to the path to P (when
 *	     /proc is absent: through the textual path, then fstatat(D, "s")
 *	     proves it landed in D). The mode is set with fchmodat(D, "s"),
 *	     exact whatever the umask, wider or narrower; then listen().
 *	  4. renameat2(D, "s", P, name, RENAME_NOREPLACE) (link + unlink
 *	     where the file system can't promise NOREPLACE): the socket
 *	     appears at its name already listening and with its final mode,
 *	     nothing is ever replaced, and of N racers exactly one places
 *	     its socket. D is removed.
 *	No lock in this, the common path: nobody can make it wait. The
 *	price is a directory made and removed per listener: about 0.1 ms on
 *	tmpfs, but on ext4 mounted with "discard" and busy, 2 ms (freeing the
 *	directory's block), ten times a bare bind.
 *
 *	When the name is taken (EEXIST), the file is looked at with
 *	fstatat(P, name, AT_SYMLINK_NOFOLLOW) and a probing connect(). Only
 *	a stale socket goes further: it is removed under a lock, and the
 *	placement is tried again (three times at most). The lock is needed
 *	because two removers of one stale file could otherwise each take
 *	away what the other just placed. Under it the file is looked at again
 *	(a socket placed by a sockchan process listens before it is visible,
 *	so one that refuses now is stale), renamed into D, where nobody can
 *	touch it, and unlinked there only if it is the device and inode just
 *	probed; anything else is put back with RENAME_NOREPLACE, or, if even
 *	that fails, left in D and named in the error. The lock is an
 *	abstract-namespace socket name made of P's device and inode and a
 *	hash of the name (bound: held; closed, or the holder dead: free).
 *	A flock on P would need read permission on P (not in a 0733
 *	directory); a lock file would be left behind by a crash. Any user
 *	of the network namespace can bind the lock's name, so the wait for
 *	it is bounded: 1 s in steps of 10 ms, then "couldn't open socket:
 *	stale socket ... locked by another process". Only this path waits;
 *	processes in different network namespaces are not serialised (they
 *	still never destroy anything but a stale socket).
 *
 *	The socket's own address (getsockname, and the peer name a client
 *	reads) is the name it was bound with, "/proc/self/fd/N/s": the
 *	kernel never updates it on rename. The channels know the path and
 *	report it; other programs (ss, a foreign client's getpeername) show
 *	the bind name.
 *
 *	Removal at close (sc__unix_unlink) unlinks the name only if it is
 *	still the socket we placed (same device and inode). The unlink is by
 *	name: in a sticky directory nobody else can replace our file, and in
 *	a non-sticky one whoever could swap the name could remove the file
 *	themselves, so the check loses nothing to them.
 *
 *	No call here waits for long: the probing connect is nonblocking,
 *	the lock's wait is bounded, and no EINTR loop can swallow a signal.
 */
#include "core/sock.h"
#include "core/sys.h"
#include "sockchan.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

int
sc__unix_address(const char *name, size_t len, struct sockaddr_un *sun,
	socklen_t *sunLen, struct sc__err *err)
{
    size_t max = sizeof(sun->sun_path) - 1;
    int abstract = len > 0 && (name[0] == '@' || name[0] == '\0');

    memset(sun, 0, sizeof(*sun));
    sun->sun_family = AF_UNIX;
    if (len == 0) {
	err->code = EINVAL;
	snprintf(err->text, sizeof(err->text), "empty path");
	return -1;
    }
    if (!abstract && memchr(name, '\0', len) != NULL) {
	err->code = EINVAL;
	snprintf(err->text, sizeof(err->text), "path has a NUL byte");
	return -1;
    }
    if (abstract && len - 1 > max) {
	/* An abstract name has no terminating NUL: all of sun_path after
	 * the leading NUL is the name. */
	err->code = ENAMETOOLONG;
	snprintf(err->text, sizeof(err->text), "abstract name too long (%zu "
		"bytes after the @; at most %zu)", len - 1, max);
	return -1;
    }
    if (!abstract && len > max) {
	/* Never truncated: a shorter path would be another file. */
	err->code = ENAMETOOLONG;
	snprintf(err->text, sizeof(err->text), "path too long (%zu bytes; "
		"at most %zu)", len, max);
	return -1;
    }
    memcpy(sun->sun_path, name, len);
    if (abstract) {
	sun->sun_path[0] = '\0';
	*sunLen = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + len);
    } else {
	*sunLen = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + len
		+ 1);
    }
    return 0;
}

int
sc__unix_peercred(int fd, char *buf, size_t size)
{
    struct ucred cred;
    socklen_t len = sizeof(cred);

    if (sc__getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
	return -1;
    }
    snprintf(buf, size, "pid %ld uid %ld gid %ld", (long) cred.pid,
	    (long) cred.uid, (long) cred.gid);
    return 0;
}

/*
 *----------------------------------------------------------------------
 *
 * sc__unix_name --
 *
 *	The display form of a Unix address: a path as it is; an abstract
 *	name as "@" and its bytes, where a backslash is "\\" and a byte
 *	below 0x20 or 0x7f (NUL above all: the kernel allows it, and a name
 *	cut at it would look like another) is "\xHH", two hex digits. So
 *	two names never look alike, and the form reads back unambiguously.
 *
 * Results:
 *	buf holds the name, cut short only at a whole character when size
 *	is too small (4 * 107 + 2 bytes always suffice).
 *
 *----------------------------------------------------------------------
 */

void
sc__unix_name(const struct sockaddr_un *sun, socklen_t len, char *buf,
	size_t size)
{
    size_t n, i, out = 0;

    if (size == 0) {
	return;
    }
    buf[0] = '\0';
    if (len <= offsetof(struct sockaddr_un, sun_path)) {
	return;			/* An unnamed socket. */
    }
    n = len - offsetof(struct sockaddr_un, sun_path);
    if (n > sizeof(sun->sun_path)) {
	n = sizeof(sun->sun_path);
    }
    if (sun->sun_path[0] != '\0') {
	snprintf(buf, size, "%.*s", (int) strnlen(sun->sun_path, n),
		sun->sun_path);
	return;
    }
    if (size < 2) {
	return;
    }
    buf[out++] = '@';
    for (i = 1; i < n; i++) {
	unsigned char c = (unsigned char) sun->sun_path[i];
	char esc[5];
	size_t k;

	if (c == '\\') {
	    k = (size_t) snprintf(esc, sizeof(esc), "\\\\");
	} else if (c < 0x20 || c == 0x7f) {
	    k = (size_t) snprintf(esc, sizeof(esc), "\\x%02x", c);
	} else {
	    esc[0] = (char) c;
	    k = 1;
	}
	if (out + k >= size) {
	    break;
	}
	memcpy(buf + out, esc, k);
	out += k;
    }
    buf[out] = '\0';
}

struct addrinfo *
sc__unix_addrinfo(const struct sockaddr_un *sun, socklen_t len)
{
    struct addrinfo *ai = sc__calloc(1, sizeof(*ai) + sizeof(*sun));

    if (ai == NULL) {
	return NULL;
    }
    ai->ai_family = AF_UNIX;
    ai->ai_socktype = SOCK_STREAM;
    ai->ai_addr = (struct sockaddr *) (void *) (ai + 1);
    ai->ai_addrlen = len;
    memcpy(ai->ai_addr, sun, sizeof(*sun));
    return ai;
}

/* What an existing file is, for the message. */
static const char *
Kind(mode_t mode)
{
    if (S_ISREG(mode)) {
	return "a regular file";
    }
    if (S_ISDIR(mode)) {
	return "a directory";
    }
    if (S_ISLNK(mode)) {
	return "a symbolic link";
    }
    if (S_ISFIFO(mode)) {
	return "a fifo";
    }
    if (S_ISCHR(mode) || S_ISBLK(mode)) {
	return "a device";
    }
    return "not a socket";
}

/* What a probing connect found at a socket's name. */
enum { PROBE_LIVE, PROBE_STALE, PROBE_GONE, PROBE_DENIED };

/*
 * Does someone answer on the socket at sun? A nonblocking connect:
 * EAGAIN (a full backlog) and anything unexpected count as live, so that
 * nothing is removed on a doubt.
 */
static int
Probe(const struct sockaddr_un *sun, socklen_t len)
{
    int fd = sc__socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0), r = PROBE_LIVE;

    if (fd < 0) {
	return PROBE_LIVE;	/* Can't tell: do not remove anything. */
    }
    if (sc__connect(fd, (const struct sockaddr *) sun, len) < 0) {
	if (errno == ECONNREFUSED) {
	    r = PROBE_STALE;
	} else if (errno == ENOENT) {
	    r = PROBE_GONE;
	} else if (errno == EACCES || errno == EPERM) {
	    r = PROBE_DENIED;
	}
    }
    sc__close(fd);
    return r;
}

/* The listener being made: the directory P, the private directory D in
 * it, the socket's name in P. */
struct place {
    int pfd;			/* O_PATH descriptor of P, or -1. */
    int dfd;			/* O_PATH descriptor of D, or -1. */
    char dname[32];		/* D's name in P. */
    const char *base;		/* The socket's name in P. */
    int keepD;			/* D holds a file we could not put back. */
    struct sockaddr_un sun;	/* The socket's full path. */
    socklen_t sunLen;
};

/* Random letters for D's name (not a secret: D is checked after it is
 * made; randomness only avoids collisions). */
static void
RandomName(char *out, size_t n)
{
    static const char digits[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    static atomic_ulong counter;
    unsigned char bytes[16];
    size_t i;

    if (n > sizeof(bytes)) {
	n = sizeof(bytes);
    }
    if (getrandom(bytes, n, GRND_NONBLOCK) != (ssize_t) n) {
	struct timespec ts;
	unsigned long long x;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	x = (unsigned long long) ts.tv_nsec
		^ ((unsigned long long) getpid() << 32)
		^ (atomic_fetch_add(&counter, 1) * 2654435761ULL);
	for (i = 0; i < n; i++) {
	    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
	    bytes[i] = (unsigned char) (x >> 56);
	}
    }
    for (i = 0; i < n; i++) {
	out[i] = digits[bytes[i] % (sizeof(digits) - 1)];
    }
}

/*
 * Open P and make D in it (see the top of the file). Returns 0, or -1
 * with err.
 */
static int
MakePlace(struct place *p, struct sc__err *err)
{
    char dir[sizeof(p->sun.sun_path)];
    const char *path = p->sun.sun_path, *slash = strrchr(path, '/');
    struct stat st;
    int tries;

    if (slash == NULL) {
	snprintf(dir, sizeof(dir), ".");
	p->base = path;
    } else {
	size_t n = slash == path ? 1 : (size_t) (slash - path);

	memcpy(dir, path, n);
	dir[n] = '\0';
	p->base = slash + 1;
    }
    if (p->base[0] == '\0' || strcmp(p->base, ".") == 0
	    || strcmp(p->base, "..") == 0) {
	/* "dir/", "dir/.": a directory's name, never a socket's (looked up
	 * by name only for the message). */
	if (lstat(path, &st) < 0) {
	    sc__err_set(err, errno);
	} else {
	    err->code = EEXIST;
	    snprintf(err->text, sizeof(err->text), "\"%.80s\" exists and is "
		    "%s", path, Kind(st.st_mode));
	}
	return -1;
    }
    p->pfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (p->pfd < 0) {
	sc__err_set(err, errno);
	return -1;
    }
    for (tries = 0; ; tries++) {
	memcpy(p->dname, ".sockchan-", 10);
	RandomName(p->dname + 10, 12);
	p->dname[22] = '\0';
	if (sc__mkdirat(p->pfd, p->dname, 0700) == 0) {
	    break;
	}
	if (errno != EEXIST || tries == 10) {
	    sc__err_set(err, errno);
	    p->dname[0] = '\0';
	    return -1;
	}
    }
    p->dfd = sc__openat(p->pfd, p->dname, O_PATH | O_DIRECTORY | O_NOFOLLOW
	    | O_CLOEXEC);
    if (p->dfd < 0) {
	sc__err_set(err, errno);
	/* Not held, so removed by name: only an empty directory of ours
	 * (rmdir removes nothing else), which D is unless swapped. */
	if (fstatat(p->pfd, p->dname, &st, AT_SYMLINK_NOFOLLOW) == 0
		&& S_ISDIR(st.st_mode) && st.st_uid == geteuid()) {
	    sc__unlinkat(p->pfd, p->dname, AT_REMOVEDIR);
	}
	p->dname[0] = '\0';
	return -1;
    }
    if (fstat(p->dfd, &st) < 0) {
	sc__err_set(err, errno);
	return -1;
    }
    if ((st.st_mode & 07777) != 0700) {
	/* A umask that takes the owner's bits: give them back, on the
	 * inode we hold (not by name). */
	char proc[40];

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", p->dfd);
	if ((st.st_mode & 077) == 0 && chmod(proc, 0700) == 0) {
	    st.st_mode = (st.st_mode & ~07777u) | 0700;
	}
    }
    if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid()
	    || (st.st_mode & 07777) != 0700) {
	/* Not the directory we made: someone swapped the name. */
	err->code = EPERM;
	snprintf(err->text, sizeof(err->text), "private directory "
		"\"%.60s\" was replaced", p->dname);
	close(p->dfd);
	p->dfd = -1;
	p->dname[0] = '\0';	/* Not ours: never removed. */
	return -1;
    }
    return 0;
}

/* Remove D (if it is still the directory we hold) and close P and D. */
static void
FreePlace(struct place *p)
{
    struct stat held, named;

    if (p->dfd >= 0 && p->dname[0] != '\0' && !p->keepD
	    && fstat(p->dfd, &held) == 0
	    && fstatat(p->pfd, p->dname, &named, AT_SYMLINK_NOFOLLOW) == 0
	    && held.st_dev == named.st_dev && held.st_ino == named.st_ino) {
	sc__unlinkat(p->pfd, p->dname, AT_REMOVEDIR);
    }
    if (p->dfd >= 0) {
	close(p->dfd);
    }
    if (p->pfd >= 0) {
	close(p->pfd);
    }
}

/*
 * Bind fd as D/s: through /proc/self/fd (immune to swaps of the path to
 * P), or, without /proc, through the textual path, then check that the
 * file is in D. *st is the socket file. Returns 0, or -1 with err.
 */
static int
BindInPlace(struct place *p, int fd, struct stat *st, struct sc__err *err)
{
    struct sockaddr_un sun;
    socklen_t len;
    size_t dirLen = (size_t) (p->base - p->sun.sun_path);
    int n;

    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    snprintf(sun.sun_path, sizeof(sun.sun_path), "/proc/self/fd/%d/s",
	    p->dfd);
    len = (socklen_t) (offsetof(struct sockaddr_un, sun_path)
	    + strlen(sun.sun_path) + 1);
    if (sc__bind(fd, (struct sockaddr *) &sun, len) < 0) {
	if (errno != ENOENT && errno != ENOTDIR) {
	    sc__err_set(err, errno);
	    return -1;
	}
	/* No /proc: the textual path. */
	n = snprintf(sun.sun_path, sizeof(sun.sun_path), "%.*s%s/s",
		(int) dirLen, p->sun.sun_path, p->dname);
	if (n < 0 || (size_t) n >= sizeof(sun.sun_path)) {
	    err->code = ENAMETOOLONG;
	    snprintf(err->text, sizeof(err->text), "path too long to make "
		    "the socket out of sight (no /proc)");
	    return -1;
	}
	len = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + n + 1);
	if (sc__bind(fd, (struct sockaddr *) &sun, len) < 0) {
	    sc__err_set(err, errno);
	    return -1;
	}
    }
    if (fstatat(p->dfd, "s", st, AT_SYMLINK_NOFOLLOW) < 0
	    || !S_ISSOCK(st->st_mode)) {
	err->code = EPERM;
	snprintf(err->text, sizeof(err->text), "socket not made in the "
		"private directory");
	return -1;
    }
    return 0;
}

/* Move D/from to P/to, never replacing anything: renameat2 with
 * RENAME_NOREPLACE, or link + unlink where the file system doesn't know
 * the flag. 0 or -1 with errno (EEXIST: the name is taken). */
static int
PlaceNoReplace(struct place *p, const char *from, const char *to)
{
    if (sc__renameat2(p->dfd, from, p->pfd, to, RENAME_NOREPLACE) == 0) {
	return 0;
    }
    if (errno != EINVAL && errno != ENOSYS) {
	return -1;
    }
    if (sc__linkat(p->dfd, from, p->pfd, to, 0) < 0) {
	return -1;
    }
    /* If this fails, the file is also left in D, and D (not empty) is
     * not removed: untidy, never harmful. */
    sc__unlinkat(p->dfd, from, 0);
    return 0;
}

/*
 * The lock for removing a stale socket at P/base: an abstract socket name
 * made of P's device and inode and a hash of base. Waits 1 s at most.
 * Returns the descriptor that holds it, or -1 with err.
 */
static int
Lock(struct place *p, struct sc__err *err)
{
    struct sockaddr_un sun;
    struct stat st;
    struct timespec start, now;
    unsigned long long h = 1469598103934665603ULL;	/* FNV-1a */
    const char *c;
    socklen_t len;
    int fd, n;

    if (fstat(p->pfd, &st) < 0) {
	sc__err_set(err, errno);
	return -1;
    }
    for (c = p->base; *c != '\0'; c++) {
	h = (h ^ (unsigned char) *c) * 1099511628211ULL;
    }
    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    n = snprintf(sun.sun_path + 1, sizeof(sun.sun_path) - 1,
	    "sockchan-lock-%llx-%llx-%016llx", (unsigned long long) st.st_dev,
	    (unsigned long long) st.st_ino, h);
    len = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + 1 + n);
    fd = sc__socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
	sc__err_set(err, errno);
	return -1;
    }
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
	long ms;

	if (sc__bind(fd, (struct sockaddr *) &sun, len) == 0) {
	    return fd;
	}
	if (errno != EADDRINUSE) {
	    sc__err_set(err, errno);
	    break;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (now.tv_sec - start.tv_sec) * 1000
		+ (now.tv_nsec - start.tv_nsec) / 1000000;
	if (ms >= 1000) {
	    err->code = EAGAIN;
	    snprintf(err->text, sizeof(err->text), "stale socket \"%.60s\": "
		    "its lock is held by another process", p->sun.sun_path);
	    break;
	}
	/* A bounded pause; a signal only shortens it. */
	poll(NULL, 0, 10);
    }
    sc__close(fd);
    return -1;
}

/*
 * The name was taken when we tried to place our socket: look at what is
 * there. Returns 1 to try the placement again (the name is free now, or
 * was made free), or -1 with err (left untouched).
 */
static int
Existing(struct place *p, struct sc__err *err)
{
    struct stat st, moved;
    int lock, r = -1, probe;

    if (fstatat(p->pfd, p->base, &st, AT_SYMLINK_NOFOLLOW) < 0) {
	if (errno == ENOENT) {
	    return 1;
	}
	sc__err_set(err, errno);
	return -1;
    }
    if (!S_ISSOCK(st.st_mode)) {
	err->code = EEXIST;
	snprintf(err->text, sizeof(err->text), "\"%.80s\" exists and is %s",
		p->sun.sun_path, Kind(st.st_mode));
	return -1;
    }
    probe = Probe(&p->sun, p->sunLen);
    if (probe == PROBE_GONE) {
	return 1;
    }
    if (probe != PROBE_STALE) {
	sc__err_set(err, probe == PROBE_DENIED ? EACCES : EADDRINUSE);
	return -1;
    }

    /* Stale. Decide again under the lock, then remove it out of sight. */
    lock = Lock(p, err);
    if (lock < 0) {
	return -1;
    }
    if (fstatat(p->pfd, p->base, &st, AT_SYMLINK_NOFOLLOW) < 0) {
	if (errno == ENOENT) {
	    r = 1;
	} else {
	    sc__err_set(err, errno);
	}
	goto done;
    }
    if (!S_ISSOCK(st.st_mode)) {
	err->code = EEXIST;
	snprintf(err->text, sizeof(err->text), "\"%.80s\" exists and is %s",
		p->sun.sun_path, Kind(st.st_mode));
	goto done;
    }
    probe = Probe(&p->sun, p->sunLen);
    if (probe != PROBE_STALE) {
	if (probe == PROBE_GONE) {
	    r = 1;
	} else {
	    sc__err_set(err, probe == PROBE_DENIED ? EACCES : EADDRINUSE);
	}
	goto done;
    }
    if (sc__renameat(p->pfd, p->base, p->dfd, "stale") < 0) {
	if (errno == ENOENT) {
	    r = 1;
	} else {
	    sc__err_set(err, errno);
	}
	goto done;
    }
    if (fstatat(p->dfd, "stale", &moved, AT_SYMLINK_NOFOLLOW) == 0
	    && moved.st_dev == st.st_dev && moved.st_ino == st.st_ino) {
	sc__unlinkat(p->dfd, "stale", 0);
	r = 1;
	goto done;
    }
    /* Someone outside sockchan put another file there in between: it
     * goes back, never destroyed. */
    if (PlaceNoReplace(p, "stale", p->base) == 0) {
	r = 1;
	goto done;
    }
    p->keepD = 1;
    err->code = EEXIST;
    snprintf(err->text, sizeof(err->text), "a file that replaced the stale "
	    "socket could not be put back: it is in \"%.40s/stale\"",
	    p->dname);
  done:
    sc__close(lock);
    return r;
}

/*
 *----------------------------------------------------------------------
 *
 * sc__unix_listen --
 *
 *	See sock.h and the notes at the top of this file.
 *
 *----------------------------------------------------------------------
 */

int
sc__unix_listen(const char *name, size_t len, int mode, int backlog,
	int *fdPtr, dev_t *dev, ino_t *ino, struct sc__err *err)
{
    struct place p;
    struct stat st;
    int fd = -1, bound = 0, tries;

    *dev = 0;
    *ino = 0;
    memset(&p, 0, sizeof(p));
    p.pfd = p.dfd = -1;
    if (sc__unix_address(name, len, &p.sun, &p.sunLen, err) < 0) {
	return -1;
    }
    if (backlog < 0) {
	backlog = SOMAXCONN;
    }
    if (p.sun.sun_path[0] == '\0') {
	/* Abstract: no file, no mode; bind never replaces. */
	fd = sc__socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
		0);
	if (fd < 0 || sc__bind(fd, (struct sockaddr *) &p.sun, p.sunLen) < 0
		|| sc__listen(fd, backlog) < 0) {
	    sc__err_set(err, errno);
	    if (fd >= 0) {
		sc__close(fd);
	    }
	    return -1;
	}
	*fdPtr = fd;
	return 0;
    }

    if (MakePlace(&p, err) < 0) {
	goto fail;
    }
    fd = sc__socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
	sc__err_set(err, errno);
	goto fail;
    }
    if (BindInPlace(&p, fd, &st, err) < 0) {
	goto fail;
    }
    bound = 1;
    if (mode != 0 && sc__fchmodat(p.dfd, "s", (mode_t) mode, 0) < 0) {
	sc__err_set(err, errno);
	goto fail;
    }
    if (sc__listen(fd, backlog) < 0) {
	sc__err_set(err, errno);
	goto fail;
    }
    for (tries = 0; ; tries++) {
	if (PlaceNoReplace(&p, "s", p.base) == 0) {
	    break;
	}
	if (errno != EEXIST) {
	    sc__err_set(err, errno);
	    goto fail;
	}
	if (tries == 3) {
	    /* Taken again each time we made it free: someone else keeps
	     * putting sockets there. */
	    sc__err_set(err, EADDRINUSE);
	    goto fail;
	}
	if (Existing(&p, err) < 0) {
	    goto fail;
	}
    }
    *dev = st.st_dev;
    *ino = st.st_ino;
    *fdPtr = fd;
    FreePlace(&p);
    return 0;

  fail:
    if (bound) {
	sc__unlinkat(p.dfd, "s", 0);	/* Ours, in D. */
    }
    if (fd >= 0) {
	sc__close(fd);
    }
    FreePlace(&p);
    return -1;
}

void
sc__unix_unlink(const char *path, dev_t dev, ino_t ino)
{
    struct stat st;

    if (path[0] != '\0' && path[0] != '@' && lstat(path, &st) == 0
	    && S_ISSOCK(st.st_mode) && st.st_dev == dev && st.st_ino == ino) {
	unlink(path);
    }
}
