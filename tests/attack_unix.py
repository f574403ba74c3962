# attack_unix.py -- the attacker of tests/attack_unix.sh, run as nobody.
# Usage: python3 attack_unix.py MODE ARGS...
#   swap DIR NAME TARGET STOP   replace DIR/NAME by a symbolic link to TARGET
#                               (rename over it, or unlink and link), and
#                               swap sockchan's private directories in DIR
#                               for links, until the file STOP exists
#   connect PATH STOP           connect to PATH (and ask for an echo) until
#                               STOP exists
#   flock DIR READY             hold a shared flock on DIR
#   lock DIR NAME READY         hold the abstract lock sockchan takes to
#                               remove a stale socket at DIR/NAME
# swap and connect print their counts on their last line; flock and lock
# write READY once they hold, then wait to be killed.
import os, socket, sys, time

DEADLINE = time.monotonic() + 300	# never outlive a lost parent for long


def stopped(stop):
    return os.path.exists(stop) or time.monotonic() > DEADLINE


def swap(d, name, target, stop):
    import stat
    path = os.path.join(d, name)
    tmp = os.path.join(d, ".l%d" % os.getpid())
    iters = hits = dirs = 0
    while not stopped(stop):
        iters += 1
        try:
            st = os.lstat(path)
        except OSError:
            st = None
        try:
            if st is not None and stat.S_ISSOCK(st.st_mode):
                # A listener's fresh socket: a link to the target in its
                # place, before the listener changes its mode.
                hits += 1
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
                os.symlink(target, tmp)
                os.rename(tmp, path)
            elif st is not None and stat.S_ISLNK(st.st_mode) and iters % 4 == 0:
                os.unlink(path)			# make room for the next one
            elif st is None and iters % 64 == 0:
                os.symlink(target, path)	# or be there first, now and then
        except OSError:
            pass
        if iters % 16 == 0:
            # sockchan's private directories: move them away, put links to
            # the target's directory in their place.
            try:
                for e in os.listdir(d):
                    p = os.path.join(d, e)
                    if (e.startswith(".sockchan-") and len(e) == 22
                            and not os.path.islink(p)):
                        try:
                            os.rename(p, os.path.join(d, ".moved-%d" % iters))
                            os.symlink(os.path.dirname(target), p)
                            dirs += 1
                        except OSError:
                            pass
            except OSError:
                pass
    print("swap iterations %d sockets-seen %d dirs-swapped %d" % (iters, hits, dirs))


def connect(path, stop):
    tries = conns = echoes = 0
    while not stopped(stop):
        tries += 1
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
            conns += 1
            s.settimeout(0.2)
            s.sendall(b"x\n")
            if s.recv(16):
                echoes += 1
        except OSError:
            pass
        finally:
            s.close()
    print("connect tries %d connects %d echoes %d" % (tries, conns, echoes))


def hold(ready):
    with open(ready, "w") as f:
        f.write("held\n")
    while time.monotonic() < DEADLINE:
        time.sleep(1)


def flock(d, ready):
    import fcntl
    fd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
    fcntl.flock(fd, fcntl.LOCK_SH)
    hold(ready)


def lock(d, name, ready):
    st = os.stat(d)
    h = 1469598103934665603
    for b in name.encode():
        h = ((h ^ b) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(b"\0sockchan-lock-%x-%x-%016x" % (st.st_dev, st.st_ino, h))
    hold(ready)


mode = sys.argv[1]
if mode == "swap":
    swap(*sys.argv[2:6])
elif mode == "connect":
    connect(*sys.argv[2:4])
elif mode == "flock":
    flock(*sys.argv[2:4])
elif mode == "lock":
    lock(*sys.argv[2:5])
else:
    sys.exit("unknown mode " + mode)
