"""The CUDA backend: the first visible GPU (or ``cuda:N``), bf16 where supported."""

from __future__ import annotations

from typing import Any

import torch

from llmrl_backend_cuda.config import CudaBackendConfig
from llmrl_core import Backend


class CudaBackend(Backend):
    name = "cuda"
    priority = 100

    def __init__(self, config: CudaBackendConfig):
        self.config = config
        self.index = config.index

    def is_available(self) -> bool:
        return torch.cuda.is_available() and torch.cuda.device_count() > self.index

    @property
    def device(self) -> torch.device:
        return torch.device("cuda", self.index)

    @property
    def default_dtype(self) -> torch.dtype:
        if self.is_available() and torch.cuda.is_bf16_supported():
            return torch.bfloat16
        return torch.float16

    def describe(self) -> dict[str, Any]:
        info = super().describe()
        info["torch_cuda"] = torch.version.cuda
        if self.is_available():
            props = torch.cuda.get_device_properties(self.index)
            info.update(
                device_name=props.name,
                memory_gib=round(props.total_memory / 2**30, 1),
                capability=f"{props.major}.{props.minor}",
                dtype=str(self.default_dtype).removeprefix("torch."),
            )
        else:
            info["reason"] = "no CUDA device visible to torch" if torch.version.cuda else "torch was built without CUDA"
        return info
