"""The transformers provider: any causal LM in process, batched with left padding.

Prompts (x ``n``) are sorted by length and generated in batches of
``batch_size``; each batch is one ``model.generate`` call with a fresh
``GenerationConfig`` (so a checkpoint's own defaults such as ``top_k=50`` never
leak in). See :func:`llmrl_core.stops.finish_row` for exactly what
``text``, ``token_ids`` and ``logprobs`` hold when a stop string or EOS ends a
completion. ``SamplingParams.grammar`` is honoured (grammar-constrained decoding,
:mod:`llmrl_provider_transformers.grammar`).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import torch
from transformers import GenerationConfig, LogitsProcessorList, StoppingCriteriaList

from llmrl_core import Generation, LLMProvider, LlmrlError, Prompt, SamplingParams, get_backend
from llmrl_core.models import load_model_and_tokenizer
from llmrl_core.stops import finish_row
from llmrl_provider_transformers.config import TransformersConfig
from llmrl_provider_transformers.hooks import RecordLogprobs, StopOnStrings

log = logging.getLogger(__name__)


class PromptTooLongError(LlmrlError, ValueError):
    """A prompt plus ``max_tokens`` does not fit the model's context."""


class TransformersProvider(LLMProvider):
    """Generations from a Hugging Face model, configured by a validated :class:`TransformersConfig`.

    ``get_provider("transformers", model=...)`` builds one; from Python directly,
    ``TransformersProvider(TransformersConfig(model=...))``.
    """

    name = "transformers"
    supports_grammar = True

    def __init__(self, config: TransformersConfig):
        self.config = config
        selected = get_backend(config.backend)
        self.backend = selected.name
        self.device = selected.device
        self.dtype = selected.default_dtype if config.dtype == "auto" else getattr(torch, config.dtype)
        self.model_name = model = config.model
        self.model, self.tokenizer = load_model_and_tokenizer(model, device=self.device, dtype=self.dtype)
        self.model.eval()
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.batch_size, self.truncate_prompt = config.batch_size, config.truncate_prompt
        own = int(getattr(self.model.config, "max_position_embeddings", 0) or self.tokenizer.model_max_length)
        self.context_length = min(own, config.max_model_len) if config.max_model_len else own
        eos = self.model.generation_config.eos_token_id
        if eos is None:
            eos = self.tokenizer.eos_token_id
        self.eos_ids = set(eos if isinstance(eos, list) else [eos]) - {None}
        self._lock = threading.Lock()
        self._grammars = None  # llguidance's view of the tokenizer, built on the first grammar
        log.info("transformers provider: %s on %s (%s), context %d", model, self.device, self.dtype, self.context_length)

    def describe(self) -> dict[str, Any]:
        """Model, backend, device and dtype: what ``llmrl serve`` and logs show."""
        return {"model": self.model_name, "backend": self.backend, "device": str(self.device),
                "dtype": str(self.dtype).removeprefix("torch."), "context_length": self.context_length}

    # -- prompts ------------------------------------------------------------------------
    def _encode(self, prompt: Prompt) -> list[int]:
        if isinstance(prompt, str):
            return list(self.tokenizer(prompt, add_special_tokens=True)["input_ids"])
        if not getattr(self.tokenizer, "chat_template", None):
            raise LlmrlError(f"model {self.model_name!r} has no chat template; pass plain-text prompts instead of "
                             "chat messages, or use an instruction-tuned model")
        text = self.tokenizer.apply_chat_template(list(prompt), add_generation_prompt=True, tokenize=False)
        return list(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def _fit(self, index: int, ids: list[int], max_tokens: int) -> tuple[list[int], bool]:
        room = self.context_length - max_tokens
        if len(ids) <= room:
            return ids, False
        if self.truncate_prompt and room > 0:
            return ids[-room:], True
        raise PromptTooLongError(
            f"prompt {index} has {len(ids)} tokens; with max_tokens={max_tokens} that exceeds the context of "
            f"{self.model_name!r} ({self.context_length} tokens). Shorten the prompt, lower max_tokens, or set "
            "truncate_prompt=True to keep only its last tokens."
        )

    # -- generation ---------------------------------------------------------------------
    def generate(self, prompts: list[Prompt], params: SamplingParams | None = None) -> list[Generation]:
        params = params or SamplingParams()
        if not prompts:
            return []
        encoded = [self._fit(i, self._encode(p), params.max_tokens) for i, p in enumerate(prompts)]
        rows = [i for i in range(len(prompts)) for _ in range(params.n)]  # grouped by prompt, as the API promises
        order = sorted(range(len(rows)), key=lambda r: -len(encoded[rows[r]][0]))  # less padding per batch
        results: list[Generation | None] = [None] * len(rows)
        with self._lock, torch.random.fork_rng(devices=self._rng_devices()):
            if params.seed is not None:
                torch.manual_seed(params.seed)
            for start in range(0, len(order), self.batch_size):
                chunk = order[start:start + self.batch_size]
                gens = self._generate_batch([encoded[rows[r]] for r in chunk], params)
                for r, gen in zip(chunk, gens, strict=True):
                    results[r] = gen
        return [g for g in results if g is not None]

    def _rng_devices(self) -> list[Any]:
        return [self.device] if self.device.type == "cuda" else []

    def _generate_batch(self, batch: list[tuple[list[int], bool]], params: SamplingParams) -> list[Generation]:
        pad = self.tokenizer.pad_token_id
        width = max(len(ids) for ids, _ in batch)
        input_ids = torch.full((len(batch), width), pad, dtype=torch.long)
        attention = torch.zeros((len(batch), width), dtype=torch.long)
        for row, (ids, _) in enumerate(batch):
            input_ids[row, width - len(ids):] = torch.tensor(ids, dtype=torch.long)
            attention[row, width - len(ids):] = 1
        sample = params.temperature > 0
        config = GenerationConfig(
            max_new_tokens=params.max_tokens, do_sample=sample,
            temperature=params.temperature if sample else None, top_p=params.top_p if sample else None,
            top_k=0 if sample else None, pad_token_id=pad, eos_token_id=sorted(self.eos_ids),
            bos_token_id=self.model.generation_config.bos_token_id,
        )
        recorder = RecordLogprobs(params.temperature, width)
        constraint = self._constraint(params.grammar, len(batch), width) if params.grammar is not None else None
        stops = tuple(s for s in params.stop if s)
        stopper = StopOnStrings(self.tokenizer, stops, width, len(batch)) if stops else None
        with torch.inference_mode():
            sequences = self.model.generate(
                input_ids=input_ids.to(self.device), attention_mask=attention.to(self.device),
                generation_config=config,
                logits_processor=LogitsProcessorList([*([constraint] if constraint else []), recorder]),
                stopping_criteria=StoppingCriteriaList([stopper] if stopper else []),
            )
        sequences = sequences.cpu()
        logprobs = recorder.finish(sequences).tolist()
        generated = sequences[:, width:].tolist()
        complete = constraint.finish(sequences) if constraint is not None else None
        return [
            finish_row(
                self.tokenizer, generated[row], logprobs[row], eos_ids=self.eos_ids, stops=stops,
                fired_at=stopper.fired_at[row] if stopper else None, prompt_ids=ids,
                metadata={**({"truncated": True} if truncated else {}),
                          **({"grammar_complete": complete[row]} if complete is not None else {})},
            )
            for row, (ids, truncated) in enumerate(batch)
        ]

    def _constraint(self, grammar: str, batch: int, prompt_len: int):
        from llmrl_provider_transformers.grammar import CompiledGrammars, GrammarConstraint

        if self._grammars is None:
            self._grammars = CompiledGrammars(self.tokenizer, sorted(self.eos_ids))
        return GrammarConstraint(self._grammars, grammar, batch, prompt_len, eos_id=min(self.eos_ids))
