"""The vLLM provider: vLLM's offline ``LLM`` engine in this process, on a GPU.

vllm is imported inside :class:`VLLMProvider` only, so this module (and the
plugin) import without it and ``get_provider("vllm")`` can say how to install it.
Prompts are tokenized here exactly as the transformers provider does it (chat
template + generation prompt), and each completion goes through the same
:func:`llmrl_core.stops.finish_row` accounting, so ``text``, ``token_ids`` and
stop strings mean the same with either provider.
"""

from __future__ import annotations

import logging
from typing import Any

from llmrl_core import ComponentUnavailableError, Generation, LLMProvider, Prompt, SamplingParams, refuse_grammar
from llmrl_core.models import resolve_model
from llmrl_core.stops import finish_row
from llmrl_provider_vllm.config import VLLMConfig

log = logging.getLogger(__name__)

INSTALL = (
    "the vllm provider needs vLLM, which is not installed here: pip install vllm "
    "(vLLM pins its own torch version, so install it in an environment of its own if torch clashes). "
    "On a machine without a CUDA GPU use the 'transformers' provider instead."
)


def _import_vllm() -> Any:
    try:
        import vllm
    except ImportError as exc:
        raise ComponentUnavailableError(f"{INSTALL} ({exc})") from None
    return vllm


class VLLMProvider(LLMProvider):
    """Generations from vLLM, configured by a validated :class:`VLLMConfig` (``get_provider("vllm", model=...)``)."""

    name = "vllm"

    def __init__(self, config: VLLMConfig):
        self.config = config
        vllm = _import_vllm()
        import torch

        if not torch.cuda.is_available():
            raise ComponentUnavailableError("the vllm provider needs a CUDA GPU and none is visible; "
                                            "use get_provider('transformers') on this machine")
        resolved = resolve_model(config.model)
        self.model_name = config.model
        self._vllm = vllm
        self.engine = vllm.LLM(
            model=resolved.path, dtype=config.dtype, gpu_memory_utilization=config.gpu_memory_utilization,
            max_model_len=config.max_model_len, tensor_parallel_size=config.tensor_parallel_size,
            enforce_eager=config.enforce_eager, **config.engine_args,
        )
        self.tokenizer = self.engine.get_tokenizer()
        eos = self.tokenizer.eos_token_id
        self.eos_ids = {eos} if eos is not None else set()
        model_config = getattr(self.engine.llm_engine, "model_config", None)
        self.context_length = int(getattr(model_config, "max_model_len", 0) or config.max_model_len or 2**31)

    def describe(self) -> dict[str, Any]:
        return {"model": self.model_name, "backend": "cuda", "engine": f"vllm {self._vllm.__version__}",
                "context_length": self.context_length}

    def _encode(self, prompt: Prompt) -> list[int]:
        if isinstance(prompt, str):
            return list(self.tokenizer(prompt, add_special_tokens=True)["input_ids"])
        text = self.tokenizer.apply_chat_template(list(prompt), add_generation_prompt=True, tokenize=False)
        return list(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def generate(self, prompts: list[Prompt], params: SamplingParams | None = None) -> list[Generation]:
        params = params or SamplingParams()
        refuse_grammar(self, params)  # no grammar-constrained decoding here: refuse, never sample freely
        if not prompts:
            return []
        encoded = [self._encode(p) for p in prompts]
        for i, ids in enumerate(encoded):
            if len(ids) + params.max_tokens > self.context_length:
                raise ValueError(f"prompt {i} has {len(ids)} tokens; with max_tokens={params.max_tokens} that exceeds "
                                 f"the context of {self.model_name!r} ({self.context_length} tokens). Shorten the "
                                 "prompt or lower max_tokens.")
        sampling = self._vllm.SamplingParams(
            n=params.n, temperature=params.temperature, top_p=params.top_p, max_tokens=params.max_tokens,
            stop=list(params.stop) or None, seed=params.seed, logprobs=0, skip_special_tokens=True,
        )
        outputs = self.engine.generate([{"prompt_token_ids": ids} for ids in encoded], sampling, use_tqdm=False)
        gens = []
        for ids, out in zip(encoded, outputs, strict=True):
            for sample in sorted(out.outputs, key=lambda o: o.index):
                token_ids = list(sample.token_ids)
                logprobs = [step[tok].logprob for step, tok in zip(sample.logprobs or [], token_ids, strict=False)]
                # vLLM cuts the text at a stop string but keeps every sampled token id; redo the cut the
                # llmrl way so token_ids end before the stop string as with the other providers.
                gens.append(finish_row(self.tokenizer, token_ids, logprobs, eos_ids=self.eos_ids, stops=params.stop,
                                       fired_at=None, prompt_ids=ids, metadata={"vllm_finish_reason": sample.finish_reason}))
        return gens

    def close(self) -> None:
        self.engine = None  # type: ignore[assignment]
