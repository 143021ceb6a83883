"""Sampling from a live torch model on token-id prompts: how training generates.

Why not a provider: training must sample from the trainer's *current* weights, and a
provider owns its own model; packages also never import a plugin. So this small class
does what the transformers provider does (left-padded ``model.generate``, a stop-string
criterion, the sampled tokens' logprobs) on prompts that are token ids, and hands each
row to :func:`llmrl_core.stops.finish_row`, so ``token_ids``/``stop_token_ids`` mean
exactly what they mean for every provider. Imported only where torch is wanted.
"""

from __future__ import annotations

from typing import Any

import torch
from transformers import GenerationConfig, LogitsProcessor, LogitsProcessorList, StoppingCriteria, StoppingCriteriaList

from llmrl_core import Generation, SamplingParams
from llmrl_core.stops import finish_row


class _StopOnStrings(StoppingCriteria):
    """Ends a row once the decoded tail of its completion holds a stop string; remembers the step."""

    def __init__(self, tokenizer: Any, stops: tuple[str, ...], prompt_len: int, batch: int):
        self.tokenizer, self.stops, self.prompt_len = tokenizer, stops, prompt_len
        self.window = max(len(s) for s in stops) + 4  # every token decodes to >= 1 character
        self.fired_at: list[int | None] = [None] * batch

    def __call__(self, input_ids: torch.LongTensor, scores: Any, **kwargs: Any) -> torch.BoolTensor:
        step = input_ids.shape[1] - self.prompt_len
        start = max(self.prompt_len, input_ids.shape[1] - self.window)
        tails = self.tokenizer.batch_decode(input_ids[:, start:].tolist(), skip_special_tokens=True)
        done = torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)
        for row, tail in enumerate(tails):
            if self.fired_at[row] is None and any(s in tail for s in self.stops):
                self.fired_at[row] = step
            done[row] = self.fired_at[row] is not None
        return done


class _RecordLogprobs(LogitsProcessor):
    """``log_softmax(logits / T)`` of each sampled token (custom processors see the raw logits)."""

    def __init__(self, temperature: float, prompt_len: int):
        self.temperature = temperature if temperature > 0 else 1.0
        self.prompt_len = prompt_len
        self._last: torch.Tensor | None = None
        self.steps: list[torch.Tensor] = []

    def _collect(self, sampled: torch.Tensor) -> None:
        assert self._last is not None
        self.steps.append(self._last.gather(1, sampled[:, None].to(self._last.device)).squeeze(1))

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        if self._last is not None and input_ids.shape[1] > self.prompt_len:
            self._collect(input_ids[:, -1])
        self._last = torch.log_softmax(scores.float() / self.temperature, dim=-1)
        return scores

    def finish(self, sequences: torch.Tensor) -> list[list[float]]:
        generated = sequences.shape[1] - self.prompt_len
        if len(self.steps) < generated and self._last is not None:
            self._collect(sequences[:, -1])
        if not self.steps:
            return [[] for _ in range(sequences.shape[0])]
        return torch.stack(self.steps[:generated], dim=1).cpu().tolist()


class ModelSampler:
    """Samples completions of token-id prompts from ``model``; the tool loop's token-exact backend."""

    def __init__(self, model: Any, tokenizer: Any, batch_size: int = 64):
        self.model, self.tokenizer, self.batch_size = model, tokenizer, batch_size
        eos = model.generation_config.eos_token_id if model.generation_config is not None else None
        eos = tokenizer.eos_token_id if eos is None else eos
        self.eos_ids = set(eos if isinstance(eos, list) else [eos]) - {None}
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else min(self.eos_ids)

    def encode(self, text: str, *, special: bool = False) -> list[int]:
        return list(self.tokenizer(text, add_special_tokens=special)["input_ids"])

    def decode(self, ids: list[int]) -> str:
        return self.tokenizer.decode(ids, skip_special_tokens=True, clean_up_tokenization_spaces=False)

    def generate_ids(self, prompts: list[list[int]], params: SamplingParams) -> list[Generation]:
        """One completion per token-id prompt (``params.n`` is ignored: repeat the prompt instead).

        ``params.seed`` reseeds torch's global generator (training leaves it None: the trainer seeds).
        """
        out: list[Generation] = []
        if params.seed is not None:
            torch.manual_seed(params.seed)
        was_training = self.model.training
        self.model.eval()
        try:
            for start in range(0, len(prompts), self.batch_size):
                out.extend(self._batch(prompts[start:start + self.batch_size], params))
        finally:
            self.model.train(was_training)
        return out

    def _batch(self, batch: list[list[int]], params: SamplingParams) -> list[Generation]:
        width = max(len(ids) for ids in batch)
        input_ids = torch.full((len(batch), width), self.pad_id, dtype=torch.long)
        attention = torch.zeros((len(batch), width), dtype=torch.long)
        for row, ids in enumerate(batch):
            input_ids[row, width - len(ids):] = torch.tensor(ids, dtype=torch.long)
            attention[row, width - len(ids):] = 1
        sample = params.temperature > 0
        config = GenerationConfig(
            max_new_tokens=params.max_tokens, do_sample=sample,
            temperature=params.temperature if sample else None, top_p=params.top_p if sample else None,
            top_k=0 if sample else None, pad_token_id=self.pad_id, eos_token_id=sorted(self.eos_ids),
        )
        recorder = _RecordLogprobs(params.temperature, width)
        stops = tuple(s for s in params.stop if s)
        stopper = _StopOnStrings(self.tokenizer, stops, width, len(batch)) if stops else None
        device = next(self.model.parameters()).device
        with torch.no_grad():
            sequences = self.model.generate(
                input_ids=input_ids.to(device), attention_mask=attention.to(device), generation_config=config,
                logits_processor=LogitsProcessorList([recorder]),
                stopping_criteria=StoppingCriteriaList([stopper] if stopper else []),
            ).cpu()
        logprobs = recorder.finish(sequences)
        generated = sequences[:, width:].tolist()
        return [
            finish_row(self.tokenizer, generated[row], logprobs[row], eos_ids=self.eos_ids, stops=stops,
                       fired_at=stopper.fired_at[row] if stopper else None, prompt_ids=ids, metadata={})
            for row, ids in enumerate(batch)
        ]
