"""Fixtures: the real ``local`` sandbox and ``transformers`` provider (the embedded model), skipped cleanly when not installed."""

from __future__ import annotations

import sys

import pytest

from llmrl_core import ComponentUnavailableError, UnknownComponentError, get_provider, get_sandbox


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


@pytest.fixture(scope="session")
def embedded_llm():
    """The embedded SmolLM2 through the ``transformers`` provider, loaded once for the session's tests."""
    try:
        provider = get_provider("transformers")
    except UnknownComponentError:
        pytest.skip("the 'transformers' provider (llmrl-provider-transformers) is not installed")
    except ComponentUnavailableError as exc:
        pytest.skip(f"the embedded model cannot load here: {exc}")
    with provider:
        yield provider


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
