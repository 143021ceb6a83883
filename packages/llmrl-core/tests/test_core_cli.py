"""The llmrl CLI, run as users run it."""

from __future__ import annotations

import json
import subprocess
import sys

from llmrl_core import DoctorCheck, SandboxSpec, hookimpl

LLMRL = [sys.executable, "-m", "llmrl_core.cli"]


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    import os

    return subprocess.run([*LLMRL, *args], capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=120)


def test_version():
    from llmrl_core import __version__

    out = run("--version")
    assert out.returncode == 0 and out.stdout.strip() == f"llmrl-core {__version__}"


def test_plugins_json_lists_the_cpu_backend_with_distribution_and_version():
    from importlib.metadata import version

    out = run("plugins", "--json")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    cpu = next(b for b in report["components"]["backend"] if b["name"] == "cpu")
    assert cpu["distribution"] == "llmrl-core" and cpu["version"] == version("llmrl-core")
    assert set(report) == {"components", "failed", "duplicates", "skipped"}


def test_plugins_table():
    out = run("plugins")
    assert out.returncode == 0 and "backends" in out.stdout and "llmrl-core" in out.stdout


def test_plugins_table_never_cuts_an_id_on_a_narrow_terminal():
    out = run("plugins", env={"COLUMNS": "70"})
    assert out.returncode == 0, out.stderr
    assert any("llmrl-example/Corridor-v0" in line for line in out.stdout.splitlines())


def test_a_command_kept_out_by_llmrl_plugins_is_not_a_silent_miss():
    out = run("serve", env={"LLMRL_PLUGINS": "llmrl-example-plugin"})
    assert out.returncode == 2 and "No such command 'serve'" in out.stderr
    assert "kept these installed plugins (and their commands) out" in out.stderr and "llmrl-serve" in out.stderr
    listed = run("plugins", "--json", env={"LLMRL_PLUGINS_EXCLUDE": "llmrl-example-plugin"})
    report = json.loads(listed.stdout)
    assert report["skipped"] == ["llmrl-example-plugin"] and "serve" in {c["name"] for c in report["components"]["command"]}


def test_doctor_json_reports_each_check_with_a_fix_when_missing():
    out = run("doctor", "--json")
    checks = {c["name"]: c for c in json.loads(out.stdout)}
    assert {"python", "torch", "backends", "bubblewrap", "mujoco", "plugins"} <= set(checks)
    assert checks["python"]["ok"] and checks["backends"]["ok"]
    assert all(c["fix"] for c in checks.values() if not c["ok"])
    assert out.returncode == 0


def test_unknown_command_fails_with_usage():
    out = run("no-such-command")
    assert out.returncode == 2 and "No such command" in out.stderr


LONG_ERROR_APP = """
import sys, typer
from llmrl_core import CommandSpec, hookimpl
from llmrl_core.cli import main
from llmrl_core.errors import ConfigError
from llmrl_core.plugins import get_plugin_manager

app = typer.Typer()

@app.command()
def fail(path: str) -> None:
    raise ConfigError(f"{path!r} is not a file; give a Python file or - to read the program from stdin")

class Adds:
    @hookimpl
    def llmrl_commands(self):
        yield CommandSpec(name="longerr", app="__main__:app", description="Fails.")

get_plugin_manager().register(Adds(), distribution="llmrl-longerr")
main.run()
"""


def test_errors_are_one_unwrapped_line_whatever_the_path_and_width(tmp_path):
    """A long path on a narrow "terminal" (COLUMNS=40) still reads as one line when stderr is a pipe."""
    import os

    path = str(tmp_path / ("deep-" * 30) / "nope.py")
    env = {**os.environ, "COLUMNS": "40", "TERMINAL_WIDTH": "40"}
    out = subprocess.run([sys.executable, "-c", LONG_ERROR_APP, "longerr", "fail", path],
                         capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 2
    assert out.stderr == f"error: {path!r} is not a file; give a Python file or - to read the program from stdin\n"


def test_usage_errors_are_not_wrapped_when_stderr_is_a_pipe():
    import os

    bad = "x" * 150
    out = subprocess.run([*LLMRL, "plugins", f"--{bad}"], capture_output=True, text=True,
                         env={**os.environ, "COLUMNS": "40"}, timeout=120)
    assert out.returncode == 2
    assert f"No such option: --{bad}" in out.stderr


def machine_checks():
    return [DoctorCheck("widget driver", False, "no widget here", "install the widget driver")]


def broken_checks():
    raise RuntimeError("probe crashed")


class DeclaresDoctorChecks:
    @hookimpl
    def llmrl_sandboxes(self):
        yield SandboxSpec(name="widget", factory="x:y", doctor=f"{__name__}:machine_checks")
        yield SandboxSpec(name="fragile", factory="x:y", doctor=f"{__name__}:broken_checks")


def test_doctor_shows_each_components_own_checks_and_survives_a_broken_one(fresh_plugin_manager):
    from llmrl_core.cli.doctor import check_components

    fresh_plugin_manager.register(DeclaresDoctorChecks(), distribution="llmrl-widgets")
    checks = {c.name: c for c in check_components()}
    assert (checks["widget driver"].ok, checks["widget driver"].fix) == (False, "install the widget driver")
    broken = checks["sandbox fragile"]
    assert not broken.ok and "probe crashed" in broken.detail and "llmrl-widgets" in broken.fix
