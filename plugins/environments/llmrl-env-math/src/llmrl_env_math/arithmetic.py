"""A seeded generator of arithmetic questions and one-step word problems.

Difficulty knobs: the operand range, the number of operands, the operators and
the share of word problems. The test split is drawn first and the train split
never repeats a test question, so held-out accuracy is really held out.
"""

from __future__ import annotations

import random

from llmrl_core.task import TaskExample
from llmrl_env_math.configs import ArithmeticConfig
from llmrl_env_math.split_task import SplitTask

NAMES = ["Ana", "Ben", "Chen", "Dara", "Eli", "Fatima", "Goran", "Hana", "Ivo", "Jun", "Kofi", "Lena"]
THINGS = ["apples", "books", "coins", "marbles", "pencils", "stamps", "shells", "cards"]

class ArithmeticTask(SplitTask):
    """Questions like "What is 7 + 5?" with integer answers, scored with math-verify."""

    name = "arithmetic"

    def __init__(self, config: ArithmeticConfig) -> None:
        self.config = config
        self._splits = self._generate()

    def _generate(self) -> dict[str, list[TaskExample]]:
        cfg = self.config
        rng = random.Random(cfg.seed)
        seen: set[str] = set()
        splits: dict[str, list[TaskExample]] = {}
        for split, size in (("test", cfg.test_size), ("train", cfg.train_size)):
            examples: list[TaskExample] = []
            tries = 0
            while len(examples) < size:
                tries += 1
                if tries > 200 * (size + 10):
                    raise ValueError(f"could not draw {size} distinct {split} questions; widen the difficulty knobs")
                question, answer, expression = self._draw(rng)
                if question in seen:
                    continue
                seen.add(question)
                examples.append(
                    TaskExample(
                        id=f"arithmetic-{cfg.seed}-{split}-{len(examples)}",
                        prompt=question,
                        reference=str(answer),
                        metadata={"expression": expression},
                    )
                )
            splits[split] = examples
        return splits

    def _draw(self, rng: random.Random) -> tuple[str, int, str]:
        cfg = self.config
        values = [rng.randint(cfg.min_value, cfg.max_value) for _ in range(cfg.num_operands)]
        ops = [rng.choice(cfg.operators) for _ in range(cfg.num_operands - 1)]
        if not cfg.allow_negative and cfg.num_operands == 2 and ops[0] == "-" and values[0] < values[1]:
            values.reverse()
        expression = str(values[0]) + "".join(f" {op} {v}" for op, v in zip(ops, values[1:], strict=True))
        answer = int(eval(expression, {"__builtins__": {}}))  # noqa: S307 - our own digits and + - * only
        if not cfg.allow_negative and answer < 0:
            return self._draw(rng)
        if cfg.num_operands == 2 and rng.random() < cfg.word_problem_share:
            return _word_problem(rng, values[0], ops[0], values[1]), answer, expression
        return f"What is {expression}?", answer, expression


def _word_problem(rng: random.Random, a: int, op: str, b: int) -> str:
    name, other = rng.sample(NAMES, 2)
    thing = rng.choice(THINGS)
    if op == "+":
        return f"{name} has {a} {thing}. {other} gives {name} {b} more. How many {thing} does {name} have now?"
    if op == "-":
        return f"{name} has {a} {thing} and gives {b} of them to {other}. How many {thing} does {name} have left?"
    return f"{name} has {a} bags with {b} {thing} in each bag. How many {thing} does {name} have in all?"
