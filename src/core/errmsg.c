/*
 * errmsg.c --
 *
 *	sc_errno_msg: the words Tcl uses for errno values (Tcl_ErrnoMsg), so
 *	that a message from sockchan reads like one from Tcl. The texts are
 *	those of Tcl 8.6.13, checked against Debian's libtcl8.6 errno by
 *	errno (tests/test_errmsg.c); where Tcl has no text of its own, it
 *	uses strerror(3), and so does this.
 */

#include "sockchan.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

struct errText {
    int err;
    const char *text;
};

static const struct errText errTexts[] = {
#ifdef EPERM
    {EPERM, "not owner"},
#endif
#ifdef ENOENT
    {ENOENT, "no such file or directory"},
#endif
#ifdef ESRCH
    {ESRCH, "no such process"},
#endif
#ifdef EINTR
    {EINTR, "interrupted system call"},
#endif
#ifdef EIO
    {EIO, "I/O error"},
#endif
#ifdef ENXIO
    {ENXIO, "no such device or address"},
#endif
#ifdef E2BIG
    {E2BIG, "argument list too long"},
#endif
#ifdef ENOEXEC
    {ENOEXEC, "exec format error"},
#endif
#ifdef EBADF
    {EBADF, "bad file number"},
#endif
#ifdef ECHILD
    {ECHILD, "no children"},
#endif
#ifdef EAGAIN
    {EAGAIN, "resource temporarily unavailable"},
#endif
#ifdef ENOMEM
    {ENOMEM, "not enough memory"},
#endif
#ifdef EACCES
    {EACCES, "permission denied"},
#endif
#ifdef EFAULT
    {EFAULT, "bad address in system call argument"},
#endif
#ifdef ENOTBLK
    {ENOTBLK, "block device required"},
#endif
#ifdef EBUSY
    {EBUSY, "file busy"},
#endif
#ifdef EEXIST
    {EEXIST, "file already exists"},
#endif
#ifdef EXDEV
    {EXDEV, "cross-domain link"},
#endif
#ifdef ENODEV
    {ENODEV, "no such device"},
#endif
#ifdef ENOTDIR
    {ENOTDIR, "not a directory"},
#endif
#ifdef EISDIR
    {EISDIR, "illegal operation on a directory"},
#endif
#ifdef EINVAL
    {EINVAL, "invalid argument"},
#endif
#ifdef ENFILE
    {ENFILE, "file table overflow"},
#endif
#ifdef EMFILE
    {EMFILE, "too many open files"},
#endif
#ifdef ENOTTY
    {ENOTTY, "inappropriate device for ioctl"},
#endif
#ifdef ETXTBSY
    {ETXTBSY, "text file or pseudo-device busy"},
#endif
#ifdef EFBIG
    {EFBIG, "file too large"},
#endif
#ifdef ENOSPC
    {ENOSPC, "no space left on device"},
#endif
#ifdef ESPIPE
    {ESPIPE, "invalid seek"},
#endif
#ifdef EROFS
    {EROFS, "read-only file system"},
#endif
#ifdef EMLINK
    {EMLINK, "too many links"},
#endif
#ifdef EPIPE
    {EPIPE, "broken pipe"},
#endif
#ifdef EDOM
    {EDOM, "math argument out of range"},
#endif
#ifdef ERANGE
    {ERANGE, "math result unrepresentable"},
#endif
#ifdef EDEADLK
    {EDEADLK, "resource deadlock avoided"},
#endif
#ifdef ENAMETOOLONG
    {ENAMETOOLONG, "file name too long"},
#endif
#ifdef ENOLCK
    {ENOLCK, "no locks available"},
#endif
#ifdef ENOSYS
    {ENOSYS, "function not implemented"},
#endif
#ifdef ENOTEMPTY
    {ENOTEMPTY, "directory not empty"},
#endif
#ifdef ELOOP
    {ELOOP, "too many levels of symbolic links"},
#endif
#ifdef ENOMSG
    {ENOMSG, "no message of desired type"},
#endif
#ifdef EIDRM
    {EIDRM, "identifier removed"},
#endif
#ifdef ECHRNG
    {ECHRNG, "channel number out of range"},
#endif
#ifdef EL2NSYNC
    {EL2NSYNC, "level 2 not synchronized"},
#endif
#ifdef EL3HLT
    {EL3HLT, "level 3 halted"},
#endif
#ifdef EL3RST
    {EL3RST, "level 3 reset"},
#endif
#ifdef ELNRNG
    {ELNRNG, "link number out of range"},
#endif
#ifdef EUNATCH
    {EUNATCH, "protocol driver not attached"},
#endif
#ifdef ENOCSI
    {ENOCSI, "no CSI structure available"},
#endif
#ifdef EL2HLT
    {EL2HLT, "level 2 halted"},
#endif
#ifdef EBADE
    {EBADE, "bad exchange descriptor"},
#endif
#ifdef EBADR
    {EBADR, "bad request descriptor"},
#endif
#ifdef EXFULL
    {EXFULL, "message tables full"},
#endif
#ifdef ENOANO
    {ENOANO, "anode table overflow"},
#endif
#ifdef EBADRQC
    {EBADRQC, "bad request code"},
#endif
#ifdef EBADSLT
    {EBADSLT, "invalid slot"},
#endif
#ifdef EBFONT
    {EBFONT, "bad font file format"},
#endif
#ifdef ENOSTR
    {ENOSTR, "not a stream device"},
#endif
#ifdef ENODATA
    {ENODATA, "no data available"},
#endif
#ifdef ETIME
    {ETIME, "timer expired"},
#endif
#ifdef ENOSR
    {ENOSR, "out of stream resources"},
#endif
#ifdef ENONET
    {ENONET, "machine is not on the network"},
#endif
#ifdef ENOPKG
    {ENOPKG, "package not installed"},
#endif
#ifdef EREMOTE
    {EREMOTE, "pathname hit remote file system"},
#endif
#ifdef ENOLINK
    {ENOLINK, "link has been severed"},
#endif
#ifdef EADV
    {EADV, "advertise error"},
#endif
#ifdef ESRMNT
    {ESRMNT, "srmount error"},
#endif
#ifdef ECOMM
    {ECOMM, "communication error on send"},
#endif
#ifdef EPROTO
    {EPROTO, "protocol error"},
#endif
#ifdef EMULTIHOP
    {EMULTIHOP, "multihop attempted"},
#endif
#ifdef EDOTDOT
    {EDOTDOT, "cross mount point"},
#endif
#ifdef EBADMSG
    {EBADMSG, "not a data message"},
#endif
#ifdef EOVERFLOW
    {EOVERFLOW, "file too big"},
#endif
#ifdef ENOTUNIQ
    {ENOTUNIQ, "name not unique on network"},
#endif
#ifdef EBADFD
    {EBADFD, "file descriptor in bad state"},
#endif
#ifdef EREMCHG
    {EREMCHG, "remote address changed"},
#endif
#ifdef ELIBACC
    {ELIBACC, "cannot access a needed shared library"},
#endif
#ifdef ELIBBAD
    {ELIBBAD, "accessing a corrupted shared library"},
#endif
#ifdef ELIBMAX
    {ELIBMAX, "attempting to link in more shared libraries than system limit"},
#endif
#ifdef ELIBEXEC
    {ELIBEXEC, "cannot exec a shared library directly"},
#endif
#ifdef EILSEQ
    {EILSEQ, "illegal byte sequence"},
#endif
#ifdef EUSERS
    {EUSERS, "too many users"},
#endif
#ifdef ENOTSOCK
    {ENOTSOCK, "socket operation on non-socket"},
#endif
#ifdef EDESTADDRREQ
    {EDESTADDRREQ, "destination address required"},
#endif
#ifdef EMSGSIZE
    {EMSGSIZE, "message too long"},
#endif
#ifdef EPROTOTYPE
    {EPROTOTYPE, "protocol wrong type for socket"},
#endif
#ifdef ENOPROTOOPT
    {ENOPROTOOPT, "bad protocol option"},
#endif
#ifdef EPROTONOSUPPORT
    {EPROTONOSUPPORT, "protocol not supported"},
#endif
#ifdef ESOCKTNOSUPPORT
    {ESOCKTNOSUPPORT, "socket type not supported"},
#endif
#ifdef ENOTSUP
    {ENOTSUP, "operation not supported"},
#endif
#ifdef EPFNOSUPPORT
    {EPFNOSUPPORT, "protocol family not supported"},
#endif
#ifdef EAFNOSUPPORT
    {EAFNOSUPPORT, "address family not supported by protocol"},
#endif
#ifdef EADDRINUSE
    {EADDRINUSE, "address already in use"},
#endif
#ifdef EADDRNOTAVAIL
    {EADDRNOTAVAIL, "cannot assign requested address"},
#endif
#ifdef ENETDOWN
    {ENETDOWN, "network is down"},
#endif
#ifdef ENETUNREACH
    {ENETUNREACH, "network is unreachable"},
#endif
#ifdef ENETRESET
    {ENETRESET, "network dropped connection on reset"},
#endif
#ifdef ECONNABORTED
    {ECONNABORTED, "software caused connection abort"},
#endif
#ifdef ECONNRESET
    {ECONNRESET, "connection reset by peer"},
#endif
#ifdef ENOBUFS
    {ENOBUFS, "no buffer space available"},
#endif
#ifdef EISCONN
    {EISCONN, "socket is already connected"},
#endif
#ifdef ENOTCONN
    {ENOTCONN, "socket is not connected"},
#endif
#ifdef ESHUTDOWN
    {ESHUTDOWN, "cannot send after socket shutdown"},
#endif
#ifdef ETOOMANYREFS
    {ETOOMANYREFS, "too many references: cannot splice"},
#endif
#ifdef ETIMEDOUT
    {ETIMEDOUT, "connection timed out"},
#endif
#ifdef ECONNREFUSED
    {ECONNREFUSED, "connection refused"},
#endif
#ifdef EHOSTDOWN
    {EHOSTDOWN, "host is down"},
#endif
#ifdef EHOSTUNREACH
    {EHOSTUNREACH, "host is unreachable"},
#endif
#ifdef EALREADY
    {EALREADY, "operation already in progress"},
#endif
#ifdef EINPROGRESS
    {EINPROGRESS, "operation now in progress"},
#endif
#ifdef ESTALE
    {ESTALE, "stale remote file handle"},
#endif
#ifdef EUCLEAN
    {EUCLEAN, "structure needs cleaning"},
#endif
#ifdef ENOTNAM
    {ENOTNAM, "not a name file"},
#endif
#ifdef ENAVAIL
    {ENAVAIL, "not available"},
#endif
#ifdef EREMOTEIO
    {EREMOTEIO, "remote i/o error"},
#endif
#ifdef EDQUOT
    {EDQUOT, "disk quota exceeded"},
#endif
#ifdef ECANCELED
    {ECANCELED, "operation canceled"},
#endif
#ifdef EOWNERDEAD
    {EOWNERDEAD, "owner died"},
#endif
#ifdef ENOTRECOVERABLE
    {ENOTRECOVERABLE, "state not recoverable"},
#endif
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
    if (err == 0) {
	return "no error";
    }
    if (err < 0 || err > 4095) {
	return "unknown POSIX error";
    }
    return strerror(err);
}
