"""The reasoning-task contract: a stable dataset and a verifier that tells right from wrong."""

from __future__ import annotations

import pytest

from llmrl_core.registry import get_task
from llmrl_core.task import Task


class TaskConformance:
    """Set ``task_name`` (and ``task_config``)."""

    task_name: str = ""
    """The name your plugin's ``llmrl_tasks`` hook registers."""
    task_config: dict = {}
    """Keyword config for ``get_task`` (validated by the task's config model)."""

    @pytest.fixture
    def task(self) -> Task:
        return get_task(self.task_name, **self.task_config)

    def test_splits_are_non_empty_and_disjoint(self, task: Task) -> None:
        train, test = task.dataset("train"), task.dataset("test")
        assert train and test, f"task {self.task_name!r} (task_config={self.task_config}) has an empty split"
        assert not {e.id for e in train} & {e.id for e in test}, "an example id is in both train and test"

    def test_dataset_is_stable(self, task: Task) -> None:
        again = get_task(self.task_name, **self.task_config)
        assert [e.prompt for e in task.dataset("train")[:20]] == [e.prompt for e in again.dataset("train")[:20]], (
            "building the task twice gave different training prompts: seed any shuffling or generation")

    def test_reference_scores_one_and_garbage_zero(self, task: Task) -> None:
        for example in task.dataset("test")[:10]:
            assert task.score(f"The answer is \\boxed{{{example.reference}}}", example.reference) == 1.0, (
                f"the reference answer {example.reference!r} in \\boxed{{}} must score 1.0")
            assert task.score("I do not know.", example.reference) == 0.0, "a non-answer must score 0.0"
