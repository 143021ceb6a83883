"""One process of test_maye_whitens_over_the_global_batch_on_two_ranks_with_fake_generator.

Run alone (1 rank) or under `torchrun --nproc_per_node 2`: one MAYE step on the same 8 prompts (the fake
engine writes the same completions either way), recording each row's example id, advantage and token count
into $WHITENING_OUT/rank<r>-of-<n>.json.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path


def parity(context: str, k: int) -> str:
    """Right when the sum is even, one off when it is odd (so the rewards of a batch differ)."""
    a, b = map(int, re.search(r"What is (\d+) \+ (\d+)\?", context).groups())
    return f" {a + b + (a + b) % 2}" + " so" * ((a + b) % 3)  # and lengths that differ


def main() -> None:
    from llmrl_core.runs import world
    from llmrl_grpo.config import GRPOTrainConfig
    from llmrl_grpo.run import train
    from llmrl_grpo.testing import FakeGenerator
    from llmrl_grpo.trainer import MayeGRPOTrainer

    out = Path(os.environ["WHITENING_OUT"])
    rank, size = world()
    rows: list[tuple[str, float, int]] = []
    score = MayeGRPOTrainer._generate_and_score_completions

    def spy(self, inputs):  # the advantages MAYE's trainer hands to the loss, on this rank
        output = score(self, inputs)
        rows.extend(zip([x["id"] for x in inputs], output["advantages"].tolist(),
                        output["completion_mask"].sum(dim=1).tolist(), strict=True))
        return output

    MayeGRPOTrainer._generate_and_score_completions = spy
    cfg = GRPOTrainConfig(output=str(out / f"run-{size}"), mode="maye", steps=1, save_steps=100,
                          task_config={"seed": 0, "train_size": 8, "test_size": 2},
                          generation={"completions_per_step": 8, "max_completion_length": 8},
                          eval={"before": False, "after": False})
    train(cfg, generator=FakeGenerator(parity))
    (out / f"rank{rank}-of-{size}.json").write_text(json.dumps(rows))


if __name__ == "__main__":
    main()
