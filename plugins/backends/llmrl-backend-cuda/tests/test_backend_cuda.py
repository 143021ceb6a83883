"""The cuda backend through the backend suite; device checks skip without a GPU."""

from __future__ import annotations

import pytest
import torch

from llmrl_core import ComponentUnavailableError, get_backend
from llmrl_core.testing import BackendConformance


class TestCudaBackend(BackendConformance):
    backend_name = "cuda"


def test_outranks_cpu():
    from llmrl_backend_cuda.backend import CudaBackend
    from llmrl_core.backends.cpu import CpuBackend

    assert CudaBackend.priority > CpuBackend.priority


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the behaviour without a GPU")
def test_without_gpu_default_is_cpu_and_naming_cuda_explains():
    assert get_backend().name == "cpu"
    with pytest.raises(ComponentUnavailableError, match="llmrl doctor"):
        get_backend("cuda")
    from llmrl_backend_cuda.backend import CudaBackend
    from llmrl_backend_cuda.config import CudaBackendConfig

    assert CudaBackend(CudaBackendConfig()).describe()["reason"]


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_with_gpu_default_is_cuda_with_device_facts():
    backend = get_backend()
    assert backend.name == "cuda"
    info = backend.describe()
    assert info["device_name"] and info["memory_gib"] > 0
    assert backend.default_dtype in (torch.bfloat16, torch.float16)
