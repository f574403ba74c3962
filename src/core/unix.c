/*
 * unix.c --
 *
 *	Unix-domain stream sockets without a loop: names (paths, abstract
 *	names), listening safely on a path that may already exist, and
 *	removing only what we created. See sock.h.
 *
 *	The rules for an existing path (the original unix_sockets extension
 *	unlinks whatever is there, and so destroys a regular file):
 *	  - nothing there: bind;
 *	  - a socket nobody answers on (connect is refused): stale, remove
 *	    it, bind;
 *	  - a socket with a live listener: "address already in use";
 *	  - anything else: an error that names it; it is left untouched.
 *	bind() itself never replaces a file, so the only destructive step is
 *	the removal of a stale socket. Two sockchan processes racing for one
 *	path take an exclusive flock on the directory around
 *	check-remove-bind-listen, so the second sees the first's live socket;
 *	and the stale file is checked again (same device and inode) just
 *	before it is removed.
 *
 *	The mode: bind() creates the file with the umask's permissions, but
 *	nobody can connect to a socket before listen(). So the mode is set
 *	with chmod between bind and listen: there is no moment when the
 *	socket accepts connections with the wrong mode, and no process-wide
 *	umask is touched (other threads would race with it).
 */

#include "core/sock.h"
#include "core/sys.h"
#include "sockchan.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
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
    if (len > max) {
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

void
sc__unix_name(const struct sockaddr_un *sun, socklen_t len, char *buf,
	size_t size)
{
    size_t n;

    if (len <= offsetof(struct sockaddr_un, sun_path)) {
	snprintf(buf, size, "%s", "");	/* An unnamed socket. */
	return;
    }
    n = len - offsetof(struct sockaddr_un, sun_path);
    if (sun->sun_path[0] == '\0') {
	snprintf(buf, size, "@%.*s", (int) (n - 1), sun->sun_path + 1);
    } else {
	snprintf(buf, size, "%.*s", (int) strnlen(sun->sun_path, n),
		sun->sun_path);
    }
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

/* Does someone answer on the socket at sun? 1 yes, 0 no (stale). */
static int
Alive(const struct sockaddr_un *sun, socklen_t len)
{
    int fd = sc__socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0), alive = 1;

    if (fd < 0) {
	return 1;		/* Can't tell: do not remove anything. */
    }
    if (sc__connect(fd, (const struct sockaddr *) sun, len) < 0
	    && (errno == ECONNREFUSED || errno == ENOENT)) {
	alive = 0;
    }
    sc__close(fd);
    return alive;
}

/* Lock the directory of path (serialises sockchan's listeners on it). */
static int
LockDir(const char *path)
{
    char copy[sizeof(((struct sockaddr_un *) 0)->sun_path)];
    int dfd;

    snprintf(copy, sizeof(copy), "%s", path);
    dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
	return -1;
    }
    while (flock(dfd, LOCK_EX) < 0) {
	if (errno != EINTR) {
	    close(dfd);
	    return -1;
	}
    }
    return dfd;
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
    struct sockaddr_un sun;
    socklen_t sunLen;
    struct stat st;
    int fd = -1, dfd = -1, abstract;

    *dev = 0;
    *ino = 0;
    if (sc__unix_address(name, len, &sun, &sunLen, err) < 0) {
	return -1;
    }
    abstract = sun.sun_path[0] == '\0';
    if (!abstract) {
	dfd = LockDir(sun.sun_path);
	if (dfd < 0) {
	    sc__err_set(err, errno);
	    return -1;
	}
	if (lstat(sun.sun_path, &st) == 0) {
	    if (!S_ISSOCK(st.st_mode)) {
		err->code = EEXIST;
		snprintf(err->text, sizeof(err->text), "\"%.80s\" exists and "
			"is %s", sun.sun_path, Kind(st.st_mode));
		goto fail;
	    }
	    if (Alive(&sun, sunLen)) {
		sc__err_set(err, EADDRINUSE);
		goto fail;
	    }
	    {
		/* Stale: remove it, if it is still the file we probed. */
		struct stat again;

		if (lstat(sun.sun_path, &again) == 0
			&& again.st_dev == st.st_dev
			&& again.st_ino == st.st_ino
			&& unlink(sun.sun_path) < 0 && errno != ENOENT) {
		    sc__err_set(err, errno);
		    goto fail;
		}
	    }
	} else if (errno != ENOENT) {
	    sc__err_set(err, errno);
	    goto fail;
	}
    }
    fd = sc__socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
	sc__err_set(err, errno);
	goto fail;
    }
    if (sc__bind(fd, (struct sockaddr *) &sun, sunLen) < 0) {
	sc__err_set(err, errno);
	goto fail;
    }
    if (!abstract) {
	if (lstat(sun.sun_path, &st) < 0) {
	    /* Which file we made is unknown: leave it, rather than risk
	     * removing one that isn't ours. */
	    sc__err_set(err, errno);
	    goto fail;
	}
	if (mode != 0 && chmod(sun.sun_path, (mode_t) mode) < 0) {
	    sc__err_set(err, errno);
	    goto failBound;
	}
    }
    if (sc__listen(fd, backlog < 0 ? SOMAXCONN : backlog) < 0) {
	sc__err_set(err, errno);
	goto failBound;
    }
    if (!abstract) {
	*dev = st.st_dev;
	*ino = st.st_ino;
	close(dfd);		/* Releases the lock. */
    }
    *fdPtr = fd;
    return 0;

  failBound:
    if (!abstract) {
	sc__unix_unlink(sun.sun_path, st.st_dev, st.st_ino);
    }
  fail:
    if (fd >= 0) {
	sc__close(fd);
    }
    if (dfd >= 0) {
	close(dfd);
    }
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
