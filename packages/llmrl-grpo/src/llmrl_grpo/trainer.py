"""The two modes on TRL's GRPOTrainer; only MAYE's advantage needs code of its own.

=========  ======================  ==============================================  =====================
mode       responses per prompt    advantage of a response with reward r           TRL
=========  ======================  ==============================================  =====================
``grpo``   n (``num_generations``) (r − mean of its group) / std of its group      ``LlmrlGRPOTrainer``
``maye``   1                       (r − mean of batch) / std of batch (REINFORCE++) ``MayeGRPOTrainer``
=========  ======================  ==============================================  =====================

Both: PPO-clip surrogate (ε = 0.2), token-mean loss, k3 KL to the reference policy as a
loss term (``beta``), no KL in the reward, γ = 1 (the scalar score is every token's return).
MAYE's batch whitening weighs each response by its token count, as whitening over the
batch's tokens does; MAYE's own ``whiten`` adds the mean back after scaling (set
``keep_mean=True`` for that exact behaviour; the default centres, as REINFORCE++ does).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from trl import GRPOConfig, GRPOTrainer
from trl.trainer.utils import RepeatSampler


@dataclass
class MayeGRPOConfig(GRPOConfig):
    """``GRPOConfig`` that accepts ``num_generations=1`` (MAYE's baseline is the batch, not a group)."""

    def __post_init__(self) -> None:
        single = self.num_generations == 1
        if single:
            # TRL refuses < 2 because its group baseline needs two; any divisor of the batch passes its checks.
            self.num_generations = max(2, self.per_device_train_batch_size)
        try:
            super().__post_init__()
        finally:
            if single:
                self.num_generations = 1


def batch_whitened_advantages(rewards: torch.Tensor, lengths: torch.Tensor, keep_mean: bool = False) -> torch.Tensor:
    """REINFORCE++ advantages: per-response rewards whitened over every response token of the batch."""
    weights = lengths.to(rewards.dtype).clamp(min=1)
    mean = (rewards * weights).sum() / weights.sum()
    var = (weights * (rewards - mean) ** 2).sum() / weights.sum()
    advantages = (rewards - mean) * torch.rsqrt(var + 1e-8)
    return advantages + mean if keep_mean else advantages


def _tied_parameter_names(model: torch.nn.Module) -> set[str]:
    """Names of parameters that share their storage with an earlier parameter (tied weights)."""
    seen: dict[int, str] = {}
    tied: set[str] = set()
    for name, param in model.named_parameters(remove_duplicate=False):
        key = param.data_ptr()
        if key in seen:
            tied.add(name)
        else:
            seen[key] = name
    return tied


class EpochSeededSampler(RepeatSampler):
    """TRL's sampler, with an order that depends on (seed, epoch) only.

    TRL's draws each epoch's permutation from one generator, so a run resumed at epoch e replays
    epoch 0's order; reseeding per epoch (transformers calls ``set_epoch``) makes it replay epoch e's.
    """

    def set_epoch(self, epoch: int) -> None:
        if self.shuffle and self.seed is not None:
            self.generator.manual_seed(self.seed + epoch)


class LlmrlGRPOTrainer(GRPOTrainer):
    """TRL's GRPOTrainer whose data order survives a resume, and that keeps the console quiet.

    Metrics go to the run's ``metrics.jsonl`` (llmrl's callback) and the progress display, so
    transformers' ``PrinterCallback`` (raw ``{'loss': ...}`` dicts) is removed. ``generator``
    (``llmrl_grpo.generation``) may take over the one-turn generation; by default TRL's own
    engine (transformers, or its vLLM when ``use_vllm``) does it.
    """

    def __init__(self, *args: Any, generator: Any = None, **kwargs: Any) -> None:
        self.generator = generator
        super().__init__(*args, **kwargs)
        from transformers.trainer_callback import PrinterCallback

        self.remove_callback(PrinterCallback)

    def _generate_single_turn(self, prompt_ids, images, multimodal_fields, num_generations, *args, **kwargs):  # type: ignore[override]
        out = self.generator.single_turn(self, prompt_ids, num_generations) if self.generator is not None else None
        if out is not None:
            return out
        return super()._generate_single_turn(prompt_ids, images, multimodal_fields, num_generations, *args, **kwargs)

    def _load_from_checkpoint(self, resume_from_checkpoint: str, model: Any = None) -> None:  # type: ignore[override]
        self._resuming = (resume_from_checkpoint, model)
        try:
            super()._load_from_checkpoint(resume_from_checkpoint, model)
        finally:
            self._resuming = None

    def _issue_warnings_after_load(self, load_result: Any) -> None:  # type: ignore[override]
        """Tied weights (SmolLM2's lm_head is its embedding) are not saved, so are not "missing".

        A checkpoint saved under the model's original parameter names (transformers saves Qwen2-VL's
        ``model.language_model.*`` as ``model.*`` and ``model.visual.*`` as ``visual.*``) matches none of the
        model's names when the Trainer loads it raw on resume, which would go on from the *initial* weights:
        it is loaded again through ``from_pretrained``, which maps the names back.
        """
        resuming = getattr(self, "_resuming", None)
        model = self.accelerator.unwrap_model(resuming[1] if resuming and resuming[1] is not None else self.model)
        tied = _tied_parameter_names(model)
        if load_result.unexpected_keys and resuming:
            saved = type(model).from_pretrained(resuming[0], dtype=model.dtype)
            load_result = model.load_state_dict(saved.state_dict(), strict=False)
            del saved
        missing = set(load_result.missing_keys)
        if missing <= tied and not load_result.unexpected_keys:
            if missing:
                model.tie_weights()
            return
        super()._issue_warnings_after_load(load_result)

    def _get_train_sampler(self, dataset=None):  # type: ignore[override]
        sampler = super()._get_train_sampler(dataset)
        if isinstance(sampler, RepeatSampler):
            sampler.__class__ = EpochSeededSampler
        return sampler


class MayeGRPOTrainer(LlmrlGRPOTrainer):
    """GRPOTrainer with MAYE's batch-normalised advantages (use with ``num_generations=1``)."""

    def __init__(self, *args: Any, keep_mean: bool = False, **kwargs: Any) -> None:
        self.keep_mean = keep_mean
        self._last_rewards_per_func: torch.Tensor | None = None
        super().__init__(*args, **kwargs)

    def _calculate_rewards(self, inputs, prompts, completions, completion_ids_list):  # type: ignore[override]
        rewards_per_func = super()._calculate_rewards(inputs, prompts, completions, completion_ids_list)
        self._last_rewards_per_func = rewards_per_func  # gathered over processes
        return rewards_per_func

    def _generate_and_score_completions(self, inputs):  # type: ignore[override]
        output = super()._generate_and_score_completions(inputs)
        rewards_per_func = self._last_rewards_per_func
        assert rewards_per_func is not None
        weights = self.reward_weights.to(rewards_per_func.device)
        rewards = torch.nan_to_num((rewards_per_func * weights).nansum(dim=1))
        lengths = self.accelerator.gather(output["completion_mask"].sum(dim=1))
        advantages = batch_whitened_advantages(rewards, lengths.to(rewards.device), self.keep_mean)
        local = output["advantages"].shape[0]
        start = self.accelerator.process_index * local
        output["advantages"] = advantages[start : start + local].to(output["advantages"].device)
        return output
