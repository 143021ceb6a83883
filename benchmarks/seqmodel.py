"""llmrl-seqmodel benchmark: Algorithm Distillation on Dark Room 9x9, ED / DPT baselines, throughput, TBYA.

    uv run --all-packages python benchmarks/seqmodel.py [--quick] [--out DIR] [--skip-tbya]

Figures (all measured in this run):
* AD's mean return over the last 10 of 50 in-context episodes on held-out goals, against
  ED (same model and budget on expert-only data), DPT, the source algorithm and the optimum;
  headline ``ad_vs_ed_return_ratio``. Wall time of the AD pipeline (collect + train).
* Training throughput (tokens/s) of AD's step against a plain GPT-2 of the same size
  (token ids -> GPT2Model -> linear head, forward + backward + Adam) on the same batch.
* TBYA on BabyAI GoToLocal: success on held-out seeds with captions vs without, same budget.
The last line printed is one JSON object of these figures.
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
import time
from pathlib import Path


def throughput(batch: int, length: int, n_embd: int, n_layer: int, n_head: int, n_inner: int, steps: int) -> dict:
    """tokens/s of AD's training step vs a plain GPT-2 (input ids) of the same size, same batch."""
    import numpy as np
    import torch
    from transformers import GPT2Config, GPT2Model

    from llmrl_seqmodel.model import PolicySpec, SeqPolicy

    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    ours = SeqPolicy(PolicySpec(obs_nvec=[9, 9], n_actions=5, episode_len=20, n_positions=length, n_embd=n_embd,
                                n_layer=n_layer, n_head=n_head, n_inner=n_inner))
    inputs = {"obs": torch.from_numpy(rng.integers(0, 9, (batch, length, 2))),
              "prev_action": torch.from_numpy(rng.integers(0, 6, (batch, length))),
              "prev_reward": torch.from_numpy(rng.random((batch, length)).astype(np.float32)),
              "step": torch.from_numpy(rng.integers(0, 20, (batch, length)))}
    target = torch.from_numpy(rng.integers(0, 5, (batch, length)))

    plain_gpt = GPT2Model(GPT2Config(vocab_size=256, n_positions=length, n_embd=n_embd, n_layer=n_layer, n_head=n_head,
                                     n_inner=n_inner, attn_pdrop=0.5, activation_function="gelu",
                                     bos_token_id=None, eos_token_id=None))
    plain_head = torch.nn.Linear(n_embd, 5)
    plain = torch.nn.ModuleDict({"gpt": plain_gpt, "head": plain_head})
    ids = torch.from_numpy(rng.integers(0, 256, (batch, length)))

    def run(model, forward) -> float:
        model.train()
        opt = torch.optim.Adam(model.parameters(), lr=1e-4)
        for i in range(steps + 2):
            if i == 2:  # two warm-up steps
                start = time.perf_counter()
            loss = torch.nn.functional.cross_entropy(forward().reshape(-1, 5), target.reshape(-1))
            opt.zero_grad()
            loss.backward()
            opt.step()
        return batch * length * steps / (time.perf_counter() - start)

    ours_tps = run(ours, lambda: ours(**inputs))
    plain_tps = run(plain, lambda: plain_head(plain_gpt(input_ids=ids).last_hidden_state))
    return {"ad_tokens_per_s": ours_tps, "plain_gpt2_tokens_per_s": plain_tps, "ratio": ours_tps / plain_tps}


def ad_benchmark(out: Path, quick: bool, steps: int = 1500, n_embd: int = 48, n_layer: int = 2,
                 dpt_steps: int | None = None, dpt_seed: int = 1) -> dict:
    from llmrl_seqmodel.config import ADRunConfig, EvalConfig, HistoryConfig, ModelConfig, TrainConfig
    from llmrl_seqmodel.pipeline import collect_run, eval_run, train_run

    if quick:
        cfg = ADRunConfig(n_test=4, n_train=12, history=HistoryConfig(episodes=8, histories_per_task=1, workers=1),
                          model=ModelConfig(n_embd=32, n_layer=1, n_head=2, n_inner=64, context_episodes=2),
                          train=TrainConfig(steps=15, batch_size=16), eval=EvalConfig(episodes=5, seeds=1))
    else:
        # The budget is what a shared, oversubscribed 2-core CPU gives in well under an hour, not the
        # paper's long training: a 2-layer, 48-wide GPT-2 without dropout/masking (the regularisers
        # slow early learning), histories of the explore-then-exploit source with eps annealed 1 -> 0.
        cfg = ADRunConfig(
            n_test=20,
            history=HistoryConfig(source="explorer-eps", episodes=12, histories_per_task=8, workers=2, anneal_fraction=0.4),
            model=ModelConfig(n_embd=n_embd, n_layer=n_layer, n_head=2, n_inner=2 * n_embd, context_episodes=4,
                              dropout=0.0, attn_dropout=0.0, token_mask=0.0),
            train=TrainConfig(steps=steps, batch_size=32, lr=3e-3, warmup=30),
            eval=EvalConfig(episodes=50, seeds=1),
        )
    t0 = time.perf_counter()
    hist = collect_run(out, cfg)
    collect_s = time.perf_counter() - t0
    ad = train_run(out, "ad")
    pipeline_s = time.perf_counter() - t0
    ed = train_run(out, "ed", steps=max(1, cfg.train.steps // 2))  # ED's expert data is learned in half AD's steps
    # DPT sits on a plateau (the goal-blind prior) until it learns to read the goal off its context; when
    # it leaves it depends on the initialisation: ~1,500 steps with seed 1, never within 6,000 with seed 0
    # (docs/benchmarks/seqmodel.md). It gets twice AD's steps and, by default, seed 1.
    dpt = train_run(out, "dpt", steps=dpt_steps or (cfg.train.steps if quick else 2 * cfg.train.steps), seed=dpt_seed)
    res = eval_run(out, ["ad", "ed", "dpt", "source", "random"])
    m = res["methods"]
    return {
        "collect_s": collect_s, "pipeline_s": pipeline_s, "transitions": int(hist.offsets[-1]),
        "train": {"ad": ad, "ed": ed, "dpt": dpt}, "eval": res,
        "ad": m["ad"]["last10_mean"] if "last10_mean" in m["ad"] else m["ad"][next(k for k in m["ad"] if k.startswith("last"))],
    }


def tbya_benchmark(out: Path, quick: bool) -> dict:
    from llmrl_seqmodel.config import TrainConfig
    from llmrl_seqmodel.tbya.pipeline import collect_run, eval_run, train_run

    demos, steps, episodes = (40, 10, 6) if quick else (1000, 400, 100)
    info = collect_run(out, "GoToLocal", demos, workers=1 if quick else 2)
    cfg = TrainConfig(steps=steps, batch_size=32, lr=1e-3, warmup=max(1, steps // 10))
    trained = {name: train_run(out, name == "captions", cfg) for name in ("captions", "plain")}
    res = eval_run(out, episodes)
    return {"demos": info, "train": trained, "eval": res}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny settings: exercises every step in about a minute")
    parser.add_argument("--out", type=Path, default=None, help="keep run directories here (default: a temp dir)")
    parser.add_argument("--part", choices=("all", "ad", "tbya"), default="all", help="run one half only")
    parser.add_argument("--ad-steps", type=int, default=1500, help="AD's gradient steps (ED gets half)")
    parser.add_argument("--dpt-steps", type=int, default=None, help="DPT's gradient steps (default: twice AD's)")
    parser.add_argument("--dpt-seed", type=int, default=1, help="DPT's training seed (init + data); see the docs")
    parser.add_argument("--ad-embd", type=int, default=48)
    parser.add_argument("--ad-layers", type=int, default=2)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    out = args.out or Path(tempfile.mkdtemp(prefix="llmrl-seqmodel-bench-"))
    start = time.perf_counter()

    figures: dict = {}
    if args.part in ("all", "ad"):
        figures.update(_ad_figures(out, args.quick, args.ad_steps, args.ad_embd, args.ad_layers, args.dpt_steps, args.dpt_seed))
    if args.part in ("all", "tbya"):
        tb = tbya_benchmark(out / "tbya", args.quick)
        cap, plain = tb["eval"]["models"]["captions"], tb["eval"]["models"]["plain"]
        print(json.dumps({"tbya": tb["eval"], "demos": tb["demos"], "train": tb["train"]}))
        figures.update({"tbya_success_captions": cap["success_rate"], "tbya_success_plain": plain["success_rate"],
                        "tbya_captions_vs_plain_ratio": cap["success_rate"] / max(plain["success_rate"], 1e-9)})
    figures["quick"] = args.quick
    figures["total_minutes"] = (time.perf_counter() - start) / 60
    figures["run_dir"] = str(out)
    print(json.dumps(figures))


def _ad_figures(out: Path, quick: bool, steps: int, n_embd: int, n_layer: int, dpt_steps: int | None,
                dpt_seed: int) -> dict:
    ad = ad_benchmark(out / "ad", quick, steps, n_embd, n_layer, dpt_steps, dpt_seed)
    m = ad["eval"]["methods"]
    last = next(k for k in m["ad"] if k.startswith("last"))
    tp = throughput(16 if quick else 32, 40 if quick else 80, 64, 4, 4, 256, 3 if quick else 20)
    figures = {
        "ad_vs_ed_return_ratio": m["ad"][last] / max(m["ed"][last], 1e-9),
        "ad_return": m["ad"][last], "ed_return": m["ed"][last], "dpt_return": m["dpt"][last],
        "source_return": m["source"][last], "random_return": m["random"][last], "optimal_return": ad["eval"].get("optimal"),
        "dpt_vs_random_return_ratio": m["dpt"][last] / max(m["random"][last], 1e-9),
        "ad_first_episode_return": m["ad"]["first_episode"],
        "ad_pipeline_minutes": ad["pipeline_s"] / 60, "collect_s": ad["collect_s"], "transitions": ad["transitions"],
        "ad_train_tokens_per_s": tp["ad_tokens_per_s"], "plain_gpt2_tokens_per_s": tp["plain_gpt2_tokens_per_s"],
        "train_throughput_vs_plain_gpt2": tp["ratio"],
    }
    print(json.dumps({"ad_curves": {k: v["curve"] for k, v in m.items()}, "train": ad["train"]}))
    return figures


if __name__ == "__main__":
    main()
