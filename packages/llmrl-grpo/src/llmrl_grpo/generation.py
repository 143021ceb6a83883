"""How the policy being trained samples: one small interface, three backends (``generation.backend``).

=================  =====================================================  =========================================
backend            engine                                                 multi-turn rollouts (ToRL)
=================  =====================================================  =========================================
``hf``             transformers in the training process (the default;    a :class:`~llmrl_grpo.sampler.DecodeSession`
                   the only one without a GPU): TRL's ``model.generate``  keeps the KV cache across tool calls
``vllm-colocate``  vLLM inside every training process, on its GPU         one vLLM call per turn; vLLM's prefix cache
                   (TRL: ``use_vllm=True, vllm_mode="colocate"``)         makes re-sending the context cheap
``vllm-server``    a separate ``trl vllm-serve`` process (TRL:             the same, every rank in lockstep
                   ``use_vllm=True, vllm_mode="server"``)
=================  =====================================================  =========================================

TRL builds the vLLM engine (``trainer.vllm_generation``) and pushes the trained weights into it
before each step's generation (its ``sync_weights``, for custom rollouts too); nothing here
copies weights. A :class:`PolicyGenerator` says which engine TRL sets up (:meth:`trl_args`),
may replace TRL's one-turn generation (:meth:`single_turn`, MAYE/GRPO) and hands multi-turn
rollouts a :class:`TokenSampler` (:meth:`sampler`). Tests drive the trainers and ToRL's loop
with a fake generator through the same interface.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any, Protocol

from llmrl_core import Generation
from llmrl_grpo.config import GenerationConfig

VLLM_MODES = {"vllm-colocate": "colocate", "vllm-server": "server"}


class TokenSampler(Protocol):
    """What a multi-turn rollout samples from: token-id prompts in, one segment per row out.

    ``segments`` returns, per row, what it sampled until EOS, the first of ``stop`` or its
    ``max_tokens`` — a :class:`~llmrl_core.Generation` under ``llmrl_core.stops.finish_row``'s contract
    (``token_ids + metadata["stop_token_ids"]`` is exactly what was sampled, with its logprobs).
    ``lockstep``: every rank must make the same calls with as many rows (vLLM server mode, TP groups):
    the caller then sends finished rows too (their results are dropped) and asks :meth:`any_running`
    whether any rank still has a row going.
    """

    lockstep: bool

    def encode(self, text: str, *, special: bool = False) -> list[int]: ...

    def decode(self, ids: list[int]) -> str: ...

    def segments(self, prompts: Sequence[Sequence[int]], *, stop: tuple[str, ...],
                 max_tokens: Sequence[int]) -> list[Generation]: ...

    def any_running(self, local: bool) -> bool: ...

    def eval_mode(self) -> AbstractContextManager[Any]: ...


class PolicyGenerator(ABC):
    """Generation for one training run; built from ``generation`` by :func:`make_generator`."""

    backend = "hf"

    def __init__(self, cfg: GenerationConfig | None = None) -> None:
        self.cfg = cfg or GenerationConfig()

    def trl_args(self) -> dict[str, Any]:
        """The GRPOConfig fields that pick TRL's generation engine."""
        return {"use_vllm": False}

    def single_turn(self, trainer: Any, prompt_ids: list[list[int]],
                    num_generations: int) -> tuple[list[list[int]], list[list[float]] | None] | None:
        """MAYE/GRPO's generation of one completion per (already repeated) prompt: ``(ids, logprobs)``.

        None (hf, vLLM) lets TRL do it on the engine :meth:`trl_args` selected.
        """
        return None

    @abstractmethod
    def sampler(self, trainer: Any) -> TokenSampler:
        """The sampler a multi-turn rollout uses this step, over the trainer's current weights."""


class HFGenerator(PolicyGenerator):
    """transformers in the training process: TRL's ``model.generate`` for one turn, a KV-cached session for more."""

    backend = "hf"

    def sampler(self, trainer: Any) -> TokenSampler:
        from llmrl_core import SamplingParams
        from llmrl_grpo.sampler import ModelSampler

        params = SamplingParams(temperature=self.cfg.temperature, top_p=self.cfg.top_p,
                                max_tokens=self.cfg.max_completion_length)
        return ModelSampler(trainer.accelerator.unwrap_model(trainer.model), trainer.processing_class, params=params)


class VLLMGenerator(PolicyGenerator):
    """TRL's vLLM engine, colocated or as a ``trl vllm-serve`` server; the knobs go to TRL unchanged."""

    def __init__(self, cfg: GenerationConfig) -> None:
        super().__init__(cfg)
        self.backend = cfg.backend

    def trl_args(self) -> dict[str, Any]:
        cfg = self.cfg
        args = {
            "use_vllm": True,
            "vllm_mode": VLLM_MODES[cfg.backend],
            "vllm_gpu_memory_utilization": cfg.vllm_gpu_memory_utilization,
            "vllm_tensor_parallel_size": cfg.vllm_tensor_parallel_size,
            "vllm_server_base_url": cfg.vllm_server_base_url,
            "vllm_server_timeout": cfg.vllm_server_timeout,
            "vllm_max_model_length": cfg.vllm_max_model_length,
            "vllm_enable_sleep_mode": cfg.vllm_enable_sleep_mode,
        }
        return {**args, **cfg.vllm_args}

    def sampler(self, trainer: Any) -> TokenSampler:
        if getattr(trainer, "vllm_generation", None) is None:
            raise RuntimeError(f"generation.backend is {self.backend!r} but the trainer has no vLLM engine "
                               "(TRL builds trainer.vllm_generation when use_vllm is set)")
        return VLLMSampler(trainer)


def make_generator(cfg: GenerationConfig) -> PolicyGenerator:
    """The generator ``cfg.backend`` names; vLLM backends fail here, clearly, when vLLM or a GPU is missing."""
    if cfg.backend == "hf":
        return HFGenerator(cfg)
    require_vllm(cfg.backend)
    return VLLMGenerator(cfg)


def require_vllm(backend: str) -> None:
    """Raise a clear error when ``backend`` needs vLLM or CUDA and this machine lacks it."""
    import importlib.util

    from llmrl_core.errors import ConfigError

    if importlib.util.find_spec("vllm") is None:
        raise ConfigError(f"generation.backend={backend!r} needs vLLM, which is not installed: `pip install vllm` "
                          "(a release that matches your torch), or use generation.backend=hf")
    if backend == "vllm-colocate":
        import torch

        if not torch.cuda.is_available():
            raise ConfigError("generation.backend='vllm-colocate' runs vLLM on this process's GPU, and there is no "
                              "CUDA GPU here; use generation.backend=hf, or vllm-server with a `trl vllm-serve` elsewhere")


class VLLMSampler:
    """Turns of a multi-turn rollout on TRL's vLLM engine (``trainer.vllm_generation``).

    Each call sends full contexts (prompt + everything so far, as token ids) with one stop list;
    vLLM's prefix cache skips the part it has seen. The call always asks for the response limit
    (``generation.max_completion_length``), the same on every rank, and each row is cut at its own
    remaining budget here, so no rank's budget decides another's.
    """

    def __init__(self, trainer: Any, engine: Any = None) -> None:
        self.engine = engine if engine is not None else trainer.vllm_generation
        self.tokenizer = trainer.processing_class
        self.accelerator = trainer.accelerator
        self.limit = trainer.args.max_completion_length
        # server mode gathers every rank's rows into one request, TP groups gather theirs: the ranks must keep in step
        grouped = self.engine.mode == "server" or getattr(self.engine, "tensor_parallel_size", 1) > 1
        self.lockstep = grouped and self.accelerator.num_processes > 1
        self.eos_ids = set(getattr(trainer, "eos_token_ids", None) or [self.tokenizer.eos_token_id]) - {None}

    def encode(self, text: str, *, special: bool = False) -> list[int]:
        return list(self.tokenizer(text, add_special_tokens=special)["input_ids"])

    def decode(self, ids: list[int]) -> str:
        return self.tokenizer.decode(ids, skip_special_tokens=True, clean_up_tokenization_spaces=False)

    def eval_mode(self) -> AbstractContextManager[Any]:
        return nullcontext()

    def any_running(self, local: bool) -> bool:
        if not self.lockstep:
            return local
        import torch

        flag = torch.tensor([1 if local else 0], device=self.accelerator.device)
        return bool(self.accelerator.gather(flag).sum().item())

    def segments(self, prompts: Sequence[Sequence[int]], *, stop: tuple[str, ...],
                 max_tokens: Sequence[int]) -> list[Generation]:
        from llmrl_core.stops import finish_row

        engine = self.engine
        saved = engine.max_completion_length, engine.generation_kwargs
        engine.max_completion_length = self.limit
        engine.generation_kwargs = {**saved[1], "stop": list(stop) or None, "include_stop_str_in_output": True}
        try:
            _, completions, logprobs, _ = engine.generate(prompts=[list(p) for p in prompts], images=None, num_generations=1)
        finally:
            engine.max_completion_length, engine.generation_kwargs = saved
        out = []
        for ids, lps, left in zip(completions, logprobs, max_tokens, strict=True):
            ids, lps = list(ids)[: max(left, 0)], [float(lp[0]) for lp in lps][: max(left, 0)]
            out.append(finish_row(self.tokenizer, ids, lps, eos_ids=self.eos_ids, stops=stop, fired_at=None,
                                  prompt_ids=[], metadata={}))
        return out
