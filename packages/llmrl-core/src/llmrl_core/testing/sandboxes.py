"""The sandbox contract: statuses, output, limits, files, ordering, no state between runs.

Subclass :class:`SandboxConformance` and provide a ``sandbox`` fixture. Build the
sandbox once (sandboxes with worker pools are slow to start) in a module-scoped
fixture, in the pattern pytest >= 9 accepts (a class-scoped fixture written as an
instance method is deprecated since pytest 9.1; ``@classmethod`` under it also works)::

    @pytest.fixture(scope="module")
    def my_sandbox():
        with get_sandbox("mine") as sb:
            yield sb

    class TestMySandbox(SandboxConformance):
        @pytest.fixture
        def sandbox(self, my_sandbox):
            return my_sandbox

The knobs (class attributes) are listed on docs/sandboxes.md; a failing assertion
names the knob that relaxes it where one exists.
"""

from __future__ import annotations

import threading

import pytest

from llmrl_core.sandbox import EXEC_STATUSES, ExecResult, Sandbox


class SandboxConformance:
    """What every ``Sandbox`` must do. Set ``enforces_memory_limit = False`` if yours cannot limit memory."""

    enforces_memory_limit: bool = True
    """False skips the memory test: for a sandbox that cannot limit ``memory_mb`` (say so in its docs)."""
    timeout_slack_s: float = 3.0
    """How much longer than ``timeout_s`` a timed-out run may take to come back (raise it for a remote sandbox)."""

    def _timed_out_in_time(self, result: ExecResult, timeout_s: float) -> None:
        assert result.status == "timeout", result
        assert result.duration_s < timeout_s + self.timeout_slack_s, (
            f"a run with timeout_s={timeout_s} came back after {result.duration_s:.1f} s; the suite allows "
            f"timeout_s + timeout_slack_s ({self.timeout_slack_s}). Raise timeout_slack_s if your sandbox is remote.")

    def test_hello_world(self, sandbox: Sandbox) -> None:
        result = sandbox.run("print('hello from the sandbox')", timeout_s=10)
        assert isinstance(result, ExecResult)
        assert result.status == "ok", result
        assert result.ok and result.exit_code == 0
        assert result.stdout == "hello from the sandbox\n"
        assert result.stderr == ""
        assert result.duration_s > 0

    def test_stdout_and_stderr_are_separate(self, sandbox: Sandbox) -> None:
        result = sandbox.run("import sys\nprint('out')\nprint('err', file=sys.stderr)")
        assert result.status == "ok", result
        assert result.stdout == "out\n"
        assert result.stderr.strip() == "err"

    def test_exception_is_an_error_with_its_last_line(self, sandbox: Sandbox) -> None:
        result = sandbox.run("def f():\n    return 1 / 0\nf()")
        assert result.status == "error", result
        assert result.exit_code not in (0, None)
        assert result.error_last_line == "ZeroDivisionError: division by zero"

    def test_syntax_error_is_an_error(self, sandbox: Sandbox) -> None:
        result = sandbox.run("def broken(:\n    pass")
        assert result.status == "error", result
        assert result.error_last_line.startswith("SyntaxError"), result.stderr

    def test_exit_code_is_reported(self, sandbox: Sandbox) -> None:
        result = sandbox.run("import sys\nprint('bye')\nsys.exit(3)")
        assert result.status == "error", result
        assert result.exit_code == 3
        assert result.stdout == "bye\n"
        assert sandbox.run("raise SystemExit(0)").status == "ok"

    def test_numpy_and_sympy_work(self, sandbox: Sandbox) -> None:
        code = (
            "import numpy as np, sympy as sp\n"
            "x = sp.symbols('x')\n"
            "print(int(np.arange(10).sum()), sp.solve(x**2 - 4, x))"
        )
        result = sandbox.run(code, timeout_s=30)
        assert result.status == "ok", result
        assert result.stdout.strip() == "45 [-2, 2]"

    def test_busy_loop_times_out(self, sandbox: Sandbox) -> None:
        self._timed_out_in_time(sandbox.run("while True:\n    pass", timeout_s=1.0), 1.0)

    def test_sleep_times_out(self, sandbox: Sandbox) -> None:
        self._timed_out_in_time(sandbox.run("import time\nprint('start', flush=True)\ntime.sleep(60)", timeout_s=1.0), 1.0)

    def test_memory_limit(self, sandbox: Sandbox) -> None:
        if not self.enforces_memory_limit:
            pytest.skip(f"{type(sandbox).__name__} does not enforce memory_mb")
        result = sandbox.run("blob = bytearray(4 * 1024 ** 3)\nprint(len(blob))", memory_mb=256, timeout_s=20)
        assert result.status == "oom", (
            f"{result}: a 4 GiB allocation under memory_mb=256 must end with status 'oom'. If "
            f"{type(sandbox).__name__} cannot limit memory, set enforces_memory_limit = False (and document it).")
        assert "4294967296" not in result.stdout

    def test_modest_memory_is_fine(self, sandbox: Sandbox) -> None:
        result = sandbox.run("import numpy as np\nprint(np.ones(10_000_000).sum())", memory_mb=512, timeout_s=20)
        assert result.status == "ok", result
        assert result.stdout.strip() == "10000000.0"

    def test_files_are_in_the_working_dir(self, sandbox: Sandbox) -> None:
        files = {"data.txt": b"21\n", "sub/more.bin": bytes([0, 1, 2])}
        code = "print(int(open('data.txt').read()) * 2, list(open('sub/more.bin', 'rb').read()))"
        result = sandbox.run(code, files=files)
        assert result.status == "ok", result
        assert result.stdout.strip() == "42 [0, 1, 2]"

    def test_nothing_persists_between_runs(self, sandbox: Sandbox) -> None:
        first = sandbox.run(
            "import os, builtins\n"
            "open('left_behind.txt', 'w').write('x')\n"
            "builtins.LEFT_BEHIND = 1\n"
            "print(os.getcwd())"
        )
        assert first.status == "ok", first
        cwd = first.stdout.strip()
        second = sandbox.run(
            "import os, builtins\n"
            f"print(os.path.exists('left_behind.txt'), os.path.exists({cwd!r} + '/left_behind.txt'),"
            " hasattr(builtins, 'LEFT_BEHIND'))"
        )
        assert second.status == "ok", second
        assert second.stdout.strip() == "False False False"

    def test_non_utf8_output_is_replaced_not_raised(self, sandbox: Sandbox) -> None:
        result = sandbox.run("import sys\nsys.stdout.buffer.write(b'ok \\xff\\xfe end\\n')")
        assert result.status == "ok", result
        assert isinstance(result.stdout, str)
        assert result.stdout.startswith("ok ") and result.stdout.rstrip().endswith("end")
        assert "\ufffd" in result.stdout

    def test_run_many_keeps_input_order(self, sandbox: Sandbox) -> None:
        codes = [f"print({i} * {i})" for i in range(24)] + ["1/0"]
        results = sandbox.run_many(codes, timeout_s=10)
        assert [r.stdout.strip() for r in results[:-1]] == [str(i * i) for i in range(24)]
        assert results[-1].status == "error"

    def test_concurrent_runs_from_threads(self, sandbox: Sandbox) -> None:
        results: dict[int, ExecResult] = {}

        def work(i: int) -> None:
            results[i] = sandbox.run(f"print('thread', {i})")

        threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert {i: r.stdout.strip() for i, r in results.items()} == {i: f"thread {i}" for i in range(8)}

    def test_statuses_are_known(self, sandbox: Sandbox) -> None:
        for code in ("print(1)", "1/0", "import sys; sys.exit(2)"):
            assert sandbox.run(code).status in EXEC_STATUSES
