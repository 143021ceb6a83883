"""The one training entry point, :func:`train`: a run of any recipe on TRL's GRPOTrainer.

It owns the run directory, resuming, the model, the trainer and the held-out evals; the recipe
(:mod:`llmrl_grpo.recipe`) supplies the data, rewards, rollout, evaluation and step metrics.

Run directory::

    config.yaml          the resolved config
    metrics.jsonl        one line per generation step (TRL's logs averaged over its optim.updates_per_generation
                         updates, e.g. clip_ratio/region_mean, + the recipe's step metrics, e.g. reflection, batch ids)
    eval.jsonl           held-out evals before and after training
    summary.md           what ran, and the held-out evals as a table
    curves.png           accuracy, response length and reflection ratios per step
    checkpoints/         TRL/transformers checkpoints (model, optimiser, scheduler, RNG, step)
    final/               the trained model and tokenizer, a VLM's processor (for `llmrl grpo eval --checkpoint`)
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from llmrl_core import runs
from llmrl_core.errors import ConfigError
from llmrl_core.events import Reporter, or_silent, silent
from llmrl_grpo.config import RecipeConfig
from llmrl_grpo.distributed import share_from_main

if TYPE_CHECKING:
    from llmrl_grpo.generation import PolicyGenerator
    from llmrl_grpo.recipe import Recipe

log = logging.getLogger(__name__)
C = TypeVar("C", bound=RecipeConfig)

RecipeFactory = Callable[[Any, Reporter], "Recipe"]
"""A :class:`~llmrl_grpo.recipe.Recipe` subclass, or any ``(cfg, report) -> Recipe``."""


class RunDir(runs.RunDir):
    """llmrl-core's run directory, plus the trained model (``final/``)."""

    def __init__(self, root: str | Path, *, writer: bool | None = None) -> None:
        super().__init__(root, writer=writer)
        self.final = self.root / "final"

    def rewind_to(self, checkpoint: Path, updates_per_step: int = 1) -> int:
        """Drop metrics logged after ``checkpoint`` (a killed run logged past it); return its (generation) step."""
        step = int(checkpoint.name.split("-")[-1]) // updates_per_step
        self.rewind_metrics(step)
        return step


def _scalar_logs(logs: dict[str, Any]) -> dict[str, float]:
    return {k: float(v) for k, v in logs.items() if isinstance(v, int | float) and not isinstance(v, bool)}


def make_metrics_callback(run: RunDir, recipe: Recipe, total_steps: int, report: Reporter | None,
                          updates_per_step: int = 1):
    """A TrainerCallback writing one ``metrics.jsonl`` line per generation step (TRL logs once per
    ``updates_per_step`` optimiser steps): TRL's logs + the recipe's step metrics."""
    from transformers import TrainerCallback

    class MetricsCallback(TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kwargs):  # type: ignore[override]
            if not logs or "loss" not in logs:
                return
            step = state.global_step // updates_per_step
            record: dict[str, Any] = {"step": step, "updates": state.global_step, **_scalar_logs(logs),
                                      **recipe.step_metrics()}
            run.log_metrics(record)
            if report:
                report("step", step=step, total=total_steps, record=record)

    return MetricsCallback()


def trl_config(cfg: RecipeConfig, run: RunDir, device_type: str, bf16: bool, generator: PolicyGenerator | None = None):
    """The GRPOConfig of a run (MayeGRPOConfig, which also takes maye mode's one response per prompt);
    ``generator`` (default: the one ``generation.backend`` names) picks TRL's generation engine."""
    from llmrl_grpo.generation import make_generator
    from llmrl_grpo.trainer import MayeGRPOConfig

    opt, gen = cfg.optim, cfg.generation
    processes, updates = runs.world()[1], opt.updates_per_generation
    if gen.completions_per_step % (processes * opt.minibatches):
        raise ConfigError(f"generation.completions_per_step ({gen.completions_per_step}) is the batch of all "
                          f"{processes} processes together, split into {opt.minibatches} mini-batches on each: "
                          f"it must be a multiple of {processes * opt.minibatches}")
    engine = (generator or make_generator(gen)).trl_args()
    unknown = sorted(set(engine) - set(MayeGRPOConfig.__dataclass_fields__))
    if unknown:
        raise ConfigError(f"generation.vllm_args: {', '.join(unknown)} {'is' if len(unknown) == 1 else 'are'} not "
                          "a field of the installed TRL's GRPOConfig; see its vllm_* fields")
    return MayeGRPOConfig(
        output_dir=str(run.checkpoints),
        # the step's batch is over all ranks, each rank's share split into mini-batches
        per_device_train_batch_size=gen.completions_per_step // processes // opt.minibatches,
        steps_per_generation=opt.minibatches,  # with num_iterations: `updates` optimiser steps per generation batch
        num_generations=cfg.generations,
        max_completion_length=gen.max_completion_length,
        temperature=gen.temperature,
        top_p=gen.top_p,
        learning_rate=opt.learning_rate,
        beta=opt.beta,
        epsilon=opt.epsilon,
        num_iterations=opt.num_iterations,
        loss_type="dapo",  # token-mean over the batch, as MAYE
        scale_rewards="batch" if cfg.mode == "maye" else "group",
        weight_decay=opt.weight_decay,
        adam_beta2=0.95,
        warmup_steps=opt.warmup_ratio,  # a float below 1 is a ratio of the total steps
        lr_scheduler_type=opt.lr_scheduler,
        max_grad_norm=opt.max_grad_norm,
        max_steps=cfg.optimizer_steps,
        logging_steps=updates,  # one metrics line per generation batch
        save_strategy="steps",
        save_steps=cfg.save_steps * updates,  # checkpoints at generation boundaries, so a resume regenerates
        report_to=[],
        seed=cfg.seed,
        data_seed=cfg.seed,
        use_cpu=device_type == "cpu",
        bf16=bf16,
        disable_tqdm=True,
        log_completions=False,
        dataloader_num_workers=0,
        ddp_find_unused_parameters=False,  # every trainable weight takes part in a forward (frozen ones are not DDP's)
        activation_checkpointing=False,  # a recompute costs more than it saves for small models on a CPU
        **engine,
    )


def model_is_vlm(name: str) -> bool:
    """Whether the model ``name`` resolves to is a vision-language model (its config has a ``vision_config``);
    reads the config only. An alias or ``.gguf`` is text-only; a name that does not load is left to the loader."""
    from llmrl_core.models import EMBEDDED, resolve_model
    from llmrl_grpo.vlm import is_vlm_config

    if name in EMBEDDED or name.endswith(".gguf"):
        return False
    from transformers import AutoConfig

    resolved = resolve_model(name)
    try:
        config = AutoConfig.from_pretrained(resolved.path, **({} if resolved.local else {"local_files_only": True}))
    except (OSError, ValueError):
        return False
    return is_vlm_config(config)


def load_pretrained(name: str, *, device: Any = None, dtype: Any = None) -> tuple[Any, Any]:
    """``(model, tokenizer)``, or for a vision-language model ``(model, processor)`` (:mod:`llmrl_grpo.vlm`)."""
    from llmrl_core.models import load_model_and_tokenizer, resolve_model

    if not model_is_vlm(name):
        return load_model_and_tokenizer(name, device=device, dtype=dtype)
    from llmrl_grpo.vlm import load_vlm

    resolved = resolve_model(name)
    try:
        model, processor = load_vlm(resolved.path, dtype=dtype, **({} if resolved.local else {"local_files_only": True}))
    except OSError as exc:
        raise ConfigError(f"cannot load vision-language model {name!r} from {resolved.path!r}: {exc}. llmrl never "
                          "downloads weights at run time: pass a local directory saved with its processor.") from None
    if device is not None:
        model.to(device)
    return model, processor


def load_model(cfg: RecipeConfig):
    """Model, tokenizer (a VLM: its processor) and backend; a VLM's vision tower frozen when asked."""
    from llmrl_core import get_backend
    from llmrl_grpo.vlm import text_tokenizer

    backend = get_backend(cfg.backend)
    device = backend.device
    local_rank = os.environ.get("LOCAL_RANK")  # torchrun/accelerate: each process on its own GPU
    if local_rank is not None and getattr(device, "type", None) == "cuda":
        import torch

        device = torch.device("cuda", int(local_rank))
    model, processing = load_pretrained(cfg.model, device=device, dtype=backend.default_dtype)
    tokenizer = text_tokenizer(processing)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    if cfg.freeze_vision:
        from llmrl_grpo.vlm import freeze_vision

        freeze_vision(model)
    return model, processing, backend


def load_task(cfg: RecipeConfig):
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


@contextmanager
def preserved_rng() -> Iterator[None]:
    """Python's, NumPy's and torch's (CPU and CUDA) random states are restored on exit."""
    import random

    import numpy as np
    import torch

    states = random.getstate(), np.random.get_state(), torch.random.get_rng_state()
    cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None
    try:
        yield
    finally:
        random.setstate(states[0])
        np.random.set_state(states[1])
        torch.random.set_rng_state(states[2])
        if cuda is not None:
            torch.cuda.set_rng_state_all(cuda)


def trainer_class(mode: str):
    """The trainer of a mode: MAYE's batch-whitened advantages, or TRL's group ones (both resume-safe)."""
    from llmrl_grpo.trainer import LlmrlGRPOTrainer, MayeGRPOTrainer

    return MayeGRPOTrainer if mode == "maye" else LlmrlGRPOTrainer


def train(cfg: C, recipe: RecipeFactory | None = None, *, resume: bool = False, report: Reporter | None = None,
          callbacks: list | None = None, generator: PolicyGenerator | None = None) -> dict[str, Any]:
    """Train ``cfg`` with ``recipe`` (default: :class:`~llmrl_grpo.recipe.GRPORecipe`), evaluate before and
    after, write the run directory; return ``{"run_dir", "stopped_at", "evals"}``.

    ``recipe`` is a :class:`~llmrl_grpo.recipe.Recipe` subclass (or any ``(cfg, report) -> Recipe``); it is
    built with the config the run resolves to (on ``resume``, the saved one). ``callbacks`` are extra
    TrainerCallbacks (a test stops a run with one). ``generator`` replaces the one ``generation.backend``
    names (tests drive the trainers with a fake one).

    Under torchrun or ``accelerate launch`` every rank calls this; rank 0 alone writes the run directory,
    reports and runs the held-out evaluations while the others wait (``eval.wait_timeout_s``).
    """
    from llmrl_grpo.generation import make_generator
    from llmrl_grpo.recipe import GRPORecipe
    from llmrl_grpo.vlm import text_tokenizer

    run = RunDir(cfg.output)
    cfg = prepare_run_dir(cfg, run, resume)
    emit = or_silent(report) if run.writer else silent
    method = (recipe or GRPORecipe)(cfg, emit)
    generator = generator or make_generator(cfg.generation)  # a missing vLLM or GPU fails here, before any load
    _, train_examples, test_examples, skipped = load_task(cfg)  # a bad task name fails before the model loads
    check_images(cfg, method, generator, train_examples + test_examples[: cfg.eval.num_prompts])
    with method.resources():
        emit("status", message=f"loading {cfg.model}")
        model, processing, backend = load_model(cfg)
        tokenizer = text_tokenizer(processing)  # a VLM's processor holds it; the rewards want it
        if skipped:
            emit("status", message=f"skipped {skipped} example(s) without an answer")

        def held_out(stage: str, step: int, policy: Any) -> dict[str, Any]:
            """Evaluate ``policy`` on the held-out prompts (rank 0 only) and log the record."""
            emit("status", message=f"held-out eval ({stage})")
            with preserved_rng():  # evaluating never changes what training samples
                results = method.evaluate(policy, processing, test_examples[: cfg.eval.num_prompts],
                                          lambda note: emit("status", message=f"held-out eval ({stage}): {note}"))
            record = {"stage": stage, "step": step, **results}
            run.log_eval(record)
            emit("eval", stage=stage, results=record)
            return record

        rewards = method.rewards(tokenizer)
        args = trl_config(cfg, run, backend.device.type, bf16=str(backend.default_dtype) == "torch.bfloat16",
                          generator=generator)
        args.reward_weights = [weight for _, weight in rewards]
        extra = {"keep_mean": cfg.optim.maye_keep_mean} if cfg.mode == "maye" else {}
        trainer = trainer_class(cfg.mode)(  # builds the accelerator: from here on the ranks can wait on each other
            model=model, reward_funcs=[func for func, _ in rewards], args=args, train_dataset=method.dataset(train_examples),
            processing_class=processing, rollout_func=method.rollout_func(generator), generator=generator,
            callbacks=[make_metrics_callback(run, method, cfg.steps, emit, cfg.optim.updates_per_generation),
                       *method.callbacks(), *(callbacks or [])],
            **extra,
        )
        evals = evals_before(run, cfg, lambda stage, step: held_out(stage, step, model))
        checkpoint = resume_checkpoint(run, resume, emit, cfg.optim.updates_per_generation)
        return train_and_finish(run, cfg, method, trainer, processing, checkpoint, evals, held_out, emit)


def check_images(cfg: RecipeConfig, recipe: Recipe, generator: PolicyGenerator, examples: list[Any]) -> None:
    """Before the model loads: a task with pictures needs a VLM and TRL's own one-turn generation (a recipe's
    rollout, or a generator taking over one-turn sampling, sees token ids only: the pictures would be dropped)."""
    from llmrl_grpo.data import has_image
    from llmrl_grpo.generation import PolicyGenerator
    from llmrl_grpo.recipe import Recipe
    from llmrl_grpo.vlm import check_images_fit

    if not any(has_image(e) for e in examples):
        return
    check_images_fit(model_is_vlm(cfg.model), examples, cfg.model, cfg.task)
    if type(recipe).rollout_func is not Recipe.rollout_func:
        raise ConfigError(f"task {cfg.task!r} has pictures, but the {recipe.name} recipe generates with its own "
                          "rollout, which passes token ids only: image tasks train with the grpo recipe")
    if type(generator).single_turn is not PolicyGenerator.single_turn:
        raise ConfigError(f"task {cfg.task!r} has pictures, but generator {type(generator).__name__} samples from "
                          "token ids only: image tasks need TRL's own generation (generation.backend hf or vllm-*)")


def evals_before(run: RunDir, cfg: RecipeConfig, held_out: Callable[[str, int], dict[str, Any]]) -> dict[str, Any]:
    """The held-out evals already in the run directory, plus the "before" one if it is due and missing
    (rank 0 decides and evaluates; every rank gets its result)."""
    evals: dict[str, Any] = {}
    if run.writer:
        evals = {e["stage"]: e for e in run.read_jsonl(run.evals)}
        if cfg.eval.before and "before" not in evals:
            evals["before"] = held_out("before", 0)
    return share_from_main("evals-before", evals, cfg.eval.wait_timeout_s)


def resume_checkpoint(run: RunDir, resume: bool, emit: Reporter, updates_per_step: int = 1) -> Path | None:
    """The checkpoint to resume from (metrics rewound to it), or None for a fresh start."""
    checkpoint = run.latest_checkpoint() if resume else None
    if checkpoint is not None:
        step = run.rewind_to(checkpoint, updates_per_step)
        emit("status", message=f"resuming from step {step}")
    return checkpoint


def trained_policy(trainer: Any, run: RunDir) -> Any:
    """The trained model for rank 0 to evaluate alone: the trainer's own, unless ZeRO-3 or FSDP shards it
    over the ranks; then the saved ``final/`` (every rank took part in saving it whole)."""
    accelerator = trainer.accelerator
    plugin = getattr(accelerator.state, "deepspeed_plugin", None)
    sharded = getattr(trainer, "is_fsdp_enabled", False) or (plugin is not None and plugin.zero_stage == 3)
    if not sharded:
        return accelerator.unwrap_model(trainer.model)
    model, _ = load_pretrained(str(run.final), device=accelerator.device, dtype=trainer.model.dtype)
    return model


def train_and_finish(run: RunDir, cfg: RecipeConfig, recipe: Recipe, trainer: Any, processing: Any,
                     checkpoint: Path | None, evals: dict[str, Any], held_out: Callable[[str, int, Any], dict[str, Any]],
                     emit: Reporter) -> dict[str, Any]:
    """Train; unless a callback stopped it early (left resumable), save the final model with its tokenizer
    (a VLM: processor), evaluate after, plot."""
    emit("status", message="training")
    trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    stopped_at = trainer.state.global_step // cfg.optim.updates_per_generation
    if trainer.state.global_step < cfg.optimizer_steps:
        return {"run_dir": str(run.root), "stopped_at": stopped_at, "evals": evals}
    trainer.save_model(str(run.final))  # every rank takes part (ZeRO-3/FSDP gather the weights); rank 0 writes
    if run.writer:
        processing.save_pretrained(str(run.final))
        if cfg.eval.after:
            evals["after"] = held_out("after", cfg.steps, trained_policy(trainer, run))
        write_summary(run, cfg, list(evals.values()), recipe.name)
        from llmrl_grpo.plots import plot_curves

        plot_curves(run.read_jsonl(run.metrics), run.curves, list(evals.values()), accuracy_key=recipe.accuracy_metric)
    evals = share_from_main("evals-after", evals, cfg.eval.wait_timeout_s)
    return {"run_dir": str(run.root), "stopped_at": stopped_at, "evals": evals}


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


def write_summary(run: RunDir, cfg: RecipeConfig, evals: list[dict[str, Any]], recipe: str = "grpo") -> str:
    """``summary.md``: what ran (recipe, model, task, mode, steps) and the held-out evals."""
    text = (f"# {cfg.model} on {cfg.task}\n\n{recipe} recipe, {cfg.mode} mode, {cfg.steps} steps, "
            f"{cfg.generation.completions_per_step} responses per step, {cfg.optim.updates_per_generation} "
            f"updates per step, seed {cfg.seed}.\n\n"
            "## Held-out evaluation\n\n" + (eval_table(evals) if evals else "(none)\n"))
    run.write_summary(text)
    return text
