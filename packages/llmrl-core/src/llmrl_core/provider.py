"""The LLM provider interface: batched generation with sampling parameters."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import ClassVar, Literal, TypedDict

from llmrl_core.errors import ComponentUnavailableError


class ChatMessage(TypedDict):
    role: str
    content: str


Prompt = str | list[ChatMessage]
"""A plain-text prompt, or a chat conversation the provider renders with its template."""

FinishReason = Literal["stop", "length"]


@dataclass(frozen=True)
class SamplingParams:
    """How to sample. ``n`` completions per prompt; ``stop`` strings end a completion.

    ``grammar``, when set, constrains decoding: every completion is a prefix of a string the
    grammar admits (the whole string when it ends with ``finish_reason="stop"``). The text is a
    Lark grammar in llguidance's dialect (rule ``start``; vLLM's and SGLang's llguidance backends
    read the same text). Only providers whose ``supports_grammar`` is True accept it; the others
    raise :class:`GrammarUnsupportedError` rather than sample freely.
    """

    n: int = 1
    temperature: float = 1.0
    top_p: float = 1.0
    max_tokens: int = 256
    stop: tuple[str, ...] = ()
    seed: int | None = None
    grammar: str | None = None

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


class GrammarUnsupportedError(ComponentUnavailableError):
    """``SamplingParams.grammar`` was set for a provider that cannot constrain its decoding."""


class LLMProvider(ABC):
    """Anything that turns prompts into completions.

    ``generate`` returns ``len(prompts) * params.n`` generations, grouped by
    prompt: the ``n`` samples of prompt 0 first, then those of prompt 1, ...

    ``supports_grammar`` declares grammar-constrained decoding (``SamplingParams.grammar``):
    a provider that masks the logits itself (transformers) can; a plain OpenAI-compatible
    endpoint cannot, and must refuse a grammar with :func:`refuse_grammar`.
    """

    name: str = "provider"
    supports_grammar: ClassVar[bool] = False

    @abstractmethod
    def generate(self, prompts: list[Prompt], params: SamplingParams | None = None) -> list[Generation]:
        """Complete each prompt ``params.n`` times."""

    def close(self) -> None:
        """Release resources (engines, HTTP sessions). Safe to call twice."""

    def __enter__(self) -> LLMProvider:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def refuse_grammar(provider: LLMProvider, params: SamplingParams | None) -> None:
    """Raise :class:`GrammarUnsupportedError` when ``params`` asks ``provider`` for a grammar it cannot honour."""
    if params is not None and params.grammar is not None and not provider.supports_grammar:
        raise GrammarUnsupportedError(
            f"provider {provider.name!r} cannot constrain decoding to a grammar (SamplingParams.grammar): it "
            "samples freely. Use a provider that declares supports_grammar (the 'transformers' provider, in "
            "process), or switch grammar-constrained decoding off."
        )
