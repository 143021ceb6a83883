"""llmrl-rewardgen: LLM-written reward code.

- :mod:`llmrl_rewardgen.codegen`: the reusable LLM -> code -> sandbox validation -> repair loop.
- :mod:`llmrl_rewardgen.lare`: LaRe latent rewards, the reward decoder and RL integration.
"""

from llmrl_rewardgen.codegen import (
    CodegenConfig,
    CodegenError,
    CodegenLoop,
    CodegenRound,
    CodegenTranscript,
    ExtractionError,
    SandboxFailure,
    SandboxProgram,
    first_of,
    harness,
    json_field,
    python_block,
)

__all__ = [
    "CodegenConfig", "CodegenError", "CodegenLoop", "CodegenRound", "CodegenTranscript", "ExtractionError",
    "SandboxFailure", "SandboxProgram", "first_of", "harness", "json_field", "python_block",
]
