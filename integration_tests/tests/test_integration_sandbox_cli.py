"""`llmrl sandbox run` (llmrl-core's, any sandbox) and `serve` (the fusion plugin's, in the same group), through
the real CLI entry point in a subprocess, with the real local sandbox."""

from __future__ import annotations

import json
import subprocess
import sys

LLMRL = [sys.executable, "-c", "from llmrl_core.cli.main import run; run()"]
CLI = [*LLMRL, "sandbox", "run"]


def _run(args: list[str], stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args, "-o", "preload=[math, numpy]"], input=stdin,
                          capture_output=True, text=True, timeout=120)


def test_run_file_prints_output_and_exits_zero(tmp_path) -> None:
    program = tmp_path / "prog.py"
    program.write_text("import numpy as np\nprint(int(np.arange(5).sum()))\n")
    proc = _run([str(program)])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "10\n"


def test_run_stdin_failure_exits_one_with_status_line() -> None:
    proc = _run(["-"], stdin="print('before')\n1/0\n")
    assert proc.returncode == 1
    assert proc.stdout == "before\n"
    assert "ZeroDivisionError: division by zero" in proc.stderr and "[error]" in proc.stderr


def test_run_timeout_and_json() -> None:
    proc = _run(["-", "--timeout", "1", "--json"], stdin="import time\ntime.sleep(30)\n")
    assert proc.returncode == 1
    assert json.loads(proc.stdout.strip().splitlines()[-1])["status"] == "timeout"


def test_missing_file_is_a_clear_error(tmp_path) -> None:
    proc = _run([str(tmp_path / "nope.py")])
    assert proc.returncode == 2
    assert "is not a file" in proc.stderr


def test_run_and_serve_share_one_group() -> None:
    listing = subprocess.run([*LLMRL, "sandbox", "--help"], capture_output=True, text=True, timeout=120)
    assert listing.returncode == 0, listing.stderr
    commands = listing.stdout.split("Commands:")[1].split()
    assert "run" in commands and "serve" in commands


def test_a_one_off_run_starts_one_worker_unless_told_otherwise() -> None:
    from llmrl_core.cli.sandbox_cmd import one_off_settings

    assert one_off_settings("local", []) == {"workers": 1}
    assert one_off_settings("local", ["workers=3", "preload=[math]"]) == {"workers": 3, "preload": ["math"]}
    assert one_off_settings("example-subprocess", ["python=/usr/bin/python3"]) == {"python": "/usr/bin/python3"}
