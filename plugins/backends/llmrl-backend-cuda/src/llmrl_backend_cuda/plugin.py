"""Hook implementations: describes the backend without importing torch."""

from __future__ import annotations

from llmrl_backend_cuda.config import CudaBackendConfig
from llmrl_core import BackendSpec, hookimpl


@hookimpl
def llmrl_backends():
    yield BackendSpec(
        name="cuda",
        factory="llmrl_backend_cuda.backend:CudaBackend",
        priority=100,
        config=CudaBackendConfig,
        description="An NVIDIA GPU through CUDA; bf16 where the GPU supports it, else fp16.",
    )
