"""The CPU backend: always available, float32."""

from __future__ import annotations

from typing import Any

from llmrl_core.backend import Backend


def _torch() -> Any:
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - depends on the environment
        from llmrl_core.errors import ComponentUnavailableError

        raise ComponentUnavailableError("the cpu backend needs torch: pip install torch") from exc
    return torch


class CpuBackend(Backend):
    name = "cpu"
    priority = 0

    def is_available(self) -> bool:
        return True

    @property
    def device(self) -> Any:
        return _torch().device("cpu")

    @property
    def default_dtype(self) -> Any:
        return _torch().float32

    def describe(self) -> dict[str, Any]:
        import os
        import platform

        return {**super().describe(), "processor": platform.processor() or platform.machine(), "cores": os.cpu_count()}
