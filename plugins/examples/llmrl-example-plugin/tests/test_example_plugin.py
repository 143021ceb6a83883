"""The example plugin runs llmrl's conformance suites, as a third-party plugin would."""

from __future__ import annotations

import pytest

from llmrl_core import get_sandbox, make_env
from llmrl_core.testing import EnvironmentConformance, SandboxConformance


class TestCorridor(EnvironmentConformance):
    env_id = "llmrl-example/Corridor-v0"


@pytest.fixture(scope="module")
def example_sandbox():
    with get_sandbox("example-subprocess") as sandbox:
        yield sandbox


class TestExampleSandbox(SandboxConformance):
    """The fixture pattern docs/plugin-authoring.md shows (pytest >= 9: no class-scoped instance fixture)."""

    timeout_slack_s = 3.0

    @pytest.fixture
    def sandbox(self, example_sandbox):
        return example_sandbox


def test_walking_right_reaches_the_goal():
    env = make_env("llmrl-example/Corridor-v0", length=4)
    env.reset(seed=0)
    rewards = [env.step(1)[1:3] for _ in range(3)]
    assert rewards[-1] == (1.0, True) and all(r == -0.01 for r, _ in rewards[:-1])


def test_invalid_length_is_a_clear_error():
    with pytest.raises(ValueError, match="length must be >= 2"):
        make_env("llmrl-example/Corridor-v0", length=1)


def test_subprocess_sandbox_basics():
    from llmrl_core import get_sandbox

    with get_sandbox("example-subprocess") as sandbox:
        assert sandbox.run("print(6 * 7)").stdout == "42\n"
        failed = sandbox.run("1/0")
        assert failed.status == "error" and failed.error_last_line.startswith("ZeroDivisionError")
        assert sandbox.run("import time; time.sleep(5)", timeout_s=0.5).status == "timeout"
        assert sandbox.run("print(open('data.txt').read())", files={"data.txt": b"hi"}).stdout == "hi\n"


def test_sandbox_settings_come_from_its_config_model():
    from llmrl_core import ConfigError
    from llmrl_example_plugin.config import SubprocessSandboxConfig

    with get_sandbox("example-subprocess", output_limit_bytes=1024) as sandbox:
        assert isinstance(sandbox.config, SubprocessSandboxConfig) and sandbox.config.output_limit_bytes == 1024
        assert sandbox.run("print('x' * 5000)").status == "output_limit"
    with pytest.raises(ConfigError, match="unknown field 'output_limit'.*valid fields: output_limit_bytes, python"):
        get_sandbox("example-subprocess", output_limit=1024)


HOSTILE_AGAINST_EXAMPLE = '''
import pytest
from llmrl_core import get_sandbox
from llmrl_core.testing import HostileProgramSuite


class TestExampleSandboxHostile(HostileProgramSuite):
    @pytest.fixture
    def sandbox(self):
        with get_sandbox("example-subprocess") as sb:
            yield sb
'''


def test_hostile_suite_refuses_a_sandbox_that_does_not_isolate(tmp_path):
    """The example sandbox isolates nothing, so every hostile probe must skip before it runs."""
    import subprocess
    import sys

    from llmrl_core import get_sandbox

    with get_sandbox("example-subprocess") as sandbox:
        assert sandbox.isolates is False
    (tmp_path / "test_hostile_example.py").write_text(HOSTILE_AGAINST_EXAMPLE)
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", "--import-mode=importlib",
                           str(tmp_path)], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    summary = done.stdout.strip().splitlines()[-1]
    assert done.returncode == 0 and "skipped" in summary and "passed" not in summary and "failed" not in summary, done.stdout
    assert "does not declare that it isolates" in done.stdout and "fork and memory bombs" in done.stdout


def test_a_write_probe_cleans_up_what_a_non_isolating_sandbox_let_it_write(tmp_path):
    """The probe body against the example sandbox, aimed at directories of this test's own."""
    from llmrl_core import get_sandbox
    from llmrl_core.testing.hostile import probe_name, removing_afterwards, try_writes

    (tmp_path / "etc").mkdir()
    (tmp_path / "usr").mkdir()
    targets = [f"{tmp_path}/etc/{{name}}", f"{tmp_path}/usr/{{name}}.py"]
    name = probe_name()
    with get_sandbox("example-subprocess") as sandbox:
        result, written = try_writes(sandbox, targets, name)
        assert result.stdout.count("WROTE") == 2, result  # it does not isolate: the writes went through
        assert sorted(written) == [tmp_path / "etc" / name, tmp_path / "usr" / f"{name}.py"]
        assert not any(path.exists() for path in written), "the probe left its files behind"

        with removing_afterwards(sandbox, targets, name, on_host=False):  # only the in-sandbox clean-up
            sandbox.run(f"open({str(tmp_path / 'etc' / name)!r}, 'w').write('x')")
            assert (tmp_path / "etc" / name).exists()
        assert not (tmp_path / "etc" / name).exists()
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["etc", "usr"]
