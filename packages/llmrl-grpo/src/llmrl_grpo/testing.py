"""A fake generation engine for tests without a GPU: TRL's own vLLM server-mode code, a scripted server.

vLLM needs a GPU; the code around it does not. :class:`ScriptedServer` stands in for
``trl vllm-serve`` (what TRL's ``VLLMClient.generate`` returns: ``n`` completions per prompt,
``max_tokens``, stop strings kept in the output as ``include_stop_str_in_output`` asks, the
sampled token's logprob), and :class:`FakeGenerator` plugs it into TRL's ``VLLMGeneration`` in
server mode. So the trainers (one turn) and ToRL's loop (turns) run the code path of
``generation.backend: vllm-server`` — prompts gathered to rank 0, completions broadcast and
sliced per rank, :class:`~llmrl_grpo.generation.VLLMSampler`'s stops, budgets and padding — with
completions a test chooses. Use it to test a recipe::

    gen = FakeGenerator(lambda context, k: " 4" if k % 2 else " 5")
    llmrl_grpo.train(cfg, MyRecipe, generator=gen)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from llmrl_grpo.generation import PolicyGenerator, TokenSampler, VLLMSampler

Script = Callable[[str, int], str]
"""``script(context, k) -> text``: what sample ``k`` of a prompt continues ``context`` (decoded) with."""


class ScriptedServer:
    """``trl vllm-serve``'s generation, scripted; records each request in :attr:`requests`.

    A continuation that holds a requested stop string is cut after it (the stop kept, as
    ``include_stop_str_in_output``); one that holds none ends with EOS, as a finished answer.
    """

    def __init__(self, tokenizer: Any, script: Script, *, logprob: float = -0.5) -> None:
        self.tokenizer, self.script, self.logprob = tokenizer, script, logprob
        self.requests: list[dict[str, Any]] = []
        self.weight_syncs = 0

    def generate(self, prompts: list[list[int]], features: Any = None, n: int = 1, max_tokens: int = 16,
                 generation_kwargs: dict | None = None, **_: Any) -> dict[str, list]:
        kwargs = generation_kwargs or {}
        stops = [s for s in kwargs.get("stop") or [] if s]
        keep = kwargs.get("include_stop_str_in_output", False)
        ids_out: list[list[int]] = []
        for prompt in prompts:
            context = self.tokenizer.decode(prompt, skip_special_tokens=False)
            for k in range(n):
                ids_out.append(self._complete(self.script(context, k), stops, keep)[:max_tokens])
        self.requests.append({"prompts": len(prompts), "n": n, "max_tokens": max_tokens, "stop": stops})
        return {
            "prompt_ids": [list(p) for p in prompts],
            "completion_ids": ids_out,
            "logprobs": [[[self.logprob]] * len(ids) for ids in ids_out],
            "logprob_token_ids": [[[i] for i in ids] for ids in ids_out],
        }

    def _complete(self, text: str, stops: list[str], keep: bool) -> list[int]:
        hits = [(text.find(s), s) for s in stops if s in text]
        if hits:
            at, stop = min(hits)
            return self._encode(text[: at + (len(stop) if keep else 0)])
        return self._encode(text) + [self.tokenizer.eos_token_id]

    def _encode(self, text: str) -> list[int]:
        return list(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    # what TRL calls around generation (weight sync); a script has no weights
    def update_named_params(self, *args: Any, **kwargs: Any) -> None:
        self.weight_syncs += 1

    def reset_prefix_cache(self) -> None:
        pass


def scripted_engine(accelerator: Any, tokenizer: Any, server: ScriptedServer, *, max_completion_length: int,
                    temperature: float = 1.0, top_p: float = 1.0) -> Any:
    """TRL's ``VLLMGeneration`` in server mode, talking to ``server`` instead of a vLLM server."""
    from trl.generation.vllm_generation import VLLMGeneration

    class ScriptedVLLMGeneration(VLLMGeneration):
        def _init_vllm(self) -> None:  # TRL's own connects to `trl vllm-serve` here
            self.vllm_client = server

    return ScriptedVLLMGeneration(model=None, accelerator=accelerator, processing_class=tokenizer, mode="server",
                                  max_completion_length=max_completion_length, temperature=temperature, top_p=top_p)


class FakeGenerator(PolicyGenerator):
    """A :class:`~llmrl_grpo.generation.PolicyGenerator` on :func:`scripted_engine`: drives both trainers
    (``single_turn``) and multi-turn rollouts (``sampler``) through TRL's server-mode code."""

    backend = "fake"

    def __init__(self, script: Script, *, logprob: float = -0.5) -> None:
        super().__init__()
        self.script, self.logprob = script, logprob
        self.server: ScriptedServer | None = None
        self._engine: Any = None

    def engine(self, trainer: Any) -> Any:
        if self._engine is None:
            self.server = ScriptedServer(trainer.processing_class, self.script, logprob=self.logprob)
            self._engine = scripted_engine(trainer.accelerator, trainer.processing_class, self.server,
                                           max_completion_length=trainer.args.max_completion_length)
        return self._engine

    def single_turn(self, trainer: Any, prompt_ids: list[list[int]],
                    num_generations: int) -> tuple[list[list[int]], list[list[float]]]:
        # exactly what TRL's _generate_single_turn does with use_vllm
        _, ids, logprobs, _ = self.engine(trainer).generate(prompts=prompt_ids, images=None, num_generations=num_generations)
        return ids, [[lp[0] for lp in seq] for seq in logprobs]

    def sampler(self, trainer: Any) -> TokenSampler:
        return VLLMSampler(trainer, engine=self.engine(trainer))


@contextmanager
def trl_vllm_server(model: str = "smollm2-135m", *, gpu_memory_utilization: float = 0.25,
                    timeout_s: float = 600.0) -> Iterator[str]:
    """A real ``trl vllm-serve`` process (GPU, vLLM) serving ``model`` on a free local port; yields its base URL.

    For the gpu-marked tests and ``benchmarks/gpu_smoke.py``. A server that exits or is not up within
    ``timeout_s`` raises with the end of its log instead of hanging.
    """
    import os
    import shutil
    import socket
    import subprocess
    import tempfile
    import time
    import urllib.request

    from llmrl_core.models import resolve_model

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    trl = shutil.which("trl") or "trl"
    log = tempfile.NamedTemporaryFile(prefix="trl-vllm-serve-", suffix=".log", delete=False)  # noqa: SIM115
    cmd = [trl, "vllm-serve", "--model", resolve_model(model).path, "--host", "127.0.0.1", "--port", str(port),
           "--gpu_memory_utilization", str(gpu_memory_utilization), "--enforce_eager", "true"]
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env={**os.environ}, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"`{' '.join(cmd)}` exited with {proc.returncode}: {_tail(log.name)}")
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"`trl vllm-serve` not up after {timeout_s:.0f} s: {_tail(log.name)}") from None
                time.sleep(2)
        yield url
    finally:
        import signal

        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        log.close()


def _tail(path: str, chars: int = 3000) -> str:
    with open(path, errors="replace") as handle:
        return handle.read()[-chars:]


VLM_CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}{% else %}{% for part in message['content'] %}"
    "{% if part['type'] == 'image' %}<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif part['type'] == 'text' %}{{ part['text'] }}{% endif %}{% endfor %}{% endif %}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
"""A Qwen2-VL-style chat template: each image block becomes ``<|vision_start|><|image_pad|><|vision_end|>``
(the processor widens ``<|image_pad|>`` to one token per merged patch)."""


def tiny_qwen2_vl(directory: str | Any, *, max_pixels: int = 56 * 56, seed: int = 0) -> str:
    """Save a tiny randomly initialised Qwen2-VL and its processor in ``directory``; return the path.

    Nothing is downloaded: the tokenizer is the embedded SmolLM2's plus Qwen2-VL's vision tokens and a
    Qwen2-VL-style chat template; the image processor is transformers' PIL one (no torchvision), with
    ``max_pixels`` keeping pictures small (56 × 56: 16 patches of 14 px, 4 image tokens). The directory
    loads as any user's VLM does (``model: <directory>``), so tests run the whole VLM path on a CPU.
    """
    from pathlib import Path

    import torch
    from transformers import AutoTokenizer, Qwen2VLConfig, Qwen2VLForConditionalGeneration, Qwen2VLProcessor
    from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import Qwen2VLImageProcessorPil
    from transformers.utils import is_torchvision_available

    from llmrl_core.models import resolve_model
    from llmrl_grpo.vlm import image_only

    path = Path(directory)
    tokenizer = AutoTokenizer.from_pretrained(resolve_model("smollm2-135m").path)
    vision_tokens = ["<|vision_start|>", "<|vision_end|>", "<|image_pad|>"]
    tokenizer.add_special_tokens({"additional_special_tokens": vision_tokens})
    tokenizer.chat_template = VLM_CHAT_TEMPLATE
    start, end, pad = tokenizer.convert_tokens_to_ids(vision_tokens)
    image_processor = Qwen2VLImageProcessorPil(min_pixels=28 * 28, max_pixels=max_pixels)
    if is_torchvision_available():
        from transformers import Qwen2VLVideoProcessor

        processor = Qwen2VLProcessor(image_processor=image_processor, tokenizer=tokenizer,
                                     video_processor=Qwen2VLVideoProcessor(), chat_template=VLM_CHAT_TEMPLATE)
    else:
        processor = image_only(Qwen2VLProcessor)(image_processor=image_processor, tokenizer=tokenizer,
                                                 chat_template=VLM_CHAT_TEMPLATE)
    config = Qwen2VLConfig(
        text_config={"vocab_size": len(tokenizer), "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
                     "num_attention_heads": 4, "num_key_value_heads": 2, "max_position_embeddings": 512,
                     "rope_scaling": {"type": "mrope", "mrope_section": [1, 1, 2]},
                     "bos_token_id": tokenizer.bos_token_id, "eos_token_id": tokenizer.eos_token_id,
                     "pad_token_id": tokenizer.pad_token_id},
        vision_config={"depth": 2, "embed_dim": 32, "hidden_size": 32, "num_heads": 4, "mlp_ratio": 2, "patch_size": 14,
                       "spatial_merge_size": 2, "temporal_patch_size": 2, "in_chans": 3},
        vision_start_token_id=start, vision_end_token_id=end, image_token_id=pad, video_token_id=pad,
    )
    torch.manual_seed(seed)
    model = Qwen2VLForConditionalGeneration(config)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.save_pretrained(path)
    processor.save_pretrained(path)
    return str(path)
