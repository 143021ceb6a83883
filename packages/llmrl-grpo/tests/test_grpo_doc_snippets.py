"""The plain TRL script on docs/llmrl-grpo.md runs as pasted: TRL's GRPOTrainer, llmrl's task, dataset and rewards."""

from __future__ import annotations

import ast
import math


def test_plain_trl_script_trains_two_steps(run_doc_snippet) -> None:
    out = run_doc_snippet("llmrl-grpo.md", "trl-plain").stdout
    line = next(line for line in out.splitlines() if line.startswith("mean reward per step:"))
    rewards = ast.literal_eval(line.split(":", 1)[1].strip())
    assert len(rewards) == 2 and all(math.isfinite(r) and -1.0 <= r <= 1.0 for r in rewards), out
