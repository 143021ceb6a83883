"""Fixtures: the real ``local`` sandbox and ``transformers`` provider, skipped cleanly when not installed."""

from __future__ import annotations

import sys

import pytest

from llmrl_core import ComponentUnavailableError, UnknownComponentError, get_sandbox


@pytest.fixture(scope="session")
def local_sandbox():
    """The kernel-isolated ``local`` sandbox (llmrl-sandbox-local), shared by the session's tests."""
    try:
        sandbox = get_sandbox("local")
    except UnknownComponentError:
        pytest.skip("the 'local' sandbox (llmrl-sandbox-local) is not installed: LLM-written code only runs in a real sandbox")
    except ComponentUnavailableError as exc:
        pytest.skip(f"the 'local' sandbox cannot start here: {exc}")
    with sandbox:
        yield sandbox


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """The test machine's 2 cores are shared: one torch thread is faster than two under contention.

    Only when torch is already imported (by a test module that needs it): importing it here costs seconds.
    """
    torch = sys.modules.get("torch")
    if torch is None:
        yield
        return
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)
