"""Multi-digit multiplication, asked in several phrasings: a task where a code interpreter clearly helps.

A small model cannot multiply two 2-digit numbers in its head, but it can write
``print(47 * 83)`` when it reads the question right; the phrasings ("47 times 83", "the product
of 47 and 83", a word problem, ...) make reading it right the part left to learn. The test split
is drawn first and the train split never repeats a test pair (in either order).
"""

from __future__ import annotations

import random

from llmrl_core.task import TaskExample
from llmrl_env_math.arithmetic import NAMES, THINGS
from llmrl_env_math.configs import MultiplicationConfig
from llmrl_env_math.split_task import SplitTask

PHRASINGS: dict[str, str] = {
    "symbol": "What is {a} * {b}?",
    "times": "What is {a} times {b}?",
    "cross": "Compute {a} × {b}.",
    "product": "What is the product of {a} and {b}?",
    "multiply": "Multiply {a} by {b}.",
    "word": "{name} has {a} boxes with {b} {thing} in each box. How many {thing} does {name} have?",
}
"""Question templates by name (``MultiplicationConfig.phrasings`` picks among them)."""


class MultiplicationTask(SplitTask):
    """``a × b`` with ``a`` and ``b`` drawn from their ranges; the reference is the exact product."""

    name = "multiplication"

    def __init__(self, config: MultiplicationConfig) -> None:
        self.config = config
        self._splits = self._generate()

    def _generate(self) -> dict[str, list[TaskExample]]:
        cfg = self.config
        rng = random.Random(cfg.seed)
        seen: set[tuple[int, int]] = set()
        splits: dict[str, list[TaskExample]] = {}
        for split, size in (("test", cfg.test_size), ("train", cfg.train_size)):
            examples: list[TaskExample] = []
            while len(examples) < size:
                a, b = rng.randint(cfg.min_a, cfg.max_a), rng.randint(cfg.min_b, cfg.max_b)
                if (a, b) in seen or (b, a) in seen:
                    continue
                seen.add((a, b))
                phrasing = rng.choice(cfg.phrasings)
                question = PHRASINGS[phrasing].format(a=a, b=b, name=rng.choice(NAMES), thing=rng.choice(THINGS))
                examples.append(TaskExample(
                    id=f"multiplication-{cfg.seed}-{split}-{len(examples)}", prompt=question, reference=str(a * b),
                    metadata={"a": a, "b": b, "phrasing": phrasing},
                ))
            splits[split] = examples
        return splits
