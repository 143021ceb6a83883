"""llmrl-rewardgen: LLM-written reward code.

- :mod:`llmrl_rewardgen.codegen`: the reusable LLM -> code -> sandbox validation -> repair loop.
- :mod:`llmrl_rewardgen.lare`: LaRe latent rewards, the reward decoder and RL integration.

Names load lazily so that the ``llmrl`` CLI, which imports the ``lare`` sub-app on
every start, stays fast.
"""

from __future__ import annotations

from llmrl_core.lazy import lazy_exports

_CODEGEN = (
    "CodegenConfig", "CodegenError", "CodegenLoop", "CodegenRound", "CodegenTranscript", "ExtractionError",
    "SandboxProgram", "first_of", "harness", "json_field", "python_block",
)
__all__ = sorted(_CODEGEN)
__getattr__, __dir__ = lazy_exports(__name__, dict.fromkeys(_CODEGEN, "llmrl_rewardgen.codegen"))
