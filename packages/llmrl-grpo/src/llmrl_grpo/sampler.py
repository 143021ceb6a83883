"""Sampling from a live torch model on token-id prompts: the ``hf`` backend of multi-turn rollouts.

Why not a provider: training must sample from the trainer's *current* weights, and a
provider owns its own model; packages also never import a plugin. Why not
``model.generate``: the tool loop stops a row at ```` ```output ````, runs its code, appends
the observation and continues. With ``generate`` each continuation is a new call that
re-reads the whole context and lasts as long as its longest row. Here a
:class:`DecodeSession` decodes the batch token by token over one KV cache: a row that
stops *pauses* (the others go on), and *resumes* with the observation's ids fed into the
same cache, so a tool call costs the observation's tokens, not a second generation.

Every segment a row produces is handed to :func:`llmrl_core.stops.finish_row`, so
``token_ids``/``stop_token_ids`` mean exactly what they mean for every provider.
:class:`ModelSampler` is also a :class:`~llmrl_grpo.generation.TokenSampler` (``segments``), the
interface the vLLM backends implement. Imported only where torch is wanted.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from llmrl_core import Generation, SamplingParams
from llmrl_core.stops import finish_row, stop_in_tail


class DecodeSession:
    """A batch decoded token by token over one KV cache; rows pause at a segment's end and resume later.

    A *segment* is what a row samples between (re)starts: it ends at EOS, at one of the row's
    stop strings, or after its ``max_tokens``; ``step`` then returns it as a :class:`Generation`
    and the row waits for :meth:`resume` (feed more ids, sample a new segment) or :meth:`finish`.

    Left padding and the holes a paused row leaves in the cache are masked out
    (``attention_mask`` 0) and each row's positions count only its own tokens, so a row's
    logits are those of one forward pass over its tokens alone. Each row samples from its
    own generator, so its tokens do not depend on which other rows share the batch.
    """

    def __init__(self, sampler: ModelSampler, prompts: Sequence[Sequence[int]], params: SamplingParams,
                 stops: Sequence[tuple[str, ...]], max_tokens: Sequence[int], seeds: Sequence[int]):
        if not prompts or any(not p for p in prompts):
            raise ValueError("every prompt needs at least one token id")
        if any(m < 1 for m in max_tokens):
            raise ValueError(f"max_tokens must be >= 1 for every row, got {list(max_tokens)}")
        from transformers import DynamicCache

        self.sampler, self.model = sampler, sampler.model
        self.device = next(self.model.parameters()).device
        self.temperature, self.top_p = params.temperature, params.top_p
        n = len(prompts)
        self.state = ["run"] * n  # run | paused | done
        self.feed: list[list[int]] = [list(p) for p in prompts]  # ids to put into the cache at the next step
        self.stops = [tuple(s for s in row if s) for row in stops]
        self.budget = list(max_tokens)
        self.seen = [0] * n  # real tokens of each row in the cache (its next position)
        self.seg_ids: list[list[int]] = [[] for _ in range(n)]
        self.seg_lps: list[list[float]] = [[] for _ in range(n)]
        self.held: list[list[int]] = [[] for _ in range(n)]  # a paused row's last sampled token, not yet in the cache
        self.slots = list(range(n))  # cache batch index -> row
        self.mask = torch.zeros((n, 0), dtype=torch.long, device=self.device)
        self.cache = DynamicCache(config=self.model.config)
        self.generators = [torch.Generator(device=self.device).manual_seed(int(s)) for s in seeds]
        self.last_logits: dict[int, torch.Tensor] = {}  # row -> the logits its last token was sampled from

    @property
    def running(self) -> bool:
        return "run" in self.state

    def resume(self, row: int, ids: Sequence[int], stops: tuple[str, ...], max_tokens: int) -> None:
        """Continue a paused row: ``ids`` (e.g. a tool's output) go into the cache, then a new segment."""
        if self.state[row] != "paused":
            raise RuntimeError(f"row {row} is {self.state[row]}, not paused: only a paused row can resume")
        if max_tokens < 1:
            raise ValueError(f"max_tokens must be >= 1 to resume row {row}, got {max_tokens}")
        self.feed[row] = self.held[row] + list(ids)
        self.held[row], self.seg_ids[row], self.seg_lps[row] = [], [], []
        self.stops[row], self.budget[row] = tuple(s for s in stops if s), max_tokens
        self.state[row] = "run"

    def finish(self, row: int) -> None:
        """The row is done: its cache rows are dropped before the next step."""
        self.state[row] = "done"

    def step(self) -> list[tuple[int, Generation]]:
        """One forward pass for every running row; the segments that ended at it, as ``(row, Generation)``."""
        self._drop_finished()
        fed = [i for i, row in enumerate(self.slots) if self.state[row] == "run"]
        if not fed:
            return []
        width = max(len(self.feed[self.slots[i]]) for i in fed)
        ids = torch.full((len(self.slots), width), self.sampler.pad_id, dtype=torch.long)
        new_mask = torch.zeros((len(self.slots), width), dtype=torch.long)
        positions = torch.zeros((len(self.slots), width), dtype=torch.long)
        for i in fed:
            row = self.slots[i]
            k = len(self.feed[row])
            ids[i, width - k:] = torch.tensor(self.feed[row], dtype=torch.long)
            new_mask[i, width - k:] = 1
            positions[i, width - k:] = torch.arange(self.seen[row], self.seen[row] + k)
            self.seen[row] += k
            self.feed[row] = []
        self.mask = torch.cat([self.mask, new_mask.to(self.device)], dim=1)
        with torch.no_grad():
            out = self.model(input_ids=ids.to(self.device), attention_mask=self.mask, position_ids=positions.to(self.device),
                             past_key_values=self.cache, use_cache=True, logits_to_keep=1)
        logits = out.logits[fed, -1, :].float()
        tokens, logprobs = self._sample(logits, [self.slots[i] for i in fed])
        events = []
        for j, i in enumerate(fed):
            row = self.slots[i]
            self.last_logits[row] = logits[j]
            gen = self._append(row, tokens[j], logprobs[j])
            if gen is not None:
                events.append((row, gen))
        return events

    def _drop_finished(self) -> None:
        keep = [i for i, row in enumerate(self.slots) if self.state[row] != "done"]
        if len(keep) == len(self.slots) or not keep:
            self.slots = [self.slots[i] for i in keep]
            return
        index = torch.tensor(keep, dtype=torch.long, device=self.device)
        self.cache.batch_select_indices(index)
        self.mask = self.mask[index]
        self.slots = [self.slots[i] for i in keep]

    def _sample(self, logits: torch.Tensor, rows: list[int]) -> tuple[list[int], list[float]]:
        """Greedy at temperature 0; else top-p sampling from ``softmax(logits / T)``, each row with its generator.

        The recorded logprob is ``log_softmax(logits / T)`` of the token, before top-p (as the providers record it).
        """
        if self.temperature <= 0:
            tokens = logits.argmax(dim=-1)
            scaled = logits
        else:
            scaled = logits / self.temperature
            filtered = scaled
            if self.top_p < 1.0:  # transformers' TopPLogitsWarper: drop the tail whose mass is <= 1 - top_p
                sorted_logits, order = torch.sort(scaled, descending=False)
                cumulative = sorted_logits.softmax(dim=-1).cumsum(dim=-1)
                remove = cumulative <= (1 - self.top_p)
                remove[..., -1:] = False
                filtered = scaled.masked_fill(remove.scatter(1, order, remove), float("-inf"))
            probs = filtered.softmax(dim=-1)
            tokens = torch.cat([torch.multinomial(probs[j], 1, generator=self.generators[row]) for j, row in enumerate(rows)])
        logprobs = torch.log_softmax(scaled, dim=-1).gather(1, tokens[:, None]).squeeze(1)
        return tokens.tolist(), logprobs.tolist()

    def _append(self, row: int, token: int, logprob: float) -> Generation | None:
        """Add a sampled token to the row's segment; the segment as a Generation when it ends here."""
        seg = self.seg_ids[row]
        seg.append(token)
        self.seg_lps[row].append(logprob)
        tok = self.sampler.tokenizer
        eos = token in self.sampler.eos_ids
        fired = bool(self.stops[row]) and not eos and stop_in_tail(tok, seg, self.stops[row])
        if not (eos or fired or len(seg) >= self.budget[row]):
            self.feed[row] = [token]
            return None
        self.state[row], self.held[row] = "paused", [token]
        return finish_row(tok, list(seg), list(self.seg_lps[row]), eos_ids=self.sampler.eos_ids, stops=self.stops[row],
                          fired_at=len(seg) if fired else None, prompt_ids=[], metadata={})


class ModelSampler:
    """Samples completions of token-id prompts from ``model``; the tool loop's token-exact backend."""

    lockstep = False
    """Each process samples its own rows from its own copy of the model: no rank waits for another."""

    def __init__(self, model: Any, tokenizer: Any, batch_size: int = 64, params: SamplingParams | None = None):
        self.model, self.tokenizer, self.batch_size = model, tokenizer, batch_size
        self.params = params or SamplingParams()
        eos = model.generation_config.eos_token_id if model.generation_config is not None else None
        eos = tokenizer.eos_token_id if eos is None else eos
        self.eos_ids = set(eos if isinstance(eos, list) else [eos]) - {None}
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else min(self.eos_ids)

    def encode(self, text: str, *, special: bool = False) -> list[int]:
        return list(self.tokenizer(text, add_special_tokens=special)["input_ids"])

    def decode(self, ids: list[int]) -> str:
        return self.tokenizer.decode(ids, skip_special_tokens=True, clean_up_tokenization_spaces=False)

    def session(self, prompts: Sequence[Sequence[int]], params: SamplingParams, *, stops: Sequence[tuple[str, ...]] | None = None,
                max_tokens: Sequence[int] | None = None, first_row: int = 0) -> DecodeSession:
        """A :class:`DecodeSession` over ``prompts`` (at most ``batch_size`` of them: the caller splits).

        Row seeds: with ``params.seed`` they are drawn from a generator seeded with it (row ``first_row + i``
        gets the same seed whichever chunk it is in); without (training) from torch's global generator, so
        the trainer's seed governs. torch's global generator is never reseeded here.
        """
        n = len(prompts)
        if params.seed is not None:
            pool = torch.randint(0, 2**62, (first_row + n,), generator=torch.Generator().manual_seed(params.seed))
            seeds = pool[first_row:].tolist()
        else:
            seeds = torch.randint(0, 2**62, (n,)).tolist()
        return DecodeSession(self, prompts, params, stops or [tuple(params.stop)] * n,
                             max_tokens or [params.max_tokens] * n, seeds)

    def generate_ids(self, prompts: list[list[int]], params: SamplingParams) -> list[Generation]:
        """One completion per token-id prompt (``params.n`` is ignored: repeat the prompt instead)."""
        return self._sample(prompts, params, tuple(params.stop), [params.max_tokens] * len(prompts))

    def segments(self, prompts: Sequence[Sequence[int]], *, stop: tuple[str, ...],
                 max_tokens: Sequence[int]) -> list[Generation]:
        """One segment per row (the :class:`~llmrl_grpo.generation.TokenSampler` call), sampled with ``self.params``."""
        return self._sample(prompts, self.params, stop, max_tokens)

    def _sample(self, prompts: Sequence[Sequence[int]], params: SamplingParams, stop: tuple[str, ...],
                max_tokens: Sequence[int]) -> list[Generation]:
        out: list[Generation] = []
        with self.eval_mode():
            for lo in range(0, len(prompts), self.batch_size):
                part = prompts[lo:lo + self.batch_size]
                session = self.session(part, params, stops=[stop] * len(part),
                                       max_tokens=list(max_tokens[lo:lo + self.batch_size]), first_row=lo)
                gens: dict[int, Generation] = {}
                while session.running:
                    for row, gen in session.step():
                        gens[row] = gen
                        session.finish(row)
                out.extend(gens[i] for i in range(len(part)))
        return out

    def any_running(self, local: bool) -> bool:
        return local

    def eval_mode(self) -> _EvalMode:
        """``with sampler.eval_mode():`` the model in eval mode, its training flag restored after."""
        return _EvalMode(self.model)


class _EvalMode:
    def __init__(self, model: Any):
        self.model = model

    def __enter__(self) -> None:
        self.was_training = self.model.training
        self.model.eval()

    def __exit__(self, *exc: object) -> None:
        self.model.train(self.was_training)
