"""The ``local`` sandbox: a pool of pre-forked workers inside bubblewrap.

Why a pool: starting Python (9 ms) and importing numpy (70 ms) or sympy (290 ms) per
execution costs far more than the execution. Each worker imports them once inside the
sandbox and forks a fresh, namespaced child per execution (see ``_worker.py``).
"""

from __future__ import annotations

import base64
import json
import logging
import os
import queue
import re
import select
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from llmrl_core import ExecResult, Sandbox, SandboxUnavailableError
from llmrl_sandbox_local.bwrap import FIX_BWRAP, find_bwrap, namespace_args, root_binds
from llmrl_sandbox_local.config import LocalSandboxConfig

log = logging.getLogger(__name__)

WORKER_SOURCE = (Path(__file__).parent / "_worker.py").read_text()
REPLY_SLACK_S = 5.0  # how much longer than the code's timeout the worker may take to answer
SANDBOX_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "HOME": "/tmp",
    "LANG": "C.UTF-8",
    "PYTHONIOENCODING": "utf-8",
    "PYTHONDONTWRITEBYTECODE": "1",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}

HOST_VIEW = "/.llmrl-host"
"""Where host paths that live under /tmp are also visible, outside the private /tmp."""


def _parents(path: str) -> list[str]:
    """World-traversable parent dirs (bwrap would create them 0700, closed to the unprivileged worker)."""
    args: list[str] = []
    parts = Path(path).parts[1:-1]
    for i in range(len(parts)):
        args += ["--perms", "0755", "--dir", "/" + "/".join(parts[: i + 1])]
    return args


def start_failure_fix(detail: str) -> str:
    """The fix for a worker that died at start: a missing interpreter is not a bubblewrap problem."""
    if "execvp" in detail or "No such file or directory" in detail:
        return ("The interpreter could not be executed inside the sandbox: check that the `python` setting (default: "
                "this interpreter) exists and lives under a directory the sandbox binds read-only (its prefix, "
                "base prefix and site-packages are bound).")
    return FIX_BWRAP


class _Worker:
    """One worker process and its two protocol pipes."""

    def __init__(self, argv: list[str], cfg: dict[str, Any], start_timeout_s: float):
        self.log_file = tempfile.TemporaryFile(prefix="llmrl-worker-")
        req_r, self.req_w = os.pipe()
        self.rep_r, rep_w = os.pipe()
        self.proc = subprocess.Popen(
            [*argv, json.dumps(cfg)], stdin=req_r, stdout=rep_w, stderr=self.log_file,
            env={"PATH": SANDBOX_ENV["PATH"], "LANG": "C.UTF-8"}, close_fds=True, start_new_session=True,
        )
        os.close(req_r)
        os.close(rep_w)
        hello = self._recv_header(time.monotonic() + start_timeout_s)
        if hello is None or not hello.get("ready"):
            detail = self.stderr_tail()
            self.kill()
            raise SandboxUnavailableError(f"a sandbox worker failed to start: {detail or 'no output'}. {start_failure_fix(detail)}")
        self.info = hello
        self.tier = 0
        if hello.get("failed_preloads"):
            log.warning("sandbox worker could not preload %s", hello["failed_preloads"])

    def stderr_tail(self) -> str:
        self.log_file.seek(0)
        return self.log_file.read().decode("utf-8", "replace").strip()[-800:]

    def _read_exact(self, n: int, deadline: float) -> bytes | None:
        data = bytearray()
        while len(data) < n:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.rep_r], [], [], left)[0]:
                return None
            chunk = os.read(self.rep_r, n - len(data))
            if not chunk:
                return None
            data += chunk
        return bytes(data)

    def _recv_header(self, deadline: float) -> dict | None:
        head = self._read_exact(4, deadline)
        if head is None:
            return None
        body = self._read_exact(struct.unpack("!I", head)[0], deadline)
        return None if body is None else json.loads(body)

    def execute(self, request: dict, deadline: float) -> tuple[dict, bytes, bytes] | None:
        """Send one request; None if the worker died or did not answer in time."""
        body = json.dumps(request).encode()
        try:
            os.write(self.req_w, struct.pack("!I", len(body)))
            view = memoryview(body)
            while view:
                view = view[os.write(self.req_w, view):]
        except OSError:
            return None
        header = self._recv_header(deadline)
        if header is None:
            return None
        out = self._read_exact(header["stdout_len"], deadline + 5)
        err = self._read_exact(header["stderr_len"], deadline + 5)
        if out is None or err is None:
            return None
        return header, out, err

    def kill(self) -> None:
        for fd in (self.req_w, self.rep_r):
            try:
                os.close(fd)
            except OSError:
                pass
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, 9)
            except ProcessLookupError:
                pass
            self.proc.wait()
        self.log_file.close()


class LocalSandbox(Sandbox):
    """Kernel-isolated execution of untrusted Python with pre-forked, preloaded workers.

    ``get_sandbox("local", workers=2)`` builds one; from Python directly, ``LocalSandbox(LocalSandboxConfig(...))``.
    """

    name = "local"

    @property
    def isolates(self) -> bool:
        """Namespaces and seccomp isolate; ``isolation='rlimits-only'`` only limits resources."""
        return self.config.isolation != "rlimits-only"

    def __init__(self, config: LocalSandboxConfig):
        self.config = cfg = config
        self._n = cfg.workers or os.cpu_count() or 1
        self._lock = threading.Lock()
        self._all: list[_Worker] = []
        self._closed = False
        self._host_tmp: str | None = None
        self._last_error = ""
        self._argv, worker_cfg = self._plan()
        # Tiers: forking a worker that holds sympy costs ~3x more than one with numpy only (its page tables are
        # bigger), so code that does not mention a module of the heavy tier goes to workers without it.
        light = [m for m in (cfg.light_preload or []) if m in cfg.preload]
        tiers = [cfg.preload] if cfg.light_preload is None or set(light) == set(cfg.preload) else [light, cfg.preload]
        self._heavy = re.compile(r"\b(" + "|".join(re.escape(m.split(".")[0]) for m in cfg.preload if m not in light)
                                 + r")\b") if len(tiers) == 2 else None
        self._tier_cfgs = [{**worker_cfg, "preload": list(t)} for t in tiers]
        self._idle: list[queue.Queue[_Worker]] = [queue.Queue() for _ in tiers]
        # Workers are started from one long-lived thread: bwrap's --die-with-parent (PR_SET_PDEATHSIG) fires when
        # the *thread* that forked it ends, so a worker started from a short-lived request thread would die with it.
        self._spawner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="llmrl-sandbox-spawner")
        try:
            for tier in range(len(tiers)):
                for _ in range(self._n):
                    self._add_worker(tier)
        except BaseException:
            self.close()
            raise

    # --- building the worker command ---------------------------------------------------
    def _plan(self) -> tuple[list[str], dict[str, Any]]:
        cfg = self.config
        python = cfg.python or sys.executable
        root = os.geteuid() == 0
        worker_cfg: dict[str, Any] = {
            "preload": cfg.preload, "output_limit_bytes": cfg.output_limit_bytes, "max_processes": cfg.max_processes,
            "tmp_size_mb": cfg.tmp_size_mb, "max_file_bytes": cfg.max_file_bytes, "seccomp": cfg.seccomp,
            "env": SANDBOX_ENV, "drop_to": [cfg.unprivileged_uid, cfg.unprivileged_uid] if root else None,
        }
        if cfg.seccomp and not _has_libseccomp():
            raise SandboxUnavailableError(
                "the seccomp filter needs libseccomp.so.2, which is not installed. Fix: sudo apt-get install -y "
                "libseccomp2 (or pass seccomp=False to run without the filter)."
            )
        if cfg.isolation == "rlimits-only":
            log.warning("local sandbox in isolation='rlimits-only': NO namespaces; code can reach the network and files")
            self._host_tmp = tempfile.mkdtemp(prefix="llmrl-sandbox-")
            # No uid drop here: without a mount namespace an unprivileged uid may not even read the interpreter
            # (e.g. under a 0700 /root). As root, RLIMIT_NPROC is then not enforced either: a weaker mode.
            worker_cfg.update(namespaces=False, host_tmp=self._host_tmp, drop_to=None)
            return [python, "-I", "-c", WORKER_SOURCE], worker_cfg
        bwrap = find_bwrap(cfg.bwrap)
        log.info("local sandbox: %s at %s (%s)", bwrap.version, bwrap.path, bwrap.reason)
        worker_cfg.update(namespaces=True, mount_proc=root)
        args = [bwrap.path, *namespace_args(root), *root_binds()]
        binds: list[tuple[str, str]] = []  # (host path, path inside the sandbox)
        shown = {"/usr"}
        for path in [sys.base_prefix, sys.prefix, os.path.dirname(os.path.realpath(python)), *cfg.extra_ro_paths]:
            path = os.path.realpath(path)
            if path not in shown and not any(path.startswith(s + "/") for s in shown) and os.path.exists(path):
                binds.append((path, path))
                shown.add(path)
        if sys.prefix != os.path.realpath(sys.prefix):  # keep the venv reachable under its own name
            binds.append((os.path.realpath(sys.prefix), sys.prefix))
        # Paths under /tmp (a checkout or venv there) would be hidden by the private /tmp: bind them
        # after it, and keep a second view outside /tmp from which each execution binds them back
        # over its own fresh tmpfs.
        under_tmp = [(src, dst) for src, dst in binds if dst == "/tmp" or dst.startswith("/tmp/")]
        for src, dst in binds:
            if (src, dst) not in under_tmp:
                args += [*_parents(dst), "--ro-bind", src, dst]
        for src, dst in under_tmp:
            args += [*_parents(HOST_VIEW + dst), "--ro-bind", src, HOST_VIEW + dst]
        args += ["--dev", "/dev", *(["--dir", "/proc"] if root else []), "--tmpfs", "/tmp", "--chdir", "/tmp"]
        for src, dst in under_tmp:
            args += [*_parents(dst), "--ro-bind", src, dst]
        worker_cfg["rebind"] = [[HOST_VIEW + dst, dst] for _, dst in under_tmp]
        args += ["--remount-ro", "/dev", "--remount-ro", "/",  # nothing but the per-run tmpfs is writable
                 "--setenv", "PATH", SANDBOX_ENV["PATH"], "--setenv", "LANG", "C.UTF-8", "--",
                 python, "-I", "-c", WORKER_SOURCE]
        return args, worker_cfg

    def _add_worker(self, tier: int) -> None:
        worker = self._spawner.submit(_Worker, self._argv, self._tier_cfgs[tier], self.config.start_timeout_s).result()
        worker.tier = tier
        with self._lock:
            self._all.append(worker)
        self._idle[tier].put(worker)

    def _replace(self, worker: _Worker) -> None:
        with self._lock:
            if worker in self._all:
                self._all.remove(worker)
        log.warning("sandbox worker %s died or stopped answering; replacing it (stderr: %s)",
                    worker.proc.pid, worker.stderr_tail()[-300:])
        worker.kill()
        if not self._closed:
            try:
                self._add_worker(worker.tier)
            except SandboxUnavailableError as exc:
                self._last_error = str(exc)
                log.error("could not replace a sandbox worker: %s", exc)

    def _take_worker(self, code: str) -> _Worker | None:
        tier = 1 if self._heavy is not None and self._heavy.search(code) else 0
        while True:
            try:
                return self._idle[tier].get(timeout=0.5)
            except queue.Empty:
                with self._lock:
                    if not any(w.tier == tier for w in self._all):
                        return None

    @property
    def worker_pids(self) -> list[int]:
        """Host pids of the worker processes (bwrap), for tests and monitoring."""
        with self._lock:
            return [w.proc.pid for w in self._all]

    # --- the Sandbox API ---------------------------------------------------------------
    def run(self, code: str, *, timeout_s: float = 10.0, memory_mb: int = 512,
            files: dict[str, bytes] | None = None) -> ExecResult:
        start = time.monotonic()
        if self._closed:
            raise RuntimeError("this sandbox is closed; create a new one with llmrl_core.get_sandbox('local')")
        size = len(code.encode("utf-8", "surrogatepass")) + sum(len(v) for v in (files or {}).values())
        if size > self.config.max_request_bytes:
            return ExecResult("", f"refused: the request is {size} bytes, over the sandbox's bound of "
                              f"{self.config.max_request_bytes} bytes (max_request_bytes); send less code/files or "
                              "raise the bound", None, "error", time.monotonic() - start)
        for rel in files or {}:
            norm = os.path.normpath(rel)
            if os.path.isabs(norm) or norm == "." or norm.startswith(".."):
                raise ValueError(f"file name {rel!r} must be a relative path inside the working directory")
        if timeout_s <= 0 or memory_mb <= 0:
            raise ValueError(f"timeout_s and memory_mb must be positive, got {timeout_s} and {memory_mb}")
        request = {
            "code": code, "timeout_s": timeout_s, "memory_mb": memory_mb,
            "files": {k: base64.b64encode(v).decode() for k, v in (files or {}).items()},
        }
        worker = self._take_worker(code)
        if worker is None:
            return ExecResult("", f"sandbox error: no worker is left; the last restart failed: {self._last_error}",
                              None, "sandbox_error", time.monotonic() - start)
        start = time.monotonic()  # the duration excludes waiting for a free worker
        reply = worker.execute(request, start + timeout_s + REPLY_SLACK_S)
        if reply is None:
            self._replace(worker)
            return ExecResult("", "sandbox error: the worker died or stopped answering; it was replaced",
                              None, "sandbox_error", time.monotonic() - start)
        self._idle[worker.tier].put(worker)
        header, out, err = reply
        return ExecResult(out.decode("utf-8", "replace"), err.decode("utf-8", "replace"), header["exit_code"],
                          header["status"], time.monotonic() - start)

    def run_many(self, codes: list[str], *, timeout_s: float = 10.0, memory_mb: int = 512) -> list[ExecResult]:
        with ThreadPoolExecutor(max_workers=self._n * len(self._idle)) as pool:
            return list(pool.map(lambda c: self.run(c, timeout_s=timeout_s, memory_mb=memory_mb), codes))

    def close(self) -> None:
        self._closed = True
        with self._lock:
            workers, self._all = self._all, []
        for worker in workers:
            worker.kill()
        spawner = getattr(self, "_spawner", None)
        if spawner is not None:
            spawner.shutdown(wait=False)
        if self._host_tmp:
            shutil.rmtree(self._host_tmp, ignore_errors=True)
            self._host_tmp = None

    def __del__(self) -> None:  # a forgotten close() must not leave workers behind
        try:
            self.close()
        except Exception:  # noqa: BLE001
            pass


def _has_libseccomp() -> bool:
    import ctypes.util

    try:
        import ctypes

        ctypes.CDLL("libseccomp.so.2")
        return True
    except OSError:
        return ctypes.util.find_library("seccomp") is not None
