"""A ToRL training run, in llmrl-grpo's run directory format (config, metrics.jsonl, checkpoints, curves, eval).

It reuses llmrl-grpo's pieces (run directory, TRL config, model loading, task, metrics
callback, plots, eval table) and changes what ToRL changes: generation is the tool loop
(a TRL ``rollout_func``), the reward is +1 / −1 (+ the optional exec penalty), and the
held-out eval runs the tool loop too.
"""

from __future__ import annotations

import logging
from typing import Any

from llmrl_core.events import or_silent
from llmrl_grpo.run import (
    Event,
    RunDir,
    evals_before,
    load_model,
    load_task,
    make_metrics_callback,
    prepare_run_dir,
    resume_checkpoint,
    train_and_finish,
    trl_config,
)
from llmrl_toolrl.config import ToRLTrainConfig

log = logging.getLogger(__name__)


def evaluate_with_tools(model: Any, tokenizer: Any, examples: list, cfg: ToRLTrainConfig, sandbox: Any) -> dict[str, float]:
    """Greedy accuracy with the tool loop on the first ``eval.num_prompts`` test questions, plus tool metrics."""
    from llmrl_core import SamplingParams
    from llmrl_toolrl.rewards import ToolReward, tool_metrics
    from llmrl_toolrl.rollout import rollout
    from llmrl_toolrl.sampler import ModelSampler

    examples = examples[: cfg.eval.num_prompts]
    max_new = cfg.eval.max_new_tokens or cfg.max_completion_length
    trajs = rollout(ModelSampler(model, tokenizer, batch_size=cfg.eval.batch_size),
                    [cfg.tools.render(e.prompt) for e in examples], sandbox, cfg.tools,
                    SamplingParams(temperature=0.0, max_tokens=max_new), max_completion_tokens=max_new)
    reward = ToolReward()
    accuracy = [reward.accuracy(t.text, str(e.reference)) for t, e in zip(trajs, examples, strict=True)]
    statuses = [[c.status for c in t.calls] for t in trajs]
    metrics = tool_metrics(statuses, accuracy, [len(t.completion_ids) for t in trajs])
    return {"num_prompts": float(len(examples)), "pass@1_greedy": metrics.pop("tools/accuracy"), **metrics}


def train(cfg: ToRLTrainConfig, *, resume: bool = False, on_event: Event | None = None, callbacks: list | None = None) -> dict[str, Any]:
    """Train with the tool loop, evaluate before and after, write the run directory."""
    from datasets import Dataset

    from llmrl_grpo.trainer import LlmrlGRPOTrainer, MayeGRPOTrainer
    from llmrl_toolrl.rewards import ToolReward
    from llmrl_toolrl.rollout import open_sandbox
    from llmrl_toolrl.trl_rollout import make_rollout_func

    run = RunDir(cfg.output)
    cfg = prepare_run_dir(cfg, run, resume)
    emit = or_silent(on_event)

    _, train_examples, test_examples, _ = load_task(cfg)  # a bad task name fails before the model loads
    emit("status", message=f"opening the {cfg.tools.sandbox!r} sandbox")
    sandbox = open_sandbox(cfg.tools)  # an unusable sandbox stops the run here, with the reason
    try:
        emit("status", message=f"loading {cfg.model}")
        model, tokenizer, backend = load_model(cfg)

        def held_out(stage: str, step: int) -> dict[str, Any]:
            emit("status", message=f"held-out eval with tools ({stage})")
            record = {"stage": stage, "step": step, **evaluate_with_tools(model, tokenizer, test_examples, cfg, sandbox)}
            run.log_eval(record)
            emit("eval", stage=stage, results=record)
            return record

        evals = evals_before(run, cfg, held_out)
        checkpoint = resume_checkpoint(run, resume, emit)

        dataset = Dataset.from_dict({
            "prompt": [cfg.tools.render(e.prompt) for e in train_examples],
            "answer": [str(e.reference) for e in train_examples],
            "id": [e.id for e in train_examples],
        })
        reward = ToolReward(cfg.exec_penalty)
        args = trl_config(cfg, run, backend.device.type, bf16=str(backend.default_dtype) == "torch.bfloat16")
        args.reward_weights = [1.0]
        trainer_cls = MayeGRPOTrainer if cfg.mode == "maye" else LlmrlGRPOTrainer  # resume-safe data order
        extra = {"keep_mean": cfg.maye_keep_mean} if cfg.mode == "maye" else {}
        rollout_func = make_rollout_func(cfg.tools, sandbox, max_completion_length=cfg.max_completion_length,
                                         temperature=cfg.temperature, top_p=cfg.top_p)
        trainer = trainer_cls(
            model=model, reward_funcs=[reward], args=args, train_dataset=dataset, processing_class=tokenizer,
            rollout_func=rollout_func,
            callbacks=[make_metrics_callback(run, reward, cfg.steps, on_event), *(callbacks or [])], **extra,
        )
        return train_and_finish(run, cfg, trainer, tokenizer, checkpoint, evals, held_out, emit)
    finally:
        sandbox.close()
