/*
 * errmsg.c --
 *
 *	sc_errno_msg: the words Tcl uses for errno values (Tcl_ErrnoMsg), so
 *	that a message from sockchan reads like one from Tcl. The texts are
 *	spelled as Tcl spells them, its two typos included ("proocol",
 *	"suppored"), so that a message compares equal to Tcl's.
 */

#include "sockchan.h"

#include <errno.h>
#include <stddef.h>

struct errText {
    int err;
    const char *text;
};

static const struct errText errTexts[] = {
    {EACCES, "permission denied"},
    {EADDRINUSE, "address already in use"},
    {EADDRNOTAVAIL, "cannot assign requested address"},
    {EAFNOSUPPORT, "address family not supported by protocol family"},
    {EAGAIN, "resource temporarily unavailable"},
    {EALREADY, "operation already in progress"},
    {EBADF, "bad file number"},
    {EBUSY, "file busy"},
    {ECONNABORTED, "software caused connection abort"},
    {ECONNREFUSED, "connection refused"},
    {ECONNRESET, "connection reset by peer"},
    {EDESTADDRREQ, "destination address required"},
    {EEXIST, "file already exists"},
    {EFAULT, "bad address in system call argument"},
    {EFBIG, "file too large"},
    {EHOSTDOWN, "host is down"},
    {EHOSTUNREACH, "host is unreachable"},
    {EINPROGRESS, "operation now in progress"},
    {EINTR, "interrupted system call"},
    {EINVAL, "invalid argument"},
    {EIO, "I/O error"},
    {EISCONN, "socket is already connected"},
    {EISDIR, "illegal operation on a directory"},
    {ELOOP, "too many levels of symbolic links"},
    {EMFILE, "too many open files"},
    {EMSGSIZE, "message too long"},
    {ENAMETOOLONG, "file name too long"},
    {ENETDOWN, "network is down"},
    {ENETRESET, "network dropped connection on reset"},
    {ENETUNREACH, "network is unreachable"},
    {ENFILE, "file table overflow"},
    {ENOBUFS, "no buffer space available"},
    {ENODEV, "no such device"},
    {ENOENT, "no such file or directory"},
    {ENOMEM, "not enough memory"},
    {ENOPROTOOPT, "bad proocol option"},
    {ENOSPC, "no space left on device"},
    {ENOSYS, "function not implemented"},
    {ENOTCONN, "socket is not connected"},
    {ENOTDIR, "not a directory"},
    {ENOTSOCK, "socket operation on non-socket"},
    {ENOTSUP, "operation not supported"},
    {ENOTTY, "inappropriate device for ioctl"},
    {ENXIO, "no such device or address"},
    {EOVERFLOW, "file too big"},
    {EPERM, "not owner"},
    {EPIPE, "broken pipe"},
    {EPROTONOSUPPORT, "protocol not suppored"},
    {EPROTOTYPE, "protocol wrong type for socket"},
    {ERANGE, "math result unrepresentable"},
    {EROFS, "read-only file system"},
    {ESHUTDOWN, "can't send after socket shutdown"},
    {ESPIPE, "invalid seek"},
    {ESRCH, "no such process"},
    {ETIMEDOUT, "connection timed out"},
    {EXDEV, "cross-domain link"},
};

const char *
sc_errno_msg(int err)
{
    size_t i;

    for (i = 0; i < sizeof(errTexts) / sizeof(errTexts[0]); i++) {
	if (errTexts[i].err == err) {
	    return errTexts[i].text;
	}
    }
    return err == 0 ? "no error" : "unknown POSIX error";
}
