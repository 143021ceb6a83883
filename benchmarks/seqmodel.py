"""llmrl-seqmodel benchmark: AD's two claims on Dark Room, DPT in its own room, Think Before You Act on BabyAI.

    uv run --all-packages python benchmarks/seqmodel.py [--quick] [--part all|ad|dpt|tbya|tune-source] [--seeds 0,1,2]
        [--out DIR] [--jobs N] [--ad-steps 8000] [--tbya-level PutNextLocal] [--tbya-lm-seeds 0] [--tbya-lm-steps 60]

Every figure is measured in this run, over every seed given (none is picked); the JSON lines name the
settings. Parts:

* ``tune-source``: the grid search that chose the RL learners' hyper-parameters, on Dark Room's
  TRAINING goals only (mean return over a learner's first 50 episodes, one history per goal). The
  defaults of ``HistoryConfig`` are its winners; the held-out goals are never looked at.
* ``ad``: Algorithm Distillation on Dark Room 9x9 (20 held-out goals) from the tuned learner's
  histories, per training seed (histories, model and evaluation all seeded by it): AD's in-context
  curve over 50 episodes with frozen weights (claim 1), the learner's own curve on the same held-out
  goals over the same episodes (claim 2), ED (the same model on expert histories) and a random policy;
  headline ``ad_vs_ed_return_ratio``; CPU minutes of each pipeline (collect + train).
* ``dpt``: DPT in the DPT paper's Dark Room (10x10, 100 steps, start (0, 0), 80 / 20 goals), per seed.
* ``tbya``: Think Before You Act on a BabyAI level (``--tbya-level``: PutNextLocal, UnlockLocal, ...),
  captions vs none, per seed, with the small random-init GPT-2 (``--seeds``) and with the pretrained
  SmolLM2-135M backbone (``--tbya-lm-seeds``).

``--jobs N`` runs N of the AD / DPT seeds at once, each in its own worker process (one torch thread each).
Throughput: AD's training step against a plain GPT-2 of the same size on the same batch.
The last line printed is one JSON object of the headline figures.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import json
import logging
import os
import resource
import tempfile
import time
from pathlib import Path

import numpy as np

AD_EPISODES = 50  # in-context evaluation episodes, and the learner's episodes it is compared over
DPT_ROOM = {"size": 10, "max_steps": 100, "start": [0, 0]}
TBYA_LEVEL = "PutNextLocal"  # default of --tbya-level


def cpu_seconds() -> float:
    """CPU seconds of this process and its finished children (history workers)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def mean_sd(values) -> dict:
    v = np.asarray(values, dtype=float)
    return {"mean": float(v.mean()), "sd": float(v.std(ddof=1)) if len(v) > 1 else 0.0, "per_seed": v.round(4).tolist()}


# --- the learner's hyper-parameters, tuned on the training goals ------------------------------------------------

TUNE_GRID = {
    "q-learning": {"q_lr": [0.3, 0.6, 1.0], "q_gamma": [0.8, 0.9, 0.95, 0.99], "q_eps": [0.0, 0.05, 0.1],
                   "q_init": [0.0, 1.0, 2.0, 5.0, 10.0]},
    "policy-gradient": {"pg_lr": [0.3, 1.0, 2.0, 4.0], "pg_gamma": [0.8, 0.9, 0.95], "pg_value_lr": [0.5, 1.0]},
}


def tune_source(quick: bool) -> dict:
    """Each learner's grid on the training goals: mean return over its first 50 episodes (one history per goal)."""
    from llmrl_seqmodel.config import HistoryConfig
    from llmrl_seqmodel.envs import profile, split_tasks
    from llmrl_seqmodel.history import collect

    prof = profile("darkroom")
    train, _ = split_tasks(prof, 20, seed=0)
    if quick:
        train = train[:4]
    out: dict = {"goals": len(train), "episodes": AD_EPISODES, "learners": {}}
    for source, grid in TUNE_GRID.items():
        rows = []
        for values in itertools.product(*grid.values()):
            params = dict(zip(grid, values, strict=True))
            if quick and len(rows) >= 2:
                break
            hist = collect(prof, train, HistoryConfig(source=source, episodes=AD_EPISODES, histories_per_task=1,
                                                      workers=1, **params))
            curve = np.mean(hist.episode_returns, 0)
            rows.append({**params, "mean_return": float(curve.mean()), "last10": float(curve[-10:].mean())})
        rows.sort(key=lambda r: -r["mean_return"])
        out["learners"][source] = {"best": rows[0], "top5": rows[:5], "configs": len(rows)}
        logging.info("%s: best %s", source, rows[0])
    return out


# --- Algorithm Distillation ---------------------------------------------------------------------------------------

def ad_config(seed: int, quick: bool, steps: int = 8000):
    from llmrl_seqmodel.config import ADRunConfig, ADTrainConfig, EvalConfig, HistoryConfig, ModelConfig

    if quick:
        return ADRunConfig(n_test=4, n_train=12, history=HistoryConfig(episodes=8, histories_per_task=1, workers=1, seed=seed),
                           model=ModelConfig(n_embd=32, n_layer=1, n_head=2, n_inner=64, context_episodes=2),
                           train=ADTrainConfig(steps=15, batch_size=16, seed=seed), eval=EvalConfig(episodes=5, seeds=1, seed=seed))
    # The tuned tabular Q-learner (HistoryConfig's defaults), 160 episodes per history, every 4th one logged:
    # a context of 4 logged episodes then spans 16 episodes of learning (one actor's view of a learner that
    # learns from several, as the paper's A3C histories are). A small GPT-2 with AD's regularisers (dropout 0.1,
    # attention dropout 0.5, token masking 0.3), 8,000 steps by default: what three seeds on a shared 2-core CPU
    # allow (about 10 CPU-minutes a seed with ED and the evaluation); AD was still improving there (--ad-steps).
    return ADRunConfig(
        n_test=20, split_seed=0,
        history=HistoryConfig(source="q-learning", episodes=160, keep_every=4, histories_per_task=4, workers=2, seed=seed),
        model=ModelConfig(n_embd=48, n_layer=2, n_head=2, n_inner=96, context_episodes=4, dropout=0.1, attn_dropout=0.5,
                          token_mask=0.3),
        train=ADTrainConfig(steps=steps, batch_size=32, lr=3e-3, warmup=30, seed=seed),
        eval=EvalConfig(episodes=AD_EPISODES, seeds=1, seed=seed),
    )


def ad_seed(seed: int, out: Path, quick: bool, steps: int = 8000) -> dict:
    """One training seed: collect -> train AD -> train ED -> evaluate AD, ED, the learner, random on held-out goals."""
    import torch

    from llmrl_seqmodel.pipeline import collect_run, eval_run, load_config, train_run

    torch.set_num_threads(1)  # also in --jobs worker processes
    out = out / f"ad-{seed}"
    cfg = ad_config(seed, quick, steps)
    cpu0, wall0, load0 = cpu_seconds(), time.perf_counter(), os.getloadavg()
    hist = collect_run(out, cfg)
    ad = train_run(out, "ad")
    pipeline_cpu, pipeline_wall = cpu_seconds() - cpu0, time.perf_counter() - wall0
    ed = train_run(out, "ed", steps=max(1, cfg.train.steps // 4))  # ED's noise-free expert data: a quarter of AD's steps
    res = eval_run(out, ["ad", "ed", "source", "random"])
    curves = {k: v["curve"] for k, v in res["methods"].items()}
    config = load_config(out).model_dump(mode="json")
    return {"seed": seed, "source": config["history"]["source"], "transitions": int(hist.offsets[-1]),
            "pipeline_cpu_min": pipeline_cpu / 60, "pipeline_wall_min": pipeline_wall / 60,
            "cpu_min_with_eval": (cpu_seconds() - cpu0) / 60, "load_before": load0, "load_after": os.getloadavg(),
            "train_ad": {k: ad[k] for k in ("steps", "final_loss", "seconds", "tokens_per_s")},
            "train_ed": {k: ed[k] for k in ("steps", "final_loss", "seconds")},
            "curves": curves, "optimal": res.get("optimal"), "config": config}


def ad_summary(runs: list[dict]) -> dict:
    """Claim 1 (AD's return rises over in-context episodes) and claim 2 (faster than its learner), across seeds."""
    curves = {k: np.array([r["curves"][k] for r in runs]) for k in runs[0]["curves"]}
    last = min(10, curves["ad"].shape[1])

    def per_seed(name, fn):
        return mean_sd([fn(c) for c in curves[name]])

    summary = {name: {"first_episode": per_seed(name, lambda c: c[0]), "last10": per_seed(name, lambda c: c[-last:].mean()),
                      "mean_over_episodes": per_seed(name, lambda c: c.mean())} for name in curves}
    ad, src = curves["ad"], curves["source"]
    summary["claim1_ad_last10_minus_first"] = mean_sd(ad[:, -last:].mean(1) - ad[:, 0])
    summary["claim2_ad_minus_source_mean_return"] = mean_sd(ad.mean(1) - src.mean(1))
    for window in ((0, 10), (10, 20), (20, 30), (30, 40), (40, 50)):
        a, b = window
        if b <= ad.shape[1]:
            summary[f"episodes_{a + 1}_{b}"] = {"ad": mean_sd(ad[:, a:b].mean(1)), "source": mean_sd(src[:, a:b].mean(1))}
    summary["optimal"] = runs[0]["optimal"]
    summary["curves_mean"] = {k: v.mean(0).round(3).tolist() for k, v in curves.items()}
    summary["curves_sd"] = {k: v.std(0, ddof=1).round(3).tolist() if len(v) > 1 else [0.0] * v.shape[1] for k, v in curves.items()}
    return summary


def plot_ad(summary: dict, path: Path, seeds: list[int]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4), dpi=120)
    labels = {"ad": "AD (frozen weights)", "source": "its source: tabular Q-learning", "ed": "ED", "random": "random"}
    for name, label in labels.items():
        mean, sd = np.array(summary["curves_mean"][name]), np.array(summary["curves_sd"][name])
        x = np.arange(1, len(mean) + 1)
        ax.plot(x, mean, label=label)
        ax.fill_between(x, mean - sd, mean + sd, alpha=0.2)
    if summary.get("optimal"):
        ax.axhline(summary["optimal"], color="grey", linestyle="--", linewidth=1, label="optimal")
    ax.set_xlabel("episode on a held-out goal")
    ax.set_ylabel("return")
    ax.set_title(f"Dark Room 9x9, 20 held-out goals, seeds {','.join(map(str, seeds))} (mean ± sd)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


# --- DPT in its own room ------------------------------------------------------------------------------------------

def dpt_seed(seed: int, out: Path, quick: bool) -> dict:
    import torch

    from llmrl_seqmodel.config import ADRunConfig, ADTrainConfig, EvalConfig, HistoryConfig, ModelConfig
    from llmrl_seqmodel.pipeline import eval_run, train_run, write_run

    torch.set_num_threads(1)
    out = out / f"dpt-{seed}"

    room = {"size": 5, "max_steps": 10, "start": [0, 0]} if quick else DPT_ROOM
    cfg = ADRunConfig(
        env="darkroom", env_kwargs=room, n_test=5 if quick else 20, split_seed=0,
        history=HistoryConfig(source="q-learning", seed=seed, workers=1),
        # The context is one whole episode of 100 transitions (the paper's context length = horizon), so
        # online the context is the agent's latest completed episode.
        model=ModelConfig(n_embd=48, n_layer=2, n_head=2, n_inner=96, context_episodes=1, dropout=0.0,
                          attn_dropout=0.0, token_mask=0.0),
        train=ADTrainConfig(steps=20 if quick else 5000, batch_size=32, lr=3e-3, warmup=30, seed=seed),
        eval=EvalConfig(episodes=3 if quick else 40, seeds=1, seed=seed),
    )
    cpu0, load0 = cpu_seconds(), os.getloadavg()
    write_run(out, cfg)
    dpt = train_run(out, "dpt")
    res = eval_run(out, ["dpt", "source", "random"])
    return {"seed": seed, "room": room, "train": {k: dpt[k] for k in ("steps", "final_loss", "seconds", "tokens_per_s")},
            "curves": {k: v["curve"] for k, v in res["methods"].items()}, "optimal": res.get("optimal"),
            "cpu_min": (cpu_seconds() - cpu0) / 60, "load_before": load0, "load_after": os.getloadavg()}


def dpt_summary(runs: list[dict]) -> dict:
    curves = {k: np.array([r["curves"][k] for r in runs]) for k in runs[0]["curves"]}
    last = min(10, curves["dpt"].shape[1])
    return {"optimal": runs[0]["optimal"],
            **{name: {"first_episode": mean_sd(c[:, 0]), "last10": mean_sd(c[:, -last:].mean(1))} for name, c in curves.items()},
            "curves_mean": {k: v.mean(0).round(3).tolist() for k, v in curves.items()}}


# --- Think Before You Act -----------------------------------------------------------------------------------------

def tbya_part(out: Path, seeds: list[int], quick: bool, lm_seeds: list[int], lm_steps: int,
              level: str = TBYA_LEVEL) -> dict:
    """Captions vs none on ``level``: the small random-init GPT-2 on ``seeds``, SmolLM2-135M on ``lm_seeds``."""
    from llmrl_seqmodel.tbya.config import TBYAModelConfig, TBYARunConfig, TBYATrainConfig
    from llmrl_seqmodel.tbya.pipeline import collect_run, eval_run, model_name, train_run

    demos, steps, episodes = (24, 10, 6) if quick else (1000, 1000, 300)
    info = collect_run(out, TBYARunConfig(level=level, demos=demos, workers=1))
    small = TBYAModelConfig()
    lm = TBYAModelConfig(backbone="smollm2-135m")
    runs = []
    for seed in sorted(set(seeds) | set(lm_seeds)):
        arms = []
        if seed in seeds:
            arms.append((small, TBYATrainConfig(steps=steps, batch_size=32, lr=1e-3, warmup=max(1, steps // 10), seed=seed)))
        if seed in lm_seeds:
            arms.append((lm, TBYATrainConfig(steps=lm_steps, batch_size=8, lr=1e-4, warmup=max(1, lm_steps // 10), seed=seed)))
        for model_cfg, train_cfg in arms:
            for captions in (True, False):
                cpu0, load0 = cpu_seconds(), os.getloadavg()
                trained = train_run(out, captions, train_cfg, model_cfg)
                name = model_name(captions, model_cfg.backbone)
                res = eval_run(out, episodes, (name,))["models"][name]
                runs.append({"seed": seed, "backbone": model_cfg.backbone, "captions": captions, "train": trained,
                             "eval": res, "cpu_min": (cpu_seconds() - cpu0) / 60, "load_before": load0,
                             "load_after": os.getloadavg(), "steps": train_cfg.steps, "batch_size": train_cfg.batch_size})
                logging.info("tbya %s seed %d: success %.3f", name, seed, res["success_rate"])
                if model_cfg.backbone != "gpt2":
                    (out / f"model-{name}.pt").unlink(missing_ok=True)  # 0.5 GB each
    summary = {}
    for backbone in ("gpt2", "smollm2-135m"):
        for captions in (True, False):
            rates = [r["eval"]["success_rate"] for r in runs if r["backbone"] == backbone and r["captions"] == captions]
            if rates:
                sems = [r["eval"]["success_sem"] for r in runs if r["backbone"] == backbone and r["captions"] == captions]
                key = model_name(captions, backbone)
                summary[key] = {"success": mean_sd(rates), "sem_per_seed": sems,
                                "sem_of_mean": float(np.sqrt(np.sum(np.square(sems))) / len(sems))}
    return {"demos": info, "episodes_per_seed": episodes, "runs": runs, "summary": summary}


# --- throughput ---------------------------------------------------------------------------------------------------

def throughput(batch: int, length: int, n_embd: int, n_layer: int, n_head: int, n_inner: int, steps: int) -> dict:
    """tokens/s of AD's training step vs a plain GPT-2 (input ids) of the same size, same batch."""
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


def over_seeds(run, seeds: list[int], jobs: int) -> list[dict]:
    """``[run(seed) for seed in seeds]``, ``jobs`` at a time in worker processes (in this process when 1)."""
    if jobs <= 1 or len(seeds) == 1:
        return [run(s) for s in seeds]
    from llmrl_core.parallel import parallel_map

    return parallel_map(run, seeds, backend="local", max_workers=jobs,
                        on_result=lambda i, r: logging.info("seed %d done (%.1f CPU-min)", seeds[i],
                                                            r.get("cpu_min_with_eval", r.get("cpu_min", 0.0))))


# --- main ---------------------------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny settings: exercises every step in under a minute")
    parser.add_argument("--out", type=Path, default=None, help="keep run directories here (default: a temp dir)")
    parser.add_argument("--part", choices=("all", "ad", "dpt", "tbya", "tune-source"), default="all",
                        help="all = ad + dpt + tbya (tune-source only when asked)")
    parser.add_argument("--seeds", default="0,1,2", help="training seeds, every one reported")
    parser.add_argument("--jobs", type=int, default=1, help="AD / DPT seeds run at once, each in a worker process")
    parser.add_argument("--ad-steps", type=int, default=8000, help="AD's training steps (ED trains a quarter of them)")
    parser.add_argument("--tbya-level", default=TBYA_LEVEL, help="BabyAI level of the TBYA part")
    parser.add_argument("--tbya-lm-seeds", default="0", help="seeds of the SmolLM2-135M backbone (its CPU cost); "
                        "independent of --seeds, which are the small model's")
    parser.add_argument("--tbya-lm-steps", type=int, default=60, help="SmolLM2-135M fine-tuning steps (batch 8)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    out = args.out or Path(tempfile.mkdtemp(prefix="llmrl-seqmodel-bench-"))
    seeds = [int(s) for s in args.seeds.split(",") if s][: 1 if args.quick else None]
    start, cpu0 = time.perf_counter(), cpu_seconds()
    figures: dict = {"quick": args.quick, "seeds": seeds, "load_start": os.getloadavg()}

    if args.part == "tune-source":
        tuned = tune_source(args.quick)
        print(json.dumps({"tune_source": tuned}))
        figures.update({f"tuned_{k}": v["best"] for k, v in tuned["learners"].items()})
    if args.part in ("all", "ad"):
        runs = over_seeds(functools.partial(ad_seed, out=out, quick=args.quick, steps=args.ad_steps), seeds, args.jobs)
        summary = ad_summary(runs)
        plot_ad(summary, out / "ad-curves.png", seeds)
        print(json.dumps({"ad_runs": runs, "ad_summary": summary}))
        last = "last10"
        figures.update({
            "ad_source": runs[0]["source"],
            "ad_vs_ed_return_ratio": summary["ad"][last]["mean"] / max(summary["ed"][last]["mean"], 1e-9),
            "ad_return": summary["ad"][last], "ad_first_episode_return": summary["ad"]["first_episode"],
            "source_return": summary["source"][last], "ed_return": summary["ed"][last]["mean"],
            "random_return": summary["random"][last]["mean"], "optimal_return": summary["optimal"],
            "ad_mean_return_over_episodes": summary["ad"]["mean_over_episodes"],
            "source_mean_return_over_episodes": summary["source"]["mean_over_episodes"],
            "ad_in_context_gain": summary["claim1_ad_last10_minus_first"],
            "ad_minus_source_mean_return": summary["claim2_ad_minus_source_mean_return"],
            "ad_pipeline_cpu_minutes": mean_sd([r["pipeline_cpu_min"] for r in runs]),
            "ad_all_seeds_cpu_minutes": float(sum(r["cpu_min_with_eval"] for r in runs)),
        })
        tp = throughput(16 if args.quick else 32, 40 if args.quick else 80, 64, 4, 4, 256, 3 if args.quick else 20)
        figures.update({"ad_train_tokens_per_s": tp["ad_tokens_per_s"], "plain_gpt2_tokens_per_s": tp["plain_gpt2_tokens_per_s"],
                        "train_throughput_vs_plain_gpt2": tp["ratio"]})
    if args.part in ("all", "dpt"):
        runs = over_seeds(functools.partial(dpt_seed, out=out, quick=args.quick), seeds, args.jobs)
        summary = dpt_summary(runs)
        print(json.dumps({"dpt_runs": runs, "dpt_summary": summary}))
        figures.update({"dpt_room": runs[0]["room"], "dpt_return": summary["dpt"]["last10"], "dpt_first_episode": summary["dpt"]["first_episode"],
                        "dpt_random_return": summary["random"]["last10"]["mean"], "dpt_optimal_return": summary["optimal"],
                        "dpt_cpu_minutes": float(sum(r["cpu_min"] for r in runs))})
    if args.part in ("all", "tbya"):
        lm_seeds = [] if args.quick else [int(s) for s in args.tbya_lm_seeds.split(",") if s]
        tb = tbya_part(out / "tbya", seeds, args.quick, lm_seeds, args.tbya_lm_steps, args.tbya_level)
        print(json.dumps({"tbya": tb}))
        s = tb["summary"]
        figures.update({f"tbya_success_{k}": v["success"] for k, v in s.items()})
        if "captions" in s and "plain" in s:
            figures["tbya_captions_vs_plain_ratio"] = s["captions"]["success"]["mean"] / max(s["plain"]["success"]["mean"], 1e-9)
    figures["total_minutes"] = (time.perf_counter() - start) / 60
    figures["cpu_minutes"] = (cpu_seconds() - cpu0) / 60
    figures["load_end"] = os.getloadavg()
    figures["run_dir"] = str(out)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
