"""The vllm provider: importable and listed without vLLM; the conformance suite on a GPU with vLLM."""

from __future__ import annotations

import importlib.util

import pytest

from llmrl_core import ComponentUnavailableError, get_provider, list_components
from llmrl_core.testing import ProviderConformance

HAS_VLLM = importlib.util.find_spec("vllm") is not None


def _has_cuda() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return torch.cuda.is_available()


def test_plugin_is_listed_without_importing_vllm() -> None:
    import sys

    import llmrl_provider_vllm.plugin  # noqa: F401

    comp = next(c for c in list_components("provider") if c.name == "vllm")
    assert comp.distribution == "llmrl-provider-vllm"
    assert "vllm" not in sys.modules or HAS_VLLM


@pytest.mark.skipif(HAS_VLLM, reason="vllm is installed here")
def test_without_vllm_get_provider_says_how_to_install_it() -> None:
    with pytest.raises(ComponentUnavailableError, match=r"pip install vllm"):
        get_provider("vllm")


def test_bad_config_is_rejected_before_vllm_is_needed() -> None:
    from llmrl_core import ConfigError

    with pytest.raises(ConfigError, match="gpu_memory_utilization"):
        get_provider("vllm", gpu_memory_utilization=1.5)


@pytest.mark.gpu
@pytest.mark.skipif(not (HAS_VLLM and _has_cuda()), reason="needs vllm and a CUDA GPU")
class TestVLLMConformance(ProviderConformance):
    reports_token_ids = True
    reports_logprobs = True

    @pytest.fixture(scope="class")
    @classmethod
    def provider(cls):  # a classmethod: pytest >= 9.1 deprecates class-scoped fixtures on instances
        with get_provider("vllm", gpu_memory_utilization=0.3, enforce_eager=True) as provider:
            yield provider
