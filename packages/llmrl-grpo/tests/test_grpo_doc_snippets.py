"""The plain TRL script on docs/llmrl-grpo.md runs as pasted: TRL's GRPOTrainer, llmrl's task, dataset and rewards."""

from __future__ import annotations

import ast
import math


def test_plain_trl_script_trains_two_steps(run_doc_snippet) -> None:
    out = run_doc_snippet("llmrl-grpo.md", "trl-plain").stdout
    line = next(line for line in out.splitlines() if line.startswith("mean reward per step:"))
    rewards = ast.literal_eval(line.split(":", 1)[1].strip())
    assert len(rewards) == 2 and all(math.isfinite(r) and -1.0 <= r <= 1.0 for r in rewards), out


def test_recipe_example_on_the_architecture_page_trains(run_doc_snippet, tmp_path) -> None:
    """The "adding a method" example: a Recipe subclass and a composed config train one step through train()."""
    out = run_doc_snippet("architecture.md", "recipe-example").stdout
    line = next(line for line in out.splitlines() if line.startswith("greedy pass@1:"))
    before, after = (float(x) for x in line.split(":", 1)[1].split("->"))
    assert 0.0 <= before <= 1.0 and 0.0 <= after <= 1.0, out
    run = tmp_path / "runs" / "short"
    assert (run / "final" / "config.json").is_file() and (run / "summary.md").is_file()
    assert "short-answer recipe" in (run / "summary.md").read_text()
    assert "max_chars: 4" in (run / "config.yaml").read_text()
    metrics = (run / "metrics.jsonl").read_text().splitlines()
    assert len(metrics) == 1 and '"rewards/brevity/mean"' in metrics[0]


def test_tiny_vlm_example_trains_on_pictures(run_doc_snippet, tmp_path) -> None:
    """The VLM example on docs/llmrl-grpo.md: a tiny local Qwen2-VL, one step on the dots pictures, evals before and after."""
    out = run_doc_snippet("llmrl-grpo.md", "vlm-tiny").stdout
    line = next(line for line in out.splitlines() if line.startswith("greedy pass@1:"))
    before, after = (float(x) for x in line.split(":", 1)[1].split("->"))
    assert 0.0 <= before <= 1.0 and 0.0 <= after <= 1.0, out
    assert (tmp_path / "runs" / "vlm" / "final" / "processor_config.json").is_file()
