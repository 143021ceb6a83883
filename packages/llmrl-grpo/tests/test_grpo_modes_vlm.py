"""MAYE's advantage, the config errors, and VLM freezing on a tiny randomly initialised Qwen2-VL."""

from __future__ import annotations

import pytest
import torch

from llmrl_core.config import load_config
from llmrl_core.errors import ConfigError
from llmrl_grpo.config import GRPOTrainConfig
from llmrl_grpo.trainer import MayeGRPOConfig, batch_whitened_advantages


def test_batch_whitening_is_token_weighted_and_centred() -> None:
    rewards = torch.tensor([1.0, 0.0, 0.0, 1.0])
    lengths = torch.tensor([10, 10, 30, 30])
    adv = batch_whitened_advantages(rewards, lengths)
    weights = lengths.float()
    assert (adv * weights).sum().abs() < 1e-5  # centred over tokens
    assert ((adv**2) * weights).sum() / weights.sum() == pytest.approx(1.0, abs=1e-4)
    assert adv[0] > 0 > adv[1]
    kept = batch_whitened_advantages(rewards, lengths, keep_mean=True)
    assert torch.allclose(kept - adv, torch.full_like(adv, 0.5))  # MAYE's whiten adds the mean (0.5) back


def test_maye_config_accepts_one_generation_trl_refuses() -> None:
    from trl import GRPOConfig

    with pytest.raises(ValueError, match="at least 2"):
        GRPOConfig(output_dir="/tmp/x", num_generations=1, per_device_train_batch_size=4, use_cpu=True, report_to=[])
    cfg = MayeGRPOConfig(output_dir="/tmp/x", num_generations=1, per_device_train_batch_size=4, use_cpu=True, report_to=[])
    assert cfg.num_generations == 1 and cfg.generation_batch_size == 4


def test_config_errors_name_the_field(tmp_path) -> None:
    with pytest.raises(ConfigError, match="optim.learning_rate"):
        load_config(GRPOTrainConfig, overrides=["optim.learning_rate=-1"])
    with pytest.raises(ConfigError, match="mode"):
        load_config(GRPOTrainConfig, overrides=["mode=ppo"])
    with pytest.raises(ConfigError, match="multiple of generation.num_generations"):
        load_config(GRPOTrainConfig, overrides=["mode=grpo", "generation.completions_per_step=10",
                                                "generation.num_generations=4"])
    with pytest.raises(ConfigError, match="question"):
        load_config(GRPOTrainConfig, overrides=["instruction=Solve it."])
    with pytest.raises(ConfigError, match="lerning_rate"):
        load_config(GRPOTrainConfig, overrides=["optim.lerning_rate=1e-5"])
    bad = tmp_path / "c.yaml"
    bad.write_text("steps: [1, 2\n")
    with pytest.raises(ConfigError, match="does not parse"):
        load_config(GRPOTrainConfig, bad)
    good = tmp_path / "g.yaml"
    good.write_text("mode: grpo\nsteps: 3\nrewards:\n  language: null\n")
    cfg = load_config(GRPOTrainConfig, good)
    assert cfg.mode == "grpo" and cfg.rewards.language is None
    assert (cfg.generation.completions_per_step, cfg.generation.num_generations, cfg.prompts_per_step) == (32, 8, 4)


def test_a_field_given_outside_its_part_says_where_it_lives() -> None:
    with pytest.raises(ConfigError, match=r"'learning_rate' belongs to the 'optim' part: set optim.learning_rate"):
        load_config(GRPOTrainConfig, overrides=["learning_rate=1e-5"])
    with pytest.raises(ConfigError, match=r"'pass_k' belongs to the 'eval' part"):
        load_config(GRPOTrainConfig, overrides=["pass_k=4"])
    with pytest.raises(ConfigError, match="not permitted"):  # a plain typo stays pydantic's error
        load_config(GRPOTrainConfig, overrides=["stepz=4"])


def _tiny_qwen2_vl():
    from transformers import Qwen2VLConfig, Qwen2VLForConditionalGeneration

    config = Qwen2VLConfig(
        text_config={
            "vocab_size": 256, "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
            "num_attention_heads": 4, "num_key_value_heads": 2, "max_position_embeddings": 128,
            "rope_scaling": {"type": "mrope", "mrope_section": [1, 1, 2]},
        },
        vision_config={"depth": 2, "embed_dim": 32, "hidden_size": 32, "num_heads": 4, "mlp_ratio": 2, "patch_size": 14, "spatial_merge_size": 2, "temporal_patch_size": 2, "in_chans": 3},
    )
    torch.manual_seed(0)
    return Qwen2VLForConditionalGeneration(config)


def test_vlm_vision_tower_and_projector_frozen_language_model_trains() -> None:
    from llmrl_grpo.vlm import freeze_vision

    model = _tiny_qwen2_vl()
    counts = freeze_vision(model)
    vision = {n: p for n, p in model.named_parameters() if ".visual." in f".{n}"}
    assert vision and any("merger" in n for n in vision)  # the projector lives in visual.merger
    assert all(not p.requires_grad for p in vision.values())
    language = {n: p for n, p in model.named_parameters() if n not in vision}
    assert all(p.requires_grad for p in language.values())
    assert counts["frozen"] == sum(p.numel() for p in vision.values()) > 0

    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    ids = torch.randint(0, 200, (2, 12))
    model(input_ids=ids, labels=ids).loss.backward()
    optimizer.step()
    assert all(torch.equal(before[n], p) for n, p in model.named_parameters() if n in vision)
    assert any(not torch.equal(before[n], p) for n, p in model.named_parameters() if n in language)


def test_sampler_order_depends_on_seed_and_epoch_only() -> None:
    from llmrl_grpo.trainer import EpochSeededSampler

    def order(epochs: list[int]) -> list[int]:
        sampler = EpochSeededSampler(list(range(10)), mini_repeat_count=1, batch_size=5, shuffle=True, seed=3)
        for epoch in epochs:
            sampler.set_epoch(epoch)
            out = list(sampler)
        return out

    assert order([0, 1, 2]) == order([2])  # a resumed run (straight to epoch 2) replays epoch 2's order
    assert order([0]) != order([1])
