"""A training run: its directory, the trainer it builds, resuming, and the held-out evals.

Run directory::

    config.yaml          the resolved config
    metrics.jsonl        one line per step (TRL's logs + reflection metrics + the batch's example ids)
    eval.jsonl           held-out evals before and after training
    summary.md           what ran, and the held-out evals as a table
    curves.png           accuracy, response length and reflection ratios per step
    checkpoints/         TRL/transformers checkpoints (model, optimiser, scheduler, RNG, step)
    final/               the trained model and tokenizer (for `llmrl grpo eval --checkpoint`)
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from llmrl_core import runs
from llmrl_core.errors import ConfigError
from llmrl_core.events import or_silent
from llmrl_grpo.config import TrainConfig
from llmrl_grpo.metrics import REFLECTION_WORDS, reflection_ratios, reflection_word_totals

log = logging.getLogger(__name__)
C = TypeVar("C", bound=TrainConfig)

Event = Callable[..., None]
"""``on_event(kind, **data)``: llmrl_core.events' protocol ("status", "step", "eval")."""


class RunDir(runs.RunDir):
    """llmrl-core's run directory, plus the trained model (``final/``)."""

    def __init__(self, root: str | Path, *, writer: bool | None = None) -> None:
        super().__init__(root, writer=writer)
        self.final = self.root / "final"

    def rewind_to(self, checkpoint: Path) -> int:
        """Drop metrics logged after ``checkpoint`` (a killed run logged past it); return its step."""
        step = int(checkpoint.name.split("-")[-1])
        self.rewind_metrics(step)
        return step


def _scalar_logs(logs: dict[str, Any]) -> dict[str, float]:
    return {k: float(v) for k, v in logs.items() if isinstance(v, int | float) and not isinstance(v, bool)}


def make_metrics_callback(run: RunDir, accuracy: Any, total_steps: int, on_event: Event | None):
    """A TrainerCallback writing one ``metrics.jsonl`` line per step, with MAYE's reflection metrics."""
    from transformers import TrainerCallback

    class MetricsCallback(TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kwargs):  # type: ignore[override]
            if not logs or "loss" not in logs:
                return
            batch = accuracy.last_batch
            correct = [s == 1.0 for s in batch["scores"]]
            record: dict[str, Any] = {"step": state.global_step, **_scalar_logs(logs)}
            if batch["texts"]:
                record.update(reflection_ratios(batch["texts"], correct))
                totals = reflection_word_totals(batch["texts"])
                record.update({f"reflection_words/{w}": totals[w] for w in REFLECTION_WORDS})
                record["response_chars"] = sum(map(len, batch["texts"])) / len(batch["texts"])
            record["unparseable_total"] = accuracy.unparseable
            record["batch_ids"] = batch["ids"]
            run.log_metrics(record)
            if on_event:
                on_event("step", step=state.global_step, total=total_steps, record=record)

    return MetricsCallback()


def build_reward_funcs(cfg: TrainConfig, tokenizer: Any) -> tuple[list[Any], list[float]]:
    """The configured reward components and their weights (accuracy first)."""
    from llmrl_grpo.rewards import AccuracyReward, FormatReward, LanguageReward, TruncationPenalty

    funcs: list[Any] = [AccuracyReward()]
    weights = [cfg.rewards.accuracy_weight]
    if cfg.rewards.language:
        funcs.append(LanguageReward(cfg.rewards.language, cfg.rewards.language_coef))
        weights.append(1.0)
    if cfg.rewards.truncation_penalty is not None:
        funcs.append(TruncationPenalty(cfg.max_completion_length, tokenizer.eos_token_id, cfg.rewards.truncation_penalty))
        weights.append(1.0)
    if cfg.rewards.format_weight > 0:
        funcs.append(FormatReward())
        weights.append(cfg.rewards.format_weight)
    return funcs, weights


def trl_config(cfg: TrainConfig, run: RunDir, device_type: str, bf16: bool):
    """The GRPOConfig of a run (MayeGRPOConfig in maye mode)."""
    from llmrl_grpo.trainer import MayeGRPOConfig

    completions = cfg.completions_per_step
    return MayeGRPOConfig(
        output_dir=str(run.checkpoints),
        per_device_train_batch_size=completions,
        steps_per_generation=1,
        num_generations=cfg.generations,
        max_completion_length=cfg.max_completion_length,
        temperature=cfg.temperature,
        top_p=cfg.top_p,
        learning_rate=cfg.learning_rate,
        beta=cfg.beta,
        epsilon=cfg.epsilon,
        num_iterations=cfg.num_iterations,
        loss_type="dapo",  # token-mean over the batch, as MAYE
        scale_rewards="batch" if cfg.mode == "maye" else "group",
        weight_decay=cfg.weight_decay,
        adam_beta2=0.95,
        warmup_steps=cfg.warmup_ratio,  # a float below 1 is a ratio of the total steps
        lr_scheduler_type=cfg.lr_scheduler,
        max_grad_norm=cfg.max_grad_norm,
        max_steps=cfg.steps,
        logging_steps=1,
        save_strategy="steps",
        save_steps=cfg.save_steps,
        report_to=[],
        seed=cfg.seed,
        data_seed=cfg.seed,
        use_cpu=device_type == "cpu",
        bf16=bf16,
        disable_tqdm=True,
        log_completions=False,
        dataloader_num_workers=0,
        activation_checkpointing=False,  # a recompute costs more than it saves for small models on a CPU
    )


def load_model(cfg: TrainConfig):
    """Model and tokenizer on the configured backend (VLM vision frozen when asked)."""
    from llmrl_core import get_backend
    from llmrl_core.models import load_model_and_tokenizer

    backend = get_backend(cfg.backend)
    model, tokenizer = load_model_and_tokenizer(cfg.model, device=backend.device, dtype=backend.default_dtype)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    if cfg.freeze_vision:
        from llmrl_grpo.vlm import freeze_vision

        freeze_vision(model)
    return model, tokenizer, backend


def load_task(cfg: TrainConfig):
    """The task's train and test examples with references (rows without one are skipped and logged)."""
    from llmrl_core import get_task
    from llmrl_grpo.data import usable_examples

    task = get_task(cfg.task, **cfg.task_config)
    train, skipped_train = usable_examples(task.dataset("train"))
    test, skipped_test = usable_examples(task.dataset("test"))
    if not train:
        raise ConfigError(f"task {cfg.task!r} has no training example with a reference answer")
    return task, train, test, skipped_train + skipped_test


def prepare_run_dir(cfg: C, run: RunDir, resume: bool) -> C:
    """The config to train with (llmrl_core.runs.prepare_run: on resume the saved config wins,
    changed only by the fields set explicitly on ``cfg``); writes ``config.yaml``."""
    cfg, _ = runs.prepare_run(cfg, run, resume=resume)
    run.write_config(cfg)
    return cfg


def train(cfg: TrainConfig, *, resume: bool = False, on_event: Event | None = None, callbacks: list | None = None) -> dict[str, Any]:
    """Train, evaluate before and after, write the run directory; return the evals and paths."""
    from llmrl_grpo.evaluate import evaluate
    from llmrl_grpo.trainer import MayeGRPOTrainer

    run = RunDir(cfg.output)
    cfg = prepare_run_dir(cfg, run, resume)
    emit = or_silent(on_event)

    _, train_examples, test_examples, skipped = load_task(cfg)  # a bad task name fails before the model loads
    emit("status", message=f"loading {cfg.model}")
    model, tokenizer, backend = load_model(cfg)
    if skipped:
        emit("status", message=f"skipped {skipped} example(s) without an answer")

    def held_out(stage: str, step: int) -> dict[str, Any]:
        emit("status", message=f"held-out eval ({stage})")
        results = evaluate(
            model, tokenizer, test_examples, cfg.eval, instruction=cfg.instruction,
            system_prompt=cfg.system_prompt, max_new_tokens=cfg.max_completion_length,
            on_progress=lambda metric: emit("status", message=f"held-out eval ({stage}): {metric}"),
        )
        record = {"stage": stage, "step": step, **results}
        run.log_eval(record)
        emit("eval", stage=stage, results=record)
        return record

    evals = evals_before(run, cfg, held_out)
    checkpoint = resume_checkpoint(run, resume, emit)

    from llmrl_grpo.data import to_dataset

    dataset = to_dataset(train_examples, cfg.instruction, cfg.system_prompt)
    reward_funcs, weights = build_reward_funcs(cfg, tokenizer)
    args = trl_config(cfg, run, backend.device.type, bf16=str(backend.default_dtype) == "torch.bfloat16")
    args.reward_weights = weights
    trainer_cls = MayeGRPOTrainer if cfg.mode == "maye" else _plain_trainer()
    extra = {"keep_mean": cfg.maye_keep_mean} if cfg.mode == "maye" else {}
    trainer = trainer_cls(
        model=model, reward_funcs=reward_funcs, args=args, train_dataset=dataset, processing_class=tokenizer,
        callbacks=[make_metrics_callback(run, reward_funcs[0], cfg.steps, on_event), *(callbacks or [])], **extra,
    )
    return train_and_finish(run, cfg, trainer, tokenizer, checkpoint, evals, held_out, emit)


def evals_before(run: RunDir, cfg: TrainConfig, held_out: Callable[[str, int], dict[str, Any]]) -> dict[str, Any]:
    """The held-out evals already in the run directory, plus the "before" one if it is due and missing."""
    evals = {e["stage"]: e for e in run.read_jsonl(run.evals)}
    if cfg.eval_before and "before" not in evals:
        evals["before"] = held_out("before", 0)
    return evals


def resume_checkpoint(run: RunDir, resume: bool, emit: Event) -> Path | None:
    """The checkpoint to resume from (metrics rewound to it), or None for a fresh start."""
    checkpoint = run.latest_checkpoint() if resume else None
    if checkpoint is not None:
        step = run.rewind_to(checkpoint)
        emit("status", message=f"resuming from step {step}")
    return checkpoint


def train_and_finish(run: RunDir, cfg: TrainConfig, trainer: Any, tokenizer: Any, checkpoint: Path | None,
                     evals: dict[str, Any], held_out: Callable[[str, int], dict[str, Any]], emit: Event) -> dict[str, Any]:
    """Train; unless a callback stopped it early (left resumable), save the final model, evaluate after, plot."""
    emit("status", message="training")
    trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    if trainer.state.global_step < cfg.steps:
        return {"run_dir": str(run.root), "stopped_at": trainer.state.global_step, "evals": evals}
    trainer.save_model(str(run.final))  # the main process only, as every Trainer save
    if run.writer:
        tokenizer.save_pretrained(str(run.final))
    if cfg.eval_after:
        evals["after"] = held_out("after", cfg.steps)
    if run.writer:
        write_summary(run, cfg, list(evals.values()))
        from llmrl_grpo.plots import plot_curves

        plot_curves(run.read_jsonl(run.metrics), run.curves, list(evals.values()))
    return {"run_dir": str(run.root), "stopped_at": trainer.state.global_step, "evals": evals}


def _plain_trainer():
    from llmrl_grpo.trainer import LlmrlGRPOTrainer

    return LlmrlGRPOTrainer


EVAL_COLUMNS = ("pass@1_greedy", "pass@1_t0.6", "mean@k_t1.0", "pass@8", "unparseable", "t1.0/reflection_ratio")
"""Greedy pass@1 first: at T = 1.0 much of a short run's gain is the model learning to answer at once."""


def eval_table(evals: list[dict[str, Any]]) -> str:
    """One row per held-out eval, MAYE's metrics as columns (markdown)."""
    columns = [c for c in EVAL_COLUMNS if any(c in e for e in evals)]
    extra = sorted({k for e in evals for k in e if k.startswith("pass@") and k not in columns and "/" not in k})
    columns += extra
    lines = ["| stage | step | " + " | ".join(columns) + " |", "|---|---|" + "---|" * len(columns)]
    for e in evals:
        cells = [f"{e[c]:.3f}" if isinstance(e.get(c), float) else str(e.get(c, "")) for c in columns]
        lines.append(f"| {e['stage']} | {e['step']} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def write_summary(run: RunDir, cfg: TrainConfig, evals: list[dict[str, Any]]) -> str:
    """``summary.md``: what ran (model, task, mode, steps) and the held-out evals."""
    text = (f"# {cfg.model} on {cfg.task}\n\n{cfg.mode} mode, {cfg.steps} steps, "
            f"{cfg.completions_per_step} responses per step, seed {cfg.seed}.\n\n"
            "## Held-out evaluation\n\n" + (eval_table(evals) if evals else "(none)\n"))
    run.write_summary(text)
    return text
