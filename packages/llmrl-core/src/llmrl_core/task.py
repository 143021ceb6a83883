"""The task interface: an LLM reasoning dataset with a verifier."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Literal

Split = Literal["train", "test"]


@dataclass(frozen=True)
class TaskExample:
    """One problem: the question, its reference answer, and anything else (an image, ...)."""

    id: str
    prompt: str
    reference: str
    metadata: dict[str, Any] = field(default_factory=dict)


class Task(ABC):
    """A set of prompts with reference answers and a scoring rule."""

    name: str = "task"

    @abstractmethod
    def dataset(self, split: Split = "train") -> list[TaskExample]:
        """The examples of a split, in a fixed order."""

    @abstractmethod
    def score(self, completion: str, reference: str) -> float:
        """How right ``completion`` is against ``reference``: 1.0 correct, 0.0 wrong."""
