"""Hostile programs every sandbox must contain: network, host files, secrets, bombs, floods, escapes.

**What it does to the machine it runs on, if the sandbox lets it:** writes files into
``/etc``, ``/usr``, ``/``, site-packages and the standard library, plants state in ``/tmp``,
``/dev/shm`` and the home directory, forks without end, allocates memory without end, and
tries to kill its parent. So the suite refuses to run (every test skips, saying why) unless
the sandbox declares that it isolates: ``Sandbox.isolates`` is True, or the subclass sets
``sandbox_isolates = True``. Every file a probe tries to write carries a random name and is
deleted after the probe, on this host and inside the sandbox, whether or not the sandbox let
it be written; nothing can undo a fork or memory bomb that a sandbox let through.

Subclass :class:`HostileProgramSuite` and provide a ``sandbox`` fixture (module-scoped is
kindest). After every program the suite checks that the sandbox still serves and, for a
sandbox running on this machine, that no process is left behind (the process tree under
this test process returns to its size before the program).

Importing this module puts a canary secret into ``os.environ`` (``LLMRL_HOSTILE_CANARY``),
so every sandbox or server started afterwards by this process would inherit it if it
leaked the host environment; the environment test looks for it.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from llmrl_core.sandbox import EXEC_STATUSES, ExecResult, Sandbox

CANARY_ENV = "LLMRL_HOSTILE_CANARY"
os.environ.setdefault(CANARY_ENV, "canary-" + secrets.token_hex(12))
CANARY = os.environ[CANARY_ENV]


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                stat = fh.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    return children


def descendants(pid: int | None = None) -> set[int]:
    """Every process below ``pid`` (default: this one) in the host's process tree."""
    children = _children_map()
    found: set[int] = set()
    stack = [pid or os.getpid()]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def _processes_with(mark: str) -> list[int]:
    """Host pids whose command line contains ``mark``."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as fh:
                    if mark.encode() in fh.read():
                        found.append(int(entry))
            except OSError:
                continue
    return found


def settled_descendant_count(timeout_s: float = 3.0) -> int:
    """The number of descendants once it stops changing (pools may be forking spare children)."""
    deadline = time.monotonic() + timeout_s
    last = len(descendants())
    while time.monotonic() < deadline:
        time.sleep(0.1)
        now = len(descendants())
        if now == last:
            return now
        last = now
    return last


# Where probes try to write: ``{name}`` is a fresh random file name; ``{site}`` (numpy's directory in
# site-packages), ``{stdlib}`` (the standard library) and ``{home}`` resolve inside the sandbox, and on
# this host for the clean-up.
WRITE_TARGETS = ("/usr/{name}", "/etc/{name}", "/{name}", "{site}/{name}.py", "{stdlib}/{name}.py")
STATE_TARGETS = ("/tmp/{name}", "/dev/shm/{name}", "{home}/{name}", "{name}", "/{name}", "/dev/{name}")
_ANCHORS_IN_SANDBOX = (
    "import os, numpy\n"
    "anchors = {'site': os.path.dirname(numpy.__file__), 'stdlib': os.path.dirname(os.__file__),\n"
    "           'home': os.path.expanduser('~')}\n"
)


def probe_name(prefix: str = "llmrl_probe") -> str:
    """A file name nobody else uses, so the clean-up can only ever delete what a probe wrote."""
    return f"{prefix}_{secrets.token_hex(6)}"


def _paths_code(targets: Sequence[str], name: str) -> str:
    """Program text that sets ``paths``: the targets resolved inside the sandbox."""
    return _ANCHORS_IN_SANDBOX + f"paths = [t.format(name={name!r}, **anchors) for t in {list(targets)!r}]\n"


def host_paths(targets: Sequence[str], name: str) -> list[Path]:
    """The targets resolved on this host (where a sandbox that does not isolate would have written)."""
    import numpy

    anchors = {"site": os.path.dirname(numpy.__file__), "stdlib": os.path.dirname(os.__file__), "home": str(Path.home())}
    return [Path(t.format(name=name, **anchors)) for t in targets]


@contextlib.contextmanager
def removing_afterwards(sandbox: Sandbox, targets: Sequence[str], name: str, *, on_host: bool = True) -> Iterator[None]:
    """Delete every target a probe may have written, on this host and inside the sandbox, however it ended."""
    try:
        yield
    finally:
        if on_host:
            for path in host_paths(targets, name):
                with contextlib.suppress(OSError):
                    if path.is_file() or path.is_symlink():
                        path.unlink()
        remove = _paths_code(targets, name) + (
            "for path in paths:\n"
            "    try:\n"
            "        os.remove(path)\n"
            "    except OSError:\n"
            "        pass\n"
        )
        with contextlib.suppress(Exception):  # a sandbox broken by the probe must not hide the probe's failure
            sandbox.run(remove, timeout_s=15)


def try_writes(sandbox: Sandbox, targets: Sequence[str], name: str, *, also: Sequence[str] = (),
               on_host: bool = True) -> tuple[ExecResult, list[Path]]:
    """Try to write file ``name`` into each target (and into the ``also`` paths, which are not removed).

    Returns the result and the targets found on this host after the run; both are taken
    before the clean-up, which then deletes every target whether or not it was written.
    """
    code = _paths_code(targets, name) + (
        f"for path in paths + {list(also)!r}:\n"
        "    try:\n"
        "        with open(path, 'w') as fh:\n"
        "            fh.write('pwned')\n"
        "        print('WROTE', path)\n"
        "    except Exception as exc:\n"
        "        print('denied', path, type(exc).__name__)\n"
        "open('mine.txt', 'w').write('fine')\n"
        "print('own dir ok', open('mine.txt').read())\n"
    )
    with removing_afterwards(sandbox, targets, name, on_host=on_host):
        result = sandbox.run(code, timeout_s=15)
        found = [p for p in host_paths(targets, name) if p.exists()] if on_host else []
    return result, found


class HostileProgramSuite:
    """Programs an LLM might write by malice or by accident; each must be contained with a clear status.

    It runs only against a sandbox that declares it isolates (see the module's warning).
    ``runs_on_this_host``: the sandbox executes on this machine (local, or a server on
    loopback), so host files, host loopback and leftover processes can be checked here.
    """

    sandbox_isolates: bool | None = None
    """Whether the sandbox under test is an isolation boundary. None: trust its ``isolates`` attribute.
    Set True only for a sandbox that isolates without saying so (e.g. a client of a remote service)."""
    runs_on_this_host: bool = True
    enforces_memory_limit: bool = True
    max_output_bytes: int = 4 << 20
    """No result may carry more output than this (the sandbox's own cap must be below it)."""
    timeout_slack_s: float = 3.0

    @pytest.fixture(autouse=True)
    def _contained(self, sandbox: Sandbox) -> Iterator[None]:
        declared = self.sandbox_isolates if self.sandbox_isolates is not None else getattr(sandbox, "isolates", False)
        if declared is not True:
            pytest.skip(
                f"{type(sandbox).__name__} does not declare that it isolates (Sandbox.isolates is False), and the "
                "hostile programs write into /etc, /usr and site-packages and run fork and memory bombs, which a "
                "sandbox that does not isolate lets through onto this machine. Set isolates = True on a sandbox "
                "that is an isolation boundary, or sandbox_isolates = True on the suite."
            )
        before = settled_descendant_count() if self.runs_on_this_host else 0
        yield
        again = sandbox.run("print(6 * 7)", timeout_s=20)
        assert again.status == "ok" and again.stdout == "42\n", f"the sandbox no longer serves: {again}"
        if self.runs_on_this_host:
            deadline = time.monotonic() + 5.0
            while (now := len(descendants())) > before and time.monotonic() < deadline:
                time.sleep(0.1)
            assert now <= before, (f"processes left behind: {now - before} more than before the program (set "
                                   "runs_on_this_host = False if the sandbox does not run on this machine)")

    @pytest.fixture
    def host_canary(self) -> Iterator[Path]:
        """A secret file in the host user's home directory."""
        where = Path(tempfile.mkdtemp(prefix=".llmrl-hostile-", dir=Path.home()))
        secret = where / "secret.txt"
        secret.write_text(CANARY)
        try:
            yield secret
        finally:
            shutil.rmtree(where, ignore_errors=True)

    def _timed_out_in_time(self, result: ExecResult, timeout_s: float, statuses: tuple[str, ...] = ("timeout",)) -> None:
        assert result.status in statuses, result
        assert result.duration_s < timeout_s + self.timeout_slack_s, (
            f"a run with timeout_s={timeout_s} came back after {result.duration_s:.1f} s; the suite allows "
            f"timeout_s + timeout_slack_s ({self.timeout_slack_s}). Raise timeout_slack_s if your sandbox is remote.")

    def _oom(self, result: ExecResult) -> None:
        assert result.status == "oom", (
            f"{result}: must end with status 'oom' under memory_mb=256. If the sandbox cannot limit memory, "
            "set enforces_memory_limit = False on the suite (and document it).")

    def _need_host(self) -> None:
        if not self.runs_on_this_host:
            pytest.skip("runs_on_this_host is False, so host files, loopback and processes cannot be checked from here")

    # --- network -----------------------------------------------------------------------
    def test_no_connection_to_the_outside(self, sandbox: Sandbox) -> None:
        code = (
            "import socket\n"
            "for target in [('1.1.1.1', 53), ('8.8.8.8', 443), ('151.101.0.223', 443)]:\n"
            "    try:\n"
            "        socket.create_connection(target, timeout=2).close()\n"
            "        print('CONNECTED', target)\n"
            "    except Exception as exc:\n"
            "        print('blocked', type(exc).__name__)\n"
        )
        result = sandbox.run(code, timeout_s=15)
        assert result.status == "ok", result
        assert "CONNECTED" not in result.stdout
        assert result.stdout.count("blocked") == 3

    def test_no_connection_to_host_loopback(self, sandbox: Sandbox) -> None:
        self._need_host()
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        listener.setblocking(False)
        port = listener.getsockname()[1]
        try:
            code = (
                "import socket\n"
                "try:\n"
                f"    s = socket.create_connection(('127.0.0.1', {port}), timeout=2)\n"
                "    s.sendall(b'escaped')\n"
                "    print('CONNECTED')\n"
                "except Exception as exc:\n"
                "    print('blocked', type(exc).__name__)\n"
            )
            result = sandbox.run(code, timeout_s=15)
            with pytest.raises(BlockingIOError):
                listener.accept()  # nobody got through
        finally:
            listener.close()
        assert "CONNECTED" not in result.stdout and "blocked" in result.stdout, result

    def test_no_dns(self, sandbox: Sandbox) -> None:
        code = (
            "import socket\n"
            "try:\n"
            "    print('RESOLVED', socket.getaddrinfo('pypi.org', 443))\n"
            "except Exception as exc:\n"
            "    print('blocked', type(exc).__name__)\n"
        )
        result = sandbox.run(code, timeout_s=15)
        assert "RESOLVED" not in result.stdout and "blocked" in result.stdout, result

    # --- host files and secrets --------------------------------------------------------
    def test_cannot_read_host_files(self, sandbox: Sandbox, host_canary: Path) -> None:
        self._need_host()
        code = (
            "import os\n"
            f"for path in ['/etc/shadow', {str(host_canary)!r}, '/proc/1/environ', '/proc/self/environ']:\n"
            "    try:\n"
            "        print(path, 'READ', open(path, 'rb').read()[:4000])\n"
            "    except Exception as exc:\n"
            "        print(path, 'denied', type(exc).__name__)\n"
            "for path in ['/root', os.path.expanduser('~'), " + repr(str(host_canary.parent.parent)) + "]:\n"
            "    try:\n"
            "        print(path, 'LIST', sorted(os.listdir(path)))\n"
            "    except Exception as exc:\n"
            "        print(path, 'denied', type(exc).__name__)\n"
        )
        result = sandbox.run(code, timeout_s=15)
        assert result.status == "ok", result
        text = result.stdout + result.stderr
        assert CANARY not in text
        listings = [line for line in result.stdout.splitlines() if " LIST " in line]
        assert not any(host_canary.parent.name in line for line in listings), f"host home is visible: {listings}"
        assert "/etc/shadow READ" not in text
        assert f"{host_canary} READ" not in text
        try:
            shadow = Path("/etc/shadow").read_text().splitlines()[0]
        except (OSError, IndexError):
            shadow = ""
        if shadow:
            assert shadow not in text

    def test_environment_secrets_are_not_inherited(self, sandbox: Sandbox) -> None:
        code = (
            "import os\n"
            "print(sorted(os.environ.items()))\n"
            "for path in ['/proc/self/environ', '/proc/1/environ']:\n"
            "    try:\n"
            "        print(open(path, 'rb').read())\n"
            "    except Exception as exc:\n"
            "        print(path, 'denied', type(exc).__name__)\n"
        )
        result = sandbox.run(code, timeout_s=15)
        assert result.status == "ok", result
        assert CANARY not in result.stdout + result.stderr

    def test_cannot_write_outside_the_private_dir(self, sandbox: Sandbox, host_canary: Path) -> None:
        self._need_host()
        result, on_host = try_writes(sandbox, WRITE_TARGETS, probe_name("llmrl_pwned"), also=[str(host_canary)])
        assert result.status == "ok", result
        assert "WROTE" not in result.stdout, result.stdout
        assert "own dir ok fine" in result.stdout
        assert host_canary.read_text() == CANARY
        assert not on_host, f"written on this host (and deleted again by the suite): {on_host}"

    # --- resource bombs ----------------------------------------------------------------
    def test_fork_bomb(self, sandbox: Sandbox) -> None:
        result = sandbox.run("import os\nwhile True:\n    os.fork()", timeout_s=3)
        self._timed_out_in_time(result, 3, ("error", "timeout"))

    def test_memory_bomb(self, sandbox: Sandbox) -> None:
        if not self.enforces_memory_limit:
            pytest.skip(f"{type(sandbox).__name__} does not enforce memory_mb")
        code = "hoard = []\nwhile True:\n    hoard.append(bytearray(32 * 1024 * 1024))"
        self._oom(sandbox.run(code, memory_mb=256, timeout_s=20))

    def test_memory_bomb_across_processes(self, sandbox: Sandbox) -> None:
        """Eight processes of 100 MB each: under any per-process limit, over the execution's 256 MB."""
        if not self.enforces_memory_limit:
            pytest.skip(f"{type(sandbox).__name__} does not enforce memory_mb")
        code = (
            "import os, time\n"
            "for _ in range(7):\n"
            "    if os.fork() == 0:\n"
            "        break\n"
            "hoard = bytearray(b'x' * (100 * 1024 * 1024))\n"
            "time.sleep(10)\n"
            "print('all held')\n"
        )
        result = sandbox.run(code, memory_mb=256, timeout_s=20)
        self._oom(result)
        assert "all held" not in result.stdout

    def test_busy_loops_in_many_processes(self, sandbox: Sandbox) -> None:
        code = "import os\nfor _ in range(3):\n    if os.fork() == 0:\n        break\nwhile True:\n    pass"
        self._timed_out_in_time(sandbox.run(code, timeout_s=1), 1)

    def test_sleeping_past_the_wall_limit(self, sandbox: Sandbox) -> None:
        self._timed_out_in_time(sandbox.run("import time\ntime.sleep(120)", timeout_s=1), 1)

    def test_output_flood(self, sandbox: Sandbox) -> None:
        code = "import sys\nchunk = 'x' * 65536\nwhile True:\n    sys.stdout.write(chunk)\n    sys.stderr.write(chunk)"
        result = sandbox.run(code, timeout_s=30)
        assert result.status == "output_limit", result.status
        assert len(result.stdout) + len(result.stderr) <= self.max_output_bytes, (
            f"{len(result.stdout) + len(result.stderr)} characters of output came back; the suite allows "
            f"max_output_bytes ({self.max_output_bytes}): cap the output lower, or raise max_output_bytes")
        assert result.duration_s < 30, "the flood ran to the timeout instead of being stopped at the cap"

    def test_binary_output(self, sandbox: Sandbox) -> None:
        code = "import sys\nsys.stdout.buffer.write(bytes(range(256)) * 4)\nsys.stderr.buffer.write(b'\\xc3\\x28\\xa0\\xa1')"
        result = sandbox.run(code, timeout_s=15)
        assert result.status == "ok", result
        assert isinstance(result.stdout, str) and isinstance(result.stderr, str)
        assert "\ufffd" in result.stdout and result.stdout.startswith("\x00\x01\x02")

    def test_segfault(self, sandbox: Sandbox) -> None:
        result = sandbox.run("import ctypes\nctypes.string_at(0)", timeout_s=15)
        assert result.status == "error", result
        assert result.exit_code not in (0, None)

    # --- escapes -----------------------------------------------------------------------
    def test_killing_its_parent(self, sandbox: Sandbox) -> None:
        code = (
            "import os, signal\n"
            "for target in (os.getppid(), 1, -1, 0):\n"
            "    try:\n"
            "        os.kill(target, signal.SIGKILL)\n"
            "    except Exception as exc:\n"
            "        print('kill', target, type(exc).__name__)\n"
            "print('still here')\n"
        )
        result = sandbox.run(code, timeout_s=10)
        assert result.status in EXEC_STATUSES

    def test_daemon_does_not_outlive_the_program(self, sandbox: Sandbox) -> None:
        mark = "llmrl-daemon-" + secrets.token_hex(8)
        code = (
            "import os, sys, time\n"
            "if os.fork() == 0:\n"
            "    os.setsid()\n"
            "    if os.fork() == 0:\n"
            "        os.closerange(0, 256)\n"
            "        try:\n"
            f"            os.execv(sys.executable, [sys.executable, '-c', 'import time; time.sleep(300)', {mark!r}])\n"
            "        except OSError:\n"
            "            time.sleep(300)\n"
            "    os._exit(0)\n"
            "time.sleep(0.5)\n"
            "print('parent done')\n"
        )
        result = sandbox.run(code, timeout_s=10)
        assert result.status == "ok" and result.stdout == "parent done\n", result
        assert result.duration_s < 10, "the sandbox waited for the daemon instead of ending the execution"
        if self.runs_on_this_host:  # wherever it was reparented to, no process may still carry the mark
            deadline = time.monotonic() + 5.0
            while (alive := _processes_with(mark)) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert not alive, f"the daemon outlived the program: pids {alive}"

    def test_no_state_for_the_next_execution(self, sandbox: Sandbox) -> None:
        name = probe_name("llmrl_state")
        plant = _paths_code(STATE_TARGETS, name) + (
            "import sys, builtins\n"
            "for path in paths:\n"
            "    try:\n"
            "        open(path, 'w').write('x')\n"
            "    except Exception:\n"
            "        pass\n"
            "numpy.LLMRL_STATE = 1\n"
            "builtins.LLMRL_STATE = 1\n"
            "sys.modules['llmrl_state'] = sys\n"
            "os.environ['LLMRL_STATE'] = '1'\n"
        )
        probe = _paths_code(STATE_TARGETS, name) + (
            "import sys, builtins\n"
            "found = [p for p in paths if os.path.exists(p)]\n"
            "found += [n for n, ok in [('numpy', hasattr(numpy, 'LLMRL_STATE')), ('builtins', hasattr(builtins,\n"
            "          'LLMRL_STATE')), ('modules', 'llmrl_state' in sys.modules), ('env', 'LLMRL_STATE' in os.environ)] if ok]\n"
            "print('found', found)\n"
        )
        with removing_afterwards(sandbox, STATE_TARGETS, name, on_host=self.runs_on_this_host):
            assert sandbox.run(plant, timeout_s=15).status == "ok"
            result = sandbox.run(probe, timeout_s=15)
        assert result.status == "ok", result
        assert result.stdout.strip() == "found []"
