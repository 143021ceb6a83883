"""What rides along ``model.generate``: a stop-string criterion and a logprob recorder.

Both keep O(batch) state per step, never the (steps x batch x vocab) logits that
``output_logits=True`` would hold.
"""

from __future__ import annotations

from typing import Any

import torch
from transformers import LogitsProcessor, StoppingCriteria

from llmrl_core.stops import stop_in_tail, stop_window


class StopOnStrings(StoppingCriteria):
    """Ends a row once its decoded tail contains a stop string; remembers the step it fired.

    Only the completion is searched (never the prompt), and only its last
    :func:`llmrl_core.stops.stop_window` tokens (the check every llmrl sampler
    shares, :func:`llmrl_core.stops.stop_in_tail`).
    """

    def __init__(self, tokenizer: Any, stops: tuple[str, ...], prompt_len: int, batch: int):
        self.tokenizer, self.stops, self.prompt_len = tokenizer, stops, prompt_len
        self.window = stop_window(stops)
        self.fired_at: list[int | None] = [None] * batch

    def __call__(self, input_ids: torch.LongTensor, scores: Any, **kwargs: Any) -> torch.BoolTensor:
        step = input_ids.shape[1] - self.prompt_len  # tokens generated so far
        done = torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)
        start = max(self.prompt_len, input_ids.shape[1] - self.window)
        for row, tail in enumerate(input_ids[:, start:].tolist()):
            if self.fired_at[row] is None and stop_in_tail(self.tokenizer, tail, self.stops):
                self.fired_at[row] = step
            done[row] = self.fired_at[row] is not None
        return done


class RecordLogprobs(LogitsProcessor):
    """Records ``log_softmax(logits / T)`` of each sampled token, before top-p touches the logits.

    Custom processors run before transformers' temperature and top-p warpers, so
    ``scores`` here are the model's raw logits. The token sampled at step t is
    seen at step t+1 (as the last input id); :meth:`finish` collects the last one.
    """

    def __init__(self, temperature: float, prompt_len: int):
        self.temperature = temperature if temperature > 0 else 1.0
        self.prompt_len = prompt_len
        self._scaled: torch.Tensor | None = None  # this step's logits / T (a reused buffer when T != 1)
        self._lse: torch.Tensor | None = None
        self.steps: list[torch.Tensor] = []  # kept on the device: no sync per step on a GPU

    def _collect(self, sampled: torch.Tensor) -> None:
        assert self._scaled is not None and self._lse is not None
        picked = self._scaled.gather(1, sampled[:, None].to(self._scaled.device)).squeeze(1)
        self.steps.append(picked - self._lse)

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        if self._scaled is not None and input_ids.shape[1] > self.prompt_len:
            self._collect(input_ids[:, -1])
        if self.temperature == 1.0:
            self._scaled = scores  # transformers' warpers work out of place: this stays the raw logits
        else:
            if self._scaled is None or self._scaled.shape != scores.shape or self._scaled is scores:
                self._scaled = torch.empty_like(scores, dtype=torch.float32)
            torch.div(scores, self.temperature, out=self._scaled)
        self._lse = torch.logsumexp(self._scaled, dim=-1)
        return scores

    def finish(self, sequences: torch.Tensor) -> torch.Tensor:
        """``(batch, generated)`` logprobs, given the final sequences (prompt included)."""
        generated = sequences.shape[1] - self.prompt_len
        if len(self.steps) < generated and self._scaled is not None:
            self._collect(sequences[:, -1])
        if not self.steps:
            return torch.zeros(sequences.shape[0], 0)
        return torch.stack(self.steps[:generated], dim=1).float().cpu()
