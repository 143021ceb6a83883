"""Config models of the math tasks (pydantic only: the plugin hook imports this module)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Operator = Literal["+", "-", "*"]

class ArithmeticConfig(BaseModel):
    """Knobs of the arithmetic task. The defaults are what `llmrl grpo train` uses."""

    model_config = ConfigDict(extra="forbid")

    seed: int = Field(0, description="Seed of the generator; the same seed gives the same splits.")
    train_size: int = Field(51, ge=1, description="Number of training questions.")
    test_size: int = Field(30, ge=1, description="Number of held-out questions.")
    min_value: int = Field(1, ge=0, description="Smallest operand.")
    max_value: int = Field(9, ge=1, description="Largest operand (9: one digit, 99: two digits).")
    num_operands: int = Field(2, ge=2, le=6, description="Operands per question.")
    operators: list[Operator] = Field(default_factory=lambda: ["+"], min_length=1, description="Operators to draw from.")
    word_problem_share: float = Field(0.0, ge=0.0, le=1.0, description="Share of questions phrased as a word problem.")
    allow_negative: bool = Field(False, description="Allow a negative result for '-' (else operands are ordered).")

    @model_validator(mode="after")
    def _check(self) -> ArithmeticConfig:
        if self.min_value > self.max_value:
            raise ValueError(f"min_value ({self.min_value}) must not exceed max_value ({self.max_value})")
        distinct = (self.max_value - self.min_value + 1) ** self.num_operands * len(set(self.operators))
        if self.train_size + self.test_size > distinct * (2 if self.word_problem_share > 0 else 1):
            raise ValueError(
                f"train_size + test_size = {self.train_size + self.test_size} exceeds the {distinct} distinct questions "
                "these knobs allow; widen min_value..max_value, add operands or operators, or shrink the splits"
            )
        return self


Phrasing = Literal["symbol", "times", "cross", "product", "multiply", "word"]


class MultiplicationConfig(BaseModel):
    """Knobs of the multiplication task (``llmrl_env_math.multiplication.PHRASINGS`` shows each phrasing)."""

    model_config = ConfigDict(extra="forbid")

    seed: int = Field(0, description="Seed of the generator; the same seed gives the same splits.")
    train_size: int = Field(200, ge=1, description="Number of training questions.")
    test_size: int = Field(50, ge=1, description="Number of held-out questions.")
    min_a: int = Field(10, ge=0, description="Smallest first factor.")
    max_a: int = Field(99, ge=1, description="Largest first factor.")
    min_b: int = Field(10, ge=0, description="Smallest second factor.")
    max_b: int = Field(99, ge=1, description="Largest second factor.")
    phrasings: list[Phrasing] = Field(
        default_factory=lambda: ["symbol", "times", "cross", "product", "multiply"], min_length=1,
        description="Question templates to draw from: symbol (47 * 83), times, cross (×), product, multiply, word.")

    @model_validator(mode="after")
    def _check(self) -> MultiplicationConfig:
        if self.min_a > self.max_a or self.min_b > self.max_b:
            raise ValueError("min_a/min_b must not exceed max_a/max_b")
        pairs = (self.max_a - self.min_a + 1) * (self.max_b - self.min_b + 1)
        if self.train_size + self.test_size > pairs // 2:
            raise ValueError(f"train_size + test_size = {self.train_size + self.test_size} is over half the {pairs} "
                             "factor pairs these ranges allow; widen min_a..max_a / min_b..max_b or shrink the splits")
        return self


class DotsConfig(BaseModel):
    """Knobs of the "how many dots?" image task."""

    model_config = ConfigDict(extra="forbid")

    seed: int = Field(0, description="Seed of the pictures; the same seed draws the same splits.")
    train_size: int = Field(64, ge=1, description="Number of training pictures.")
    test_size: int = Field(16, ge=1, description="Number of held-out pictures.")
    min_dots: int = Field(1, ge=0, description="Fewest dots in a picture.")
    max_dots: int = Field(9, ge=0, description="Most dots in a picture.")
    image_size: int = Field(112, ge=28, description="Side of the square picture in pixels (Qwen2-VL: 28 per merged token).")
    dot_radius: int = Field(5, ge=1, description="Radius of a dot in pixels.")

    @model_validator(mode="after")
    def _check(self) -> DotsConfig:
        if self.min_dots > self.max_dots:
            raise ValueError(f"min_dots ({self.min_dots}) must not exceed max_dots ({self.max_dots})")
        return self


class FileTaskConfig(BaseModel):
    """A task read from your own JSONL or Parquet files."""

    model_config = ConfigDict(extra="forbid")

    path: str = Field(..., description="Training file (.jsonl, .json or .parquet).")
    test_path: str | None = Field(None, description="Held-out file; without one, test_fraction of path is held out.")
    test_fraction: float = Field(0.1, gt=0.0, lt=1.0, description="Share held out when there is no test_path.")
    seed: int = Field(0, description="Seed of the held-out draw (when there is no test_path).")
    limit: int | None = Field(None, ge=1, description="Read at most this many rows per file.")
    question_field: str | None = Field(None, description="Column of the question (default: the format's).")
    answer_field: str | None = Field(None, description="Column of the answer (default: the format's).")
