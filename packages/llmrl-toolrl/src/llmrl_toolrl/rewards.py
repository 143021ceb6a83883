"""ToRL's reward and the tool metrics, as a TRL reward function.

+1 when the last ``\\boxed{}`` matches the reference (math-verify), −1 otherwise (no box,
unparseable, wrong). The optional execution penalty (ToRL: −0.5, off by default) is added
only to a response that *called a tool* and had an execution fail — per call statuses are
kept, so a later successful call never hides an earlier failure.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from llmrl_grpo.rewards import AccuracyReward, completion_text

BOXED = "\\boxed"


def last_boxed(text: str) -> str | None:
    """The text from the last ``\\boxed`` on (what math-verify should read); None without one."""
    at = text.rfind(BOXED)
    return text[at:] if at >= 0 else None


class ToolReward:
    """``f(prompts, completions, answer=..., tool_statuses=...) -> list[float]`` for GRPOTrainer."""

    __name__ = "toolrl"

    def __init__(self, exec_penalty: float | None = None, answer_column: str = "answer") -> None:
        self.exec_penalty = exec_penalty
        self.answer_column = answer_column
        # ToRL: math-verify alone; an unevaluated expression is not an answer, else the judge computes what the
        # tool should (RL without the tool found \boxed{47 * 83} in an 8-step run)
        self._accuracy = AccuracyReward(answer_column, sympy_judge=False, numbers_only=True)
        self.last_batch: dict[str, list] = {"texts": [], "scores": [], "ids": []}
        """Latest batch: texts, accuracy scores (+1 / −1, without the penalty) and example ids."""

    @property
    def unparseable(self) -> int:
        return self._accuracy.unparseable

    def accuracy(self, text: str, reference: str) -> float:
        """+1 right, −1 wrong or without a ``\\boxed{}``."""
        boxed = last_boxed(text)
        if boxed is None:
            return -1.0
        return 1.0 if self._accuracy.score(boxed, str(reference)) == 1.0 else -1.0

    def score(self, text: str, reference: str, statuses: Sequence[str] = ()) -> float:
        reward = self.accuracy(text, reference)
        if self.exec_penalty is not None and statuses and any(s != "ok" for s in statuses):
            reward += self.exec_penalty
        return reward

    def __call__(self, prompts: Sequence[Any] | None = None, completions: Sequence[Any] = (), **columns: Any) -> list[float]:
        references = columns.get(self.answer_column)
        if references is None:
            raise KeyError(f"the ToRL reward needs the dataset column {self.answer_column!r}; got {sorted(columns)}")
        texts = [completion_text(c) for c in completions]
        statuses = columns.get("tool_statuses") or [[] for _ in texts]
        accuracy = [self.accuracy(t, str(r)) for t, r in zip(texts, references, strict=True)]
        rewards = [
            a + (self.exec_penalty if self.exec_penalty is not None and s and any(x != "ok" for x in s) else 0.0)
            for a, s in zip(accuracy, statuses, strict=True)
        ]
        self.last_batch = {"texts": texts, "scores": accuracy, "ids": list(columns.get("id") or [])}
        log_metric = columns.get("log_metric")
        if log_metric is not None:
            for name, value in tool_metrics(statuses, accuracy, columns.get("response_tokens")).items():
                log_metric(name, value)
        return rewards


def tool_metrics(statuses: Sequence[Sequence[str]], accuracy: Sequence[float],
                 response_tokens: Sequence[int] | None = None) -> dict[str, float]:
    """Tool calls per response, execution success rate, share of responses using tools, accuracy, length."""
    n = max(len(statuses), 1)
    calls = [s for per in statuses for s in per]
    out = {
        "tools/calls_per_response": len(calls) / n,
        "tools/exec_success_rate": (sum(s == "ok" for s in calls) / len(calls)) if calls else 0.0,
        "tools/response_share": sum(1 for per in statuses if per) / n,
        "tools/accuracy": sum(a > 0 for a in accuracy) / max(len(accuracy), 1),
    }
    if response_tokens:
        out["tools/response_tokens"] = sum(response_tokens) / len(response_tokens)
    return out
