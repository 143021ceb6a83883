"""One rank of test_two_ranks_stay_in_lockstep_and_pad_finished_rows_with_fake_generator (run by torchrun).

Rank 0 asks Q0 twice (answered at once); rank 1 asks Q2 and Q1 (two and one tool calls). Each rank
runs ToRL's loop on the fake engine (TRL's server-mode VLLMGeneration, a scripted server) with the
real local sandbox and writes what it saw to $LOCKSTEP_OUT/rank<r>.json.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).parent))

from test_toolrl_fake_generator import TEMPLATE, script  # noqa: E402

from llmrl_core import SamplingParams  # noqa: E402
from llmrl_toolrl.config import ToolConfig  # noqa: E402
from llmrl_toolrl.rollout import open_sandbox, rollout  # noqa: E402


def main() -> None:
    from accelerate import Accelerator
    from transformers import AutoTokenizer

    from llmrl_core.models import resolve_model
    from llmrl_grpo.testing import FakeGenerator

    accelerator = Accelerator(cpu=True)
    rank = accelerator.process_index
    tokenizer = AutoTokenizer.from_pretrained(resolve_model("smollm2-135m").path)
    trainer = SimpleNamespace(accelerator=accelerator, processing_class=tokenizer,
                              args=SimpleNamespace(max_completion_length=200), eos_token_ids=[tokenizer.eos_token_id])
    cfg = ToolConfig(prompt_template=TEMPLATE, max_tool_calls=2, timeout_s=5,
                     sandbox_config={"workers": 1, "light_preload": None, "preload": []})
    gen = FakeGenerator(script)
    sampler = gen.sampler(trainer)
    assert sampler.lockstep, "two ranks: the vLLM sampler must keep them in step"
    rows: list[int] = []
    segments = sampler.segments

    def counted(prompts, **kwargs):
        rows.append(len(prompts))
        return segments(prompts, **kwargs)

    sampler.segments = counted
    questions = ["Q0", "Q0"] if rank == 0 else ["Q2", "Q1"]
    with open_sandbox(cfg) as sandbox:
        trajs = rollout(sampler, [cfg.render(q) for q in questions], sandbox, cfg, SamplingParams(max_tokens=200),
                        max_completion_tokens=200)
    out = {
        "segments_rows": rows,
        "requests": [r["prompts"] for r in gen.server.requests],
        "calls": [t.num_calls for t in trajs],
        "texts": [t.text for t in trajs],
        "observations": [[c.observation for c in t.calls] for t in trajs],
    }
    Path(os.environ["LOCKSTEP_OUT"], f"rank{rank}.json").write_text(json.dumps(out))
    accelerator.wait_for_everyone()


if __name__ == "__main__":
    main()
