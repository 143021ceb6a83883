"""The local sandbox's own behaviour: pool recovery, refusals, bad input, clean shutdown."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time

import pytest

from llmrl_core import ConfigError, SandboxUnavailableError, get_sandbox
from llmrl_core.testing.hostile import descendants


@pytest.fixture(scope="module")
def one_worker():
    with get_sandbox("local", workers=1, preload=["math"], max_request_bytes=4096) as sandbox:
        yield sandbox


def test_a_dead_worker_is_replaced_and_reported(one_worker) -> None:
    victim = one_worker.worker_pids[0]
    box: dict = {}
    thread = threading.Thread(target=lambda: box.update(r=one_worker.run("import time; time.sleep(30)", timeout_s=30)))
    thread.start()
    time.sleep(0.5)
    os.killpg(victim, signal.SIGKILL)  # the worker (bwrap and everything under it) dies mid-execution
    thread.join(40)
    assert box["r"].status == "sandbox_error"
    assert "replaced" in box["r"].stderr
    assert one_worker.worker_pids and one_worker.worker_pids[0] != victim
    assert one_worker.run("print('back')").stdout == "back\n"


def test_request_over_the_size_bound_is_refused(one_worker) -> None:
    result = one_worker.run("x = 1\n" * 1000)
    assert result.status == "error"
    assert result.stderr.startswith("refused:") and "max_request_bytes" in result.stderr
    assert one_worker.run("x = 1", files={"big.bin": b"0" * 5000}).stderr.startswith("refused:")


def test_syntax_error_reports_its_last_line(one_worker) -> None:
    result = one_worker.run("print('unclosed'")
    assert result.status == "error"
    assert result.error_last_line.startswith("SyntaxError:")
    assert "child_b" not in result.stderr  # the sandbox's own frames are not shown to the model


def test_file_names_must_stay_in_the_working_dir(one_worker) -> None:
    for bad in ("../escape.txt", "/etc/passwd", "a/../../b"):
        with pytest.raises(ValueError, match="must be a relative path"):
            one_worker.run("print(1)", files={bad: b"x"})


def test_invalid_config_names_the_field() -> None:
    with pytest.raises(ConfigError, match="isolation"):
        get_sandbox("local", isolation="none")


def test_missing_interpreter_is_not_blamed_on_bubblewrap(tmp_path) -> None:
    with pytest.raises(SandboxUnavailableError) as err:
        get_sandbox("local", workers=1, python=str(tmp_path / "no-such-python"))
    message = str(err.value)
    assert "interpreter could not be executed" in message and "apt-get install" not in message


def test_failed_preload_is_logged_not_fatal(caplog) -> None:
    with caplog.at_level(logging.WARNING), get_sandbox("local", workers=1, preload=["no_such_module_xyz"]) as sb:
        assert sb.run("print(2)").stdout == "2\n"
    assert "no_such_module_xyz" in caplog.text


def test_close_leaves_no_process_behind() -> None:
    before = descendants()
    sandbox = get_sandbox("local", workers=2, preload=[])
    assert len(descendants() - before) >= 2
    sandbox.close()
    sandbox.close()  # twice is fine
    deadline = time.monotonic() + 5
    while descendants() - before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not descendants() - before
    with pytest.raises(RuntimeError, match="closed"):
        sandbox.run("print(1)")


def test_code_sees_a_clean_identity(one_worker) -> None:
    code = "import os, socket\nprint(os.getpid(), os.getuid(), socket.gethostname(), sorted(os.listdir('/proc'))[:1])"
    pid, uid, host, procs = one_worker.run(code).stdout.split(maxsplit=3)
    assert pid == "1" and uid != "0" and host == "sandbox"


def test_code_is_routed_to_the_tier_that_preloaded_its_modules() -> None:
    with get_sandbox("local", workers=1) as sb:  # default tiers: [math, numpy] and [math, numpy, sympy]
        assert len(sb.worker_pids) == 2
        light = sb.run("import sys\nprint('numpy' in sys.modules, 'sym' + 'py' in sys.modules)")
        assert light.stdout == "True False\n"
        heavy = sb.run("import sys  # uses sympy\nprint('sympy' in sys.modules)")
        assert heavy.stdout == "True\n"
        hidden = sb.run("m = __import__('sym' + 'py')\nprint(m.Integer(2) + 1)", timeout_s=60)
        assert hidden.stdout == "3\n"  # a light worker still runs it, importing sympy itself


def test_host_paths_under_tmp_stay_visible_in_every_execution(tmp_path):
    """A checkout or venv under /tmp must not be hidden by the private /tmp (CI may clone there)."""
    assert str(tmp_path).startswith("/tmp/")
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "helper_under_tmp.py").write_text("ANSWER = 42\n")
    code = f"import sys; sys.path.insert(0, {str(shared)!r}); import helper_under_tmp; print(helper_under_tmp.ANSWER)"
    with get_sandbox("local", workers=1, extra_ro_paths=[str(shared)]) as sandbox:
        for _ in range(2):  # each execution mounts a fresh /tmp: the path is bound back every time
            result = sandbox.run(code)
            assert (result.status, result.stdout) == ("ok", "42\n"), result.stderr
        leak = sandbox.run(f"open({str(shared / 'x')!r}, 'w')")
        assert leak.status == "error" and "Read-only file system" in leak.error_last_line
