"""The local sandbox against llmrl's sandbox contract and hostile-program suite, through the registry."""

from __future__ import annotations

import pytest

from llmrl_core import get_sandbox
from llmrl_core.testing import HostileProgramSuite, SandboxConformance


@pytest.fixture(scope="module")
def local_sandbox():
    with get_sandbox("local", workers=2) as sandbox:
        yield sandbox


class TestLocalSandboxConformance(SandboxConformance):
    @pytest.fixture
    def sandbox(self, local_sandbox):
        return local_sandbox


class TestLocalSandboxHostile(HostileProgramSuite):
    @pytest.fixture
    def sandbox(self, local_sandbox):
        return local_sandbox


@pytest.fixture(scope="module")
def rlimits_only_sandbox():
    with get_sandbox("local", isolation="rlimits-only", workers=1, preload=["math", "numpy"]) as sandbox:
        yield sandbox


class TestRlimitsOnlyConformance(SandboxConformance):
    """The weaker, opt-in mode still keeps the contract (but is not run against hostile programs)."""

    @pytest.fixture
    def sandbox(self, rlimits_only_sandbox):
        return rlimits_only_sandbox
