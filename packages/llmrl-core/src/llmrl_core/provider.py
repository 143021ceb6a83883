"""The LLM provider interface: batched generation with sampling parameters."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Literal, TypedDict


class ChatMessage(TypedDict):
    role: str
    content: str


Prompt = str | list[ChatMessage]
"""A plain-text prompt, or a chat conversation the provider renders with its template."""

FinishReason = Literal["stop", "length"]


@dataclass(frozen=True)
class SamplingParams:
    """How to sample. ``n`` completions per prompt; ``stop`` strings end a completion."""

    n: int = 1
    temperature: float = 1.0
    top_p: float = 1.0
    max_tokens: int = 256
    stop: tuple[str, ...] = ()
    seed: int | None = None

    def __post_init__(self) -> None:
        if isinstance(self.stop, str):
            object.__setattr__(self, "stop", (self.stop,))
        else:
            object.__setattr__(self, "stop", tuple(self.stop))
        if self.n < 1:
            raise ValueError(f"SamplingParams.n must be >= 1, got {self.n}")
        if self.temperature < 0:
            raise ValueError(f"SamplingParams.temperature must be >= 0, got {self.temperature}")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"SamplingParams.top_p must be in (0, 1], got {self.top_p}")
        if self.max_tokens < 1:
            raise ValueError(f"SamplingParams.max_tokens must be >= 1, got {self.max_tokens}")


@dataclass
class Generation:
    """One completion. ``stop_reason`` is the stop string that ended it, if any."""

    text: str
    finish_reason: FinishReason
    stop_reason: str | None = None
    token_ids: list[int] | None = None
    logprobs: list[float] | None = None
    prompt_token_ids: list[int] | None = None
    metadata: dict = field(default_factory=dict)


class LLMProvider(ABC):
    """Anything that turns prompts into completions.

    ``generate`` returns ``len(prompts) * params.n`` generations, grouped by
    prompt: the ``n`` samples of prompt 0 first, then those of prompt 1, ...
    """

    name: str = "provider"

    @abstractmethod
    def generate(self, prompts: list[Prompt], params: SamplingParams | None = None) -> list[Generation]:
        """Complete each prompt ``params.n`` times."""

    def close(self) -> None:
        """Release resources (engines, HTTP sessions). Safe to call twice."""

    def __enter__(self) -> LLMProvider:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
