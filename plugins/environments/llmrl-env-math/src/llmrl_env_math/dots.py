"""A generated image task: "How many dots are in the picture?".

Each example's picture is drawn with Pillow from (seed, split, index), so the task needs no
download and a vision-language model's whole path (processor, image in the user message,
training, evaluation) can be tested on a CPU. The answer is only in the picture.
"""

from __future__ import annotations

import random

from llmrl_core.task import TaskExample
from llmrl_env_math.configs import DotsConfig
from llmrl_env_math.split_task import SplitTask

QUESTION = "<image>How many dots are in the picture?"


class DotsTask(SplitTask):
    """Count the dots: a PIL image in ``metadata["image"]``, the count as the reference."""

    name = "dots"

    def __init__(self, config: DotsConfig) -> None:
        self.config = config
        self._splits = {split: self._draw(split, size) for split, size in
                        (("train", self.config.train_size), ("test", self.config.test_size))}

    def _draw(self, split: str, size: int) -> list[TaskExample]:
        from llmrl_env_math.images import draw_dots

        cfg = self.config
        examples = []
        for index in range(size):
            rng = random.Random(f"{cfg.seed}-{split}-{index}")  # a string seed hashes stably across runs
            count = rng.randint(cfg.min_dots, cfg.max_dots)
            image = draw_dots(count, rng, size=cfg.image_size, radius=cfg.dot_radius)
            examples.append(TaskExample(id=f"dots-{cfg.seed}-{split}-{index}", prompt=QUESTION, reference=str(count),
                                        metadata={"image": image}))
        return examples
