"""What every llmrl-env-math task shares: splits held in memory and math-verify scoring."""

from __future__ import annotations

from llmrl_core.task import Split, Task, TaskExample


class SplitTask(Task):
    """A task whose ``__init__`` fills ``self._splits`` (split name -> examples), scored with math-verify."""

    _splits: dict[str, list[TaskExample]]

    def dataset(self, split: Split = "train") -> list[TaskExample]:
        if split not in self._splits:
            raise ValueError(f"unknown split {split!r}; use 'train' or 'test'")
        return list(self._splits[split])

    def score(self, completion: str, reference: str) -> float:
        from llmrl_env_math.verify import is_correct

        return 1.0 if is_correct(completion, reference) else 0.0
