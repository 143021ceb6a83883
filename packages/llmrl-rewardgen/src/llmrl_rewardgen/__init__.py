"""llmrl-rewardgen: LLM-written reward code.

- :mod:`llmrl_rewardgen.codegen`: the reusable LLM -> code -> sandbox validation -> repair loop.
- :mod:`llmrl_rewardgen.lare`: LaRe latent rewards, the reward decoder and RL integration.

Names load lazily so that the ``llmrl`` CLI, which imports the ``lare`` sub-app on
every start, stays fast.
"""

from __future__ import annotations

import importlib
from typing import Any

_CODEGEN = (
    "CodegenConfig", "CodegenError", "CodegenLoop", "CodegenRound", "CodegenTranscript", "ExtractionError",
    "SandboxFailure", "SandboxProgram", "first_of", "harness", "json_field", "python_block",
)
__all__ = sorted(_CODEGEN)


def __getattr__(name: str) -> Any:
    if name in _CODEGEN:
        return getattr(importlib.import_module("llmrl_rewardgen.codegen"), name)
    raise AttributeError(f"module 'llmrl_rewardgen' has no attribute {name!r}")
