"""The pre-forked worker: runs inside bubblewrap, preloads modules, forks one child per execution.

Executed as ``python -I -c <source> <json config>``; it imports only the standard library,
so llmrl need not be importable inside the sandbox.

At start the worker mounts its own /proc, drops to an unprivileged uid (when started as
root: that also makes RLIMIT_NPROC count), enters a user namespace of its own, imports the
preload modules and compiles the seccomp filter once. For each execution it clone()s a child
B straight into fresh pid, mount, IPC and UTS namespaces, one execution ahead: B is pid 1
there, mounts a fresh tmpfs on /tmp (its working dir), /dev/shm and /proc, sets the rlimits
that do not depend on the request, drops every capability, installs the seccomp filter and
only then waits for its request - so all of that is off the request's critical path. With the
request it writes the files, sets the CPU and memory limits and runs the code in-process (no
interpreter start-up). When B exits the kernel kills everything left in its pid namespace, so
daemons and fork bombs die with it. The worker reads B's output with a cap while B runs,
kills B at the wall-clock deadline, and answers the host with one framed reply.

In ``rlimits-only`` mode there are no namespaces: B is a plain fork in a new session with
a host temp dir, rlimits and seccomp; daemons that leave its session can survive.

Protocol (fds 3 in / 4 out): ``!I`` length + JSON. The reply JSON is followed by the raw
stdout and stderr bytes whose lengths it names.
"""

import ctypes
import gc
import json
import math
import os
import resource
import select
import signal
import struct
import sys
import time
import traceback

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWCGROUP = 0x10000000, 0x20000000, 0x40000000, 0x02000000
MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REC, MS_PRIVATE = 2, 4, 8, 0x4000, 1 << 18
MS_RDONLY, MS_REMOUNT, MS_BIND = 1, 32, 4096
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS, PR_SET_CHILD_SUBREAPER = 1, 38, 36
INNER_ID = 1000  # the uid/gid the code sees inside its user namespace
EXIT_SETUP_FAILED = 70

libc = ctypes.CDLL(None, use_errno=True)
pylibc = ctypes.PyDLL(None, use_errno=True)  # keeps the GIL across clone(), so the child owns it too
pyapi = ctypes.pythonapi
SYS_CLONE = {"x86_64": 56, "aarch64": 220}.get(os.uname().machine)
CFG: dict = {}
SECCOMP = None  # the compiled BPF program (bytes, struct sock_fprog), built once per worker


def _check(ret: int, what: str) -> int:
    if ret < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")
    return ret


def mount(source: str, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    _check(libc.mount(source.encode(), target.encode(), fstype.encode() if fstype else None, ctypes.c_ulong(flags),
                      data.encode() if data else None), f"mount {fstype or source} on {target}")


# --- seccomp -------------------------------------------------------------------------------

DENY = [
    "unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "ptrace", "process_vm_readv",
    "process_vm_writev", "bpf", "perf_event_open", "userfaultfd", "keyctl", "add_key", "request_key",
    "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module", "reboot", "swapon",
    "swapoff", "acct", "open_by_handle_at", "name_to_handle_at", "iopl", "ioperm", "io_uring_setup",
    "io_uring_enter", "io_uring_register", "fanotify_init", "quotactl", "syslog", "settimeofday",
    "clock_settime", "clock_adjtime", "adjtimex", "mount_setattr", "fsopen", "fsmount", "fsconfig", "fspick",
    "move_mount", "open_tree", "lookup_dcookie", "uselib", "vhangup", "sethostname", "setdomainname",
]
SCMP_ACT_ALLOW = 0x7FFF0000
SCMP_CMP_NE, SCMP_CMP_MASKED_EQ = 1, 7


def SCMP_ACT_ERRNO(e: int) -> int:
    return 0x00050000 | (e & 0xFFFF)


class ScmpArgCmp(ctypes.Structure):
    _fields_ = [("arg", ctypes.c_uint), ("op", ctypes.c_int), ("datum_a", ctypes.c_uint64), ("datum_b", ctypes.c_uint64)]


def build_seccomp():
    """A deny-list filter: no new namespaces, mounts, tracing, kernel modules, io_uring; sockets only AF_UNIX."""
    lib = ctypes.CDLL("libseccomp.so.2", use_errno=True)
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_rule_add_array.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint, ctypes.c_void_p]
    lib.seccomp_load.argtypes = [ctypes.c_void_p]
    lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    ctx = lib.seccomp_init(SCMP_ACT_ALLOW)
    if not ctx:
        raise OSError("seccomp_init failed")
    eperm = SCMP_ACT_ERRNO(1)

    def rule(action: int, name: str, *cmps: ScmpArgCmp) -> None:
        nr = lib.seccomp_syscall_resolve_name(name.encode())
        if nr < 0:  # not on this architecture
            return
        arr = (ScmpArgCmp * len(cmps))(*cmps) if cmps else None
        _check(lib.seccomp_rule_add_array(ctx, action, nr, len(cmps), arr), f"seccomp rule {name}")

    for name in DENY:
        rule(eperm, name)
    rule(SCMP_ACT_ERRNO(97), "socket", ScmpArgCmp(0, SCMP_CMP_NE, 1, 0))  # EAFNOSUPPORT unless AF_UNIX
    rule(SCMP_ACT_ERRNO(38), "clone3")  # ENOSYS: glibc falls back to clone(), whose flags we can inspect
    for flag in (CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWCGROUP):
        rule(eperm, "clone", ScmpArgCmp(0, SCMP_CMP_MASKED_EQ, flag, flag))
    # Compile once; each execution then installs the ready BPF with one prctl (seccomp_load costs ~10 ms).
    r, w = os.pipe()
    _check(lib.seccomp_export_bpf(ctypes.c_void_p(ctx), w), "seccomp_export_bpf")
    os.close(w)
    bpf = b""
    while chunk := os.read(r, 65536):
        bpf += chunk
    os.close(r)
    lib.seccomp_release(ctypes.c_void_p(ctx))
    buf = ctypes.create_string_buffer(bpf, len(bpf))

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    return buf, SockFprog(len(bpf) // 8, ctypes.addressof(buf))


# --- the child that runs the code ----------------------------------------------------------

def drop_capabilities() -> None:
    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]

    # The bounding set can stay: with no_new_privs set next, execve cannot grant capabilities back.
    _check(libc.capset(ctypes.byref(Header(0x20080522, 0)), ctypes.byref((Data * 2)())), "capset")


def safe_path(rel: str) -> str:
    norm = os.path.normpath(rel)
    if os.path.isabs(norm) or norm == "." or norm.startswith(".."):
        raise ValueError(f"file name {rel!r} must be a relative path inside the working directory")
    return norm


def child_b(req_r: int, out_w: int, err_w: int, workdir: str) -> None:
    """pid 1 of a fresh namespace (or a new session in rlimits-only mode): lock down, wait for the code, run it.

    Everything that does not depend on the request happens before it arrives, off its critical path.
    """
    os.setsid()
    if CFG["namespaces"]:
        mount("none", "/", None, MS_REC | MS_PRIVATE)
        mount("tmpfs", workdir, "tmpfs", MS_NOSUID | MS_NODEV, f"size={CFG['tmp_size_mb']}m,mode=0777")
        for src, dst in CFG.get("rebind", ()):  # the interpreter or venv lives under /tmp: show it again
            os.makedirs(dst, mode=0o755, exist_ok=True)
            mount(src, dst, None, MS_BIND | MS_REC)
            held = os.statvfs(src).f_flag  # a remount must keep the flags the kernel has locked
            if not os.statvfs(dst).f_flag & os.ST_RDONLY:
                keep = (MS_NOSUID if held & os.ST_NOSUID else 0) | (MS_NODEV if held & os.ST_NODEV else 0) | (
                    MS_NOEXEC if held & os.ST_NOEXEC else 0)
                mount("none", dst, None, MS_REMOUNT | MS_BIND | MS_RDONLY | keep)
        if os.path.isdir("/dev/shm"):  # a private one too (multiprocessing needs it); bwrap's /dev is read-only
            mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, f"size={CFG['tmp_size_mb']}m,mode=1777")
        try:
            mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
        except PermissionError:
            # Unprivileged bwrap covers parts of its /proc, and the kernel then refuses a new proc in a user
            # namespace ("too revealing"). Hide the worker's /proc instead: the code sees an empty one.
            mount("tmpfs", "/proc", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | 1, "size=4k,mode=0555")  # 1 = RDONLY
    os.chdir(workdir)
    resource.setrlimit(resource.RLIMIT_NPROC, (CFG["max_processes"], CFG["max_processes"]))
    resource.setrlimit(resource.RLIMIT_FSIZE, (CFG["max_file_bytes"], CFG["max_file_bytes"]))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    null = os.open("/dev/null", os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(out_w, 1)
    os.dup2(err_w, 2)
    os.dup2(req_r, 3)
    os.closerange(4, 65536)
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
    if CFG["namespaces"]:
        drop_capabilities()
    _check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    if SECCOMP is not None:
        _check(libc.prctl(22, 2, ctypes.byref(SECCOMP[1]), 0, 0), "seccomp filter")  # PR_SET_SECCOMP, MODE_FILTER
    os.environ.clear()
    os.environ.update(CFG["env"])
    import builtins
    import io

    sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8")
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8", errors="backslashreplace")
    sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding="utf-8", errors="backslashreplace",
                                  line_buffering=True)
    sys.argv = ["-c"]
    sys.path = [p for p in sys.path if p]  # no cwd on the path: files the code writes are not importable by accident
    req = recv(3)  # locked down and waiting
    os.close(3)
    if req is None:
        os._exit(0)
    for rel, b64 in (req.get("files") or {}).items():
        import base64

        path = os.path.join(workdir, safe_path(rel))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as fh:
            fh.write(base64.b64decode(b64))
    cpu = max(1, math.ceil(float(req["timeout_s"]))) + 1
    mem = CFG["base_vm_bytes"] + int(req["memory_mb"]) * (1 << 20)
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    code = 0
    try:
        compiled = compile(req["code"], "<code>", "exec")
        exec(compiled, {"__name__": "__main__", "__builtins__": builtins})
    except SystemExit as exc:
        if exc.code is None:
            code = 0
        elif isinstance(exc.code, int):
            code = exc.code & 0xFF
        else:
            print(exc.code, file=sys.stderr)
            code = 1
    except BaseException as exc:  # noqa: BLE001 - the code's own exception: report it like python would
        tb = exc.__traceback__.tb_next if exc.__traceback__ is not None else None  # hide this wrapper's frame
        traceback.print_exception(type(exc), exc, tb)
        code = 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:  # noqa: BLE001 - output limit hit or pipe closed
        pass
    os._exit(code)


class Child:
    """A forked child set up and waiting for its one request."""

    def __init__(self) -> None:
        self.workdir = "/tmp"
        if not CFG["namespaces"]:
            import tempfile

            self.workdir = tempfile.mkdtemp(prefix="llmrl-run-", dir=CFG["host_tmp"])
        self.out_r, out_w = os.pipe()
        self.err_r, err_w = os.pipe()
        req_r, self.req_w = os.pipe()
        self.pid = self._fork(req_r, out_w, err_w)
        for fd in (out_w, err_w, req_r):
            os.close(fd)
        for fd in (self.out_r, self.err_r):
            os.set_blocking(fd, False)
        self.pidfd = os.pidfd_open(self.pid)

    def _fork(self, req_r: int, out_w: int, err_w: int) -> int:
        """With namespaces, one raw clone() straight into fresh pid, mount, IPC and UTS namespaces."""
        if CFG["namespaces"]:
            flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | signal.SIGCHLD
            pyapi.PyOS_BeforeFork()
            pid = pylibc.syscall(SYS_CLONE, ctypes.c_ulong(flags), None, None, None, None)
            errno = ctypes.get_errno()
            if pid == 0:
                pyapi.PyOS_AfterFork_Child()
            else:
                pyapi.PyOS_AfterFork_Parent()
            if pid < 0:
                raise OSError(errno, f"clone: {os.strerror(errno)}")
        else:
            pid = os.fork()
        if pid == 0:
            try:
                for fd in (self.out_r, self.err_r, self.req_w, 3, 4):
                    os.close(fd)
                child_b(req_r, out_w, err_w, self.workdir)
            except BaseException:  # noqa: BLE001
                message = ("sandbox setup failed: " + traceback.format_exc()).encode()
                try:
                    os.write(err_w, message)
                except OSError:  # err_w was already moved to fd 2
                    os.write(2, message)
                finally:
                    os._exit(EXIT_SETUP_FAILED)
        return pid

    def discard(self) -> None:
        kill_tree(self.pid)
        os.waitpid(self.pid, 0)
        self.close_fds()

    def close_fds(self) -> None:
        for fd in (self.out_r, self.err_r, self.pidfd, self.req_w):
            try:
                os.close(fd)
            except OSError:
                pass
        if not CFG["namespaces"]:
            import shutil

            shutil.rmtree(self.workdir, ignore_errors=True)


NEXT: Child | None = None


# --- the worker loop -----------------------------------------------------------------------

def execute(req: dict) -> tuple[dict, bytes, bytes]:
    global NEXT
    start = time.monotonic()
    timeout = float(req["timeout_s"])
    limit = int(CFG["output_limit_bytes"])
    child, NEXT = NEXT, None
    if child is None:
        child = Child()
    try:
        send(child.req_w, req)
    except OSError:  # the waiting child died (killed from outside?): fork a fresh one
        child.discard()
        child = Child()
        send(child.req_w, req)
    b, out_r, err_r, pidfd = child.pid, child.out_r, child.err_r, child.pidfd
    bufs = {out_r: bytearray(), err_r: bytearray()}
    b_status = None
    status, truncated = None, False
    open_fds = {out_r, err_r}
    deadline = start + timeout
    memory_cap = int(req["memory_mb"]) << 20
    next_memory_check = start + MEMORY_CHECK_S
    while True:
        now = time.monotonic()
        if b_status is None and now >= deadline:
            status = "timeout"
            break
        if b_status is None and now >= next_memory_check:
            used = execution_memory(b)
            if used > memory_cap:
                status = "oom"
                bufs[err_r] += (f"\nkilled: the execution's processes together held {used >> 20} MB, over its "
                                f"memory_mb={memory_cap >> 20}\n").encode()
                break
            next_memory_check = now + MEMORY_CHECK_S
        watch = list(open_fds) + ([pidfd] if b_status is None else [])
        if not watch:
            break
        wait = min(deadline, next_memory_check) - now if b_status is None else 0.2
        ready, _, _ = select.select(watch, [], [], max(wait, 0.0))
        if not ready and b_status is not None:
            break  # B is gone but something (a daemon, rlimits-only) keeps the pipes open
        for fd in ready:
            if fd == pidfd:
                b_status = os.waitpid(b, 0)[1]
                continue
            try:
                chunk = os.read(fd, 65536)
            except BlockingIOError:
                continue
            if not chunk:
                open_fds.discard(fd)
                continue
            bufs[fd] += chunk
            if len(bufs[out_r]) + len(bufs[err_r]) > limit:
                truncated = True
        if truncated:
            status = "output_limit"
            break
    if b_status is None or not CFG["namespaces"]:
        kill_tree(b)
    if b_status is None:
        b_status = os.waitpid(b, 0)[1]
    child.close_fds()
    reap_orphans()
    out, err = bytes(bufs[out_r]), bytes(bufs[err_r])
    if truncated:
        keep = max(0, limit - len(err))
        out, err = out[:keep], err[: limit - len(out)]
    exit_code, sig = None, None
    if os.WIFEXITED(b_status):
        exit_code = os.WEXITSTATUS(b_status)
    elif os.WIFSIGNALED(b_status):
        sig = os.WTERMSIG(b_status)
        exit_code = -sig
    if status is None:
        if exit_code == EXIT_SETUP_FAILED and err.startswith(b"sandbox setup failed"):
            status = "sandbox_error"
        elif sig == signal.SIGXCPU:
            status = "timeout"
        elif exit_code == 0:
            status = "ok"
        else:
            last = [ln for ln in err.decode("utf-8", "replace").splitlines() if ln.strip()][-1:] or [""]
            status = "oom" if "MemoryError" in last[0] else "error"
    if sig is not None and status in ("error", "timeout"):
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
        err += f"\nkilled by signal {name}\n".encode()
    header = {"status": status, "exit_code": exit_code, "signal": sig, "duration_s": time.monotonic() - start,
              "stdout_len": len(out), "stderr_len": len(err)}
    return header, out, err


MEMORY_CHECK_S = 0.1  # how often a running execution's total memory is summed (RLIMIT_AS is per process)


def execution_memory(b: int) -> int:
    """Private memory (bytes) of every process of the execution: all but the worker and bwrap's init here, or in
    rlimits-only mode the processes of B's session."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) in (1, os.getpid()):
            continue
        try:
            if not CFG["namespaces"]:
                with open(f"/proc/{entry}/stat") as fh:
                    if int(fh.read().rsplit(")", 1)[1].split()[3]) != b:  # field 6: session id
                        continue
            with open(f"/proc/{entry}/smaps_rollup") as fh:
                for line in fh:
                    if line.startswith(("Private_Clean:", "Private_Dirty:")):
                        total += int(line.split()[1]) << 10
        except (OSError, ValueError, IndexError):
            continue  # it exited meanwhile
    return total


def kill_tree(pid: int) -> None:
    """SIGKILL pid 1 of the namespace (the kernel kills the rest) or, without namespaces, its process group."""
    for target in ((pid,) if CFG["namespaces"] else (-pid, pid)):
        try:
            os.kill(target, signal.SIGKILL)
        except ProcessLookupError:
            pass


def reap_orphans() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def recv(fd: int) -> dict | None:
    head = read_exact(fd, 4)
    if head is None:
        return None
    (n,) = struct.unpack("!I", head)
    body = read_exact(fd, n)
    return None if body is None else json.loads(body)


def read_exact(fd: int, n: int) -> bytes | None:
    data = bytearray()
    while len(data) < n:
        chunk = os.read(fd, n - len(data))
        if not chunk:
            return None
        data += chunk
    return bytes(data)


def send(fd: int, header: dict, *payloads: bytes) -> None:
    body = json.dumps(header).encode()
    data = struct.pack("!I", len(body)) + body + b"".join(payloads)
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def status_field(name: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(name + ":"):
                return int(line.split()[1])
    return 0


def vm_size() -> int:
    return status_field("VmSize") * 1024


def main() -> None:
    global SECCOMP, NEXT
    CFG.update(json.loads(sys.argv[1]))
    null = os.open("/dev/null", os.O_RDWR)
    os.dup2(0, 3)
    os.dup2(1, 4)
    os.dup2(null, 0)
    os.dup2(null, 1)  # stray prints of preloaded modules must not corrupt the protocol
    if CFG.get("mount_proc"):
        mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    if CFG.get("drop_to") is not None:
        uid, gid = CFG["drop_to"]
        os.setgroups([])
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)  # from root: clears every capability
        libc.prctl(4, 1, 0, 0, 0)  # PR_SET_DUMPABLE: else /proc/self stays root's and uid_map cannot be written
    elif CFG["namespaces"]:
        drop_capabilities()
    if CFG["namespaces"]:
        # The worker's own user namespace: it may then clone() into fresh pid/mount namespaces per execution.
        uid, gid = os.getuid(), os.getgid()
        _check(libc.unshare(CLONE_NEWUSER), "unshare(CLONE_NEWUSER)")
        for name, text in (("setgroups", "deny"), ("uid_map", f"{INNER_ID} {uid} 1"), ("gid_map", f"{INNER_ID} {gid} 1")):
            with open(f"/proc/self/{name}", "w") as fh:
                fh.write(text)
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    os.environ.clear()
    os.environ.update(CFG["env"])
    failed = {}
    for name in CFG["preload"]:
        try:
            __import__(name)
        except Exception as exc:  # noqa: BLE001 - reported to the host, which logs it
            failed[name] = f"{type(exc).__name__}: {exc}"
    if CFG["seccomp"]:
        SECCOMP = build_seccomp()
    gc.collect()
    gc.freeze()  # forked children then do not touch (copy) the preloaded objects' pages
    CFG["base_vm_bytes"] = vm_size()
    threads = status_field("Threads")
    if threads > 1:  # a raw clone() copies no other thread and resets no lock a thread may hold
        failed["(threads)"] = (f"the preloaded modules started {threads - 1} thread(s); forking such a process can "
                               "deadlock - preload modules that start no threads (OMP_NUM_THREADS=1 is set)")
    if CFG["namespaces"] and SYS_CLONE is None:
        raise OSError(f"the local sandbox supports x86_64 and aarch64, not {os.uname().machine}")
    NEXT = Child()
    send(4, {"ready": True, "failed_preloads": failed, "base_vm_bytes": CFG["base_vm_bytes"], "pid": os.getpid()})
    while True:
        req = recv(3)
        if req is None:
            return
        try:
            header, out, err = execute(req)
        except Exception:  # noqa: BLE001 - a bug here must reach the host, not kill the worker silently
            header, out, err = {"status": "sandbox_error", "exit_code": None, "signal": None, "duration_s": 0.0,
                                "stdout_len": 0, "stderr_len": 0}, b"", traceback.format_exc().encode()
            header["stderr_len"] = len(err)
        send(4, header, out, err)
        try:
            NEXT = Child()  # fork the next child now, while the host is busy with this reply
        except OSError:
            NEXT = None  # e.g. EAGAIN under pressure: execute() forks one when the request comes


if __name__ == "__main__":
    main()
