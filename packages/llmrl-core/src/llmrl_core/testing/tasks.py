"""The reasoning-task contract: a stable dataset and a verifier that tells right from wrong."""

from __future__ import annotations

import pytest

from llmrl_core.registry import get_task
from llmrl_core.task import Task


class TaskConformance:
    """Set ``task_name`` (and ``task_config``)."""

    task_name: str = ""
    task_config: dict = {}

    @pytest.fixture
    def task(self) -> Task:
        return get_task(self.task_name, **self.task_config)

    def test_splits_are_non_empty_and_disjoint(self, task: Task) -> None:
        train, test = task.dataset("train"), task.dataset("test")
        assert train and test
        assert not {e.id for e in train} & {e.id for e in test}

    def test_dataset_is_stable(self, task: Task) -> None:
        again = get_task(self.task_name, **self.task_config)
        assert [e.prompt for e in task.dataset("train")[:20]] == [e.prompt for e in again.dataset("train")[:20]]

    def test_reference_scores_one_and_garbage_zero(self, task: Task) -> None:
        for example in task.dataset("test")[:10]:
            assert task.score(f"The answer is \\boxed{{{example.reference}}}", example.reference) == 1.0
            assert task.score("I do not know.", example.reference) == 0.0
