"""Settings: the tool loop's (:class:`ToolConfig`) and a training run's (:class:`ToRLTrainConfig`).

``ToRLTrainConfig`` composes llmrl-grpo's parts that the training entry point reads (model/run,
``optim``, ``generation``, ``eval``) with its own (``tools``, ``exec_penalty``); GRPO's
instruction and ``rewards`` are not in it, because nothing here reads them.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from llmrl_grpo.config import GenerationConfig, HeldOutConfig, Mode, RecipeConfig

TORL_TEMPLATE = (
    "A conversation between User and Assistant. The user asks a question, and the Assistant solves it. "
    "User: Please integrate natural language reasoning with programs to solve the problem above, and put your "
    "final answer within \\boxed{{}}.\n{question}\nAssistant:"
)
"""ToRL's base-model template ({question} is replaced; ``{{}}`` is a literal ``{}``)."""


class ToolConfig(BaseModel):
    """The stop-execute-continue loop: how many calls, which sandbox, which limits, how prompts look."""

    model_config = ConfigDict(extra="forbid")

    max_tool_calls: int = Field(1, ge=0, description="C: code executions per response; after C the stop marker is dropped.")
    sandbox: str = Field("local", description="A sandbox name from `llmrl plugins` (llmrl_sandboxes hook).")
    sandbox_config: dict[str, Any] = Field(default_factory=dict, description="Keyword arguments of the sandbox.")
    timeout_s: float = Field(10.0, gt=0, description="Per-execution time limit (ToRL: 10 s).")
    memory_mb: int = Field(512, ge=16, description="Per-execution memory limit.")
    prompt_template: str = Field(TORL_TEMPLATE, description="Plain-text prompt; {question} is replaced by the question.")
    assistant_prefix: str = Field("", description="Text put after the prompt for the model to continue (e.g. '```python\\n').")
    overlap_chunk: int | None = Field(
        None, ge=1, description="Text mode (a provider, as `llmrl toolrl solve`): sample each round in chunks of this "
        "many responses and run a chunk's code in the background while the next chunk is sampled (None: one batch "
        "per round). The token-exact loop (training) always runs code while the other rows decode.",
    )
    max_sandbox_error_rate: float = Field(
        0.5, ge=0.0, le=1.0,
        description="Share of a batch's executions allowed to fail inside the sandbox itself (status sandbox_error) "
        "before the rollout stops with SandboxUnavailableError instead of scoring those answers wrong in silence.",
    )

    def render(self, question: str) -> str:
        """The prompt text the model continues: template with the question, then the assistant prefix."""
        return self.prompt_template.format(question=question) + self.assistant_prefix


class ToRLGenerationConfig(GenerationConfig):
    """Sampling during training; a response holds model and tool-output tokens."""

    max_completion_length: int = Field(256, ge=1, description="Model + tool-output tokens per response.")


class ToRLTrainConfig(RecipeConfig):
    """``llmrl toolrl train``: the training entry point's parts, the tool loop and ToRL's reward (+1 / −1)."""

    output: str = Field("runs/toolrl", description="Run directory: config, metrics.jsonl, checkpoints, curves, eval.")
    mode: Mode = Field("grpo", description="grpo (n responses per prompt, group baseline, as ToRL) or maye.")
    generation: ToRLGenerationConfig = Field(default_factory=ToRLGenerationConfig, description="Sampling during training.")
    eval: HeldOutConfig = Field(default_factory=HeldOutConfig,
                                description="Held-out evaluation: greedy pass@1 with the tool loop, and the tool metrics.")
    tools: ToolConfig = Field(default_factory=ToolConfig, description="The stop-execute-continue loop.")
    exec_penalty: float | None = Field(
        None, description="Added to the reward of a response that called a tool and had a failed execution "
        "(ToRL: -0.5, off by default); null: off.",
    )
