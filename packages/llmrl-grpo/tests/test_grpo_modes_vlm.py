"""MAYE's advantage, the config errors, VLM freezing, and the VLM path end to end (a tiny random Qwen2-VL saved
locally with its processor, trained and evaluated on the generated "how many dots?" pictures)."""

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


DOTS = {"train_size": 8, "test_size": 4, "image_size": 56, "dot_radius": 3, "max_dots": 5, "seed": 0}


class _Watch:
    """A TrainerCallback recording what the vision tower and the model receive, and the weights at start and end.

    (transformers' ``generate`` runs the vision tower before the prefill and hands the model its output, so the
    pixels are watched at the tower; the ids, with their image tokens, at the model.)
    """

    def __init__(self) -> None:
        self.pixels: dict[str, list[tuple]] = {"train": [], "after": []}
        self.ids: dict[str, list] = {"train": [], "after": []}
        self.stage = "train"

    def callback(self):
        from transformers import TrainerCallback

        watch = self

        class Callback(TrainerCallback):
            def on_train_begin(self, args, state, control, model=None, **kwargs):
                watch.start = {n: p.detach().clone() for n, p in model.named_parameters()}
                watch.frozen = {n for n, p in model.named_parameters() if not p.requires_grad}
                model.model.visual.register_forward_pre_hook(watch.vision, with_kwargs=True)
                model.register_forward_pre_hook(watch.model, with_kwargs=True)

            def on_train_end(self, args, state, control, model=None, **kwargs):
                watch.end = {n: p.detach().clone() for n, p in model.named_parameters()}
                watch.stage = "after"  # the held-out eval after training runs this same model

        return Callback()

    def vision(self, module, args, kwargs):
        pixels = args[0] if args else kwargs["hidden_states"]
        grid = args[1] if len(args) > 1 else kwargs["grid_thw"]
        self.pixels[self.stage].append((tuple(pixels.shape), grid.tolist()))

    def model(self, module, args, kwargs):
        ids = kwargs.get("input_ids")
        if ids is not None:
            self.ids[self.stage].append(ids.detach().clone())


def test_vlm_trains_and_evaluates_on_pictures(tmp_path) -> None:
    from llmrl_core import get_task
    from llmrl_grpo.recipe import GRPORecipe
    from llmrl_grpo.run import RunDir, load_pretrained, train
    from llmrl_grpo.testing import tiny_qwen2_vl
    from llmrl_grpo.vlm import is_processor, vision_parameter_names

    model_dir = tiny_qwen2_vl(tmp_path / "vlm")
    cfg = GRPOTrainConfig(model=model_dir, task="dots", task_config=DOTS, output=str(tmp_path / "run"), steps=2,
                          generation={"completions_per_step": 4, "max_completion_length": 4},
                          eval={"num_prompts": 4, "pass_k": 2, "batch_size": 8})
    watch = _Watch()
    result = train(cfg, callbacks=[watch.callback()])
    assert result["stopped_at"] == 2
    assert [r["step"] for r in RunDir(cfg.output).read_jsonl(RunDir(cfg.output).metrics)] == [1, 2]

    # the pictures reached the vision tower: 16 patches (56 x 56 px in 14 px patches) of 3 x 2 x 14 x 14 values
    # each, in generation and in the loss's forward of both steps; and the model's ids hold 4 <|image_pad|> tokens
    # (2 x 2 patches merged) in each row of every forward over whole prompts (decoding steps feed new tokens only)
    model, processor = load_pretrained(str(tmp_path / "run" / "final"))
    image_pad = model.config.image_token_id
    assert is_processor(processor) and processor.tokenizer.convert_tokens_to_ids("<|image_pad|>") == image_pad
    assert len(watch.pixels["train"]) >= 2 * 2
    for shape, grid in watch.pixels["train"] + watch.pixels["after"]:
        assert grid == [[1, 4, 4]] * len(grid) and shape == (16 * len(grid), 1176)
    with_pictures = [ids for ids in watch.ids["train"] if (ids == image_pad).any()]
    assert len(with_pictures) >= 2 * 2
    assert all((ids == image_pad).sum(dim=1).tolist() == [4] * ids.shape[0] for ids in with_pictures)

    # the vision tower and projector did not move, the language model did
    vision = set(vision_parameter_names(model))
    assert vision and watch.frozen == vision
    assert all(torch.equal(watch.start[n], watch.end[n]) for n in vision)
    assert any(not torch.equal(watch.start[n], watch.end[n]) for n in watch.start if n not in vision)

    # the held-out evals asked the 4 test pictures, with the pictures
    after = result["evals"]["after"]
    assert after["num_prompts"] == 4.0 and 0.0 <= after["pass@1_greedy"] <= 1.0 and "pass@2" in after
    assert sum(len(grid) for _, grid in watch.pixels["after"]) >= 4 * 3  # pass@2, pass@1 at T = 0.6, greedy

    # and scores them: made to answer "1" to every picture, the trained model is right on the two pictures of one dot
    test = get_task("dots", **DOTS).dataset("test")
    assert [e.reference for e in test] == ["1", "1", "3", "5"]
    one = processor.tokenizer.convert_tokens_to_ids("1")
    model.generation_config.sequence_bias = {(one,): 100.0, (one, processor.tokenizer.eos_token_id): 200.0}
    cfg.eval.metrics = ["pass@1_greedy"]
    scores = GRPORecipe(cfg).evaluate(model, processor, test, lambda note: None)
    assert scores["pass@1_greedy"] == 0.5 and scores["pass@1_greedy/response_chars"] == 1.0


def test_a_resumed_vlm_run_goes_on_from_its_checkpoint_weights(tmp_path) -> None:
    # transformers saves Qwen2-VL under its original parameter names, which the Trainer's raw resume load misses
    from transformers import TrainerCallback

    from llmrl_grpo.run import load_pretrained, train
    from llmrl_grpo.testing import tiny_qwen2_vl

    class StopAtSave(TrainerCallback):
        def on_save(self, args, state, control, **kwargs):
            control.should_training_stop = True

    class Weights(TrainerCallback):
        def on_train_begin(self, args, state, control, model=None, **kwargs):
            self.start = {n: p.detach().clone() for n, p in model.named_parameters()}

    model_dir = tiny_qwen2_vl(tmp_path / "vlm")
    cfg = dict(model=model_dir, task="dots", task_config=DOTS, output=str(tmp_path / "run"), steps=2, save_steps=1,
               generation={"completions_per_step": 4, "max_completion_length": 4}, eval={"before": False, "after": False})
    assert train(GRPOTrainConfig(**cfg), callbacks=[StopAtSave()])["stopped_at"] == 1
    weights = Weights()
    assert train(GRPOTrainConfig(**cfg), resume=True, callbacks=[weights])["stopped_at"] == 2
    saved, _ = load_pretrained(str(tmp_path / "run" / "checkpoints" / "checkpoint-2"))
    initial, _ = load_pretrained(model_dir)
    assert all(torch.equal(weights.start[n], p) for n, p in saved.named_parameters())
    assert any(not torch.equal(weights.start[n], p) for n, p in initial.named_parameters())


def test_an_image_task_needs_a_vision_language_model(tmp_path) -> None:
    from llmrl_grpo.run import train

    cfg = GRPOTrainConfig(model="smollm2-135m", task="dots", task_config=DOTS, output=str(tmp_path / "run"))
    with pytest.raises(ConfigError, match=r"task 'dots' asks about pictures .* 'smollm2-135m' is text-only"):
        train(cfg)


def test_image_rows_go_to_trl_as_pictures_beside_the_text(tmp_path) -> None:
    from PIL import Image
    from trl.data_utils import prepare_multimodal_messages

    from llmrl_core.task import TaskExample
    from llmrl_grpo.data import image_chat, to_dataset

    Image.new("RGB", (30, 20), "red").save(tmp_path / "p.png")
    examples = [TaskExample(id="a", prompt="<image>What is x?", reference="2", metadata={"image": str(tmp_path / "p.png")}),
                TaskExample(id="b", prompt="<image>And y?", reference="3", metadata={"image": Image.new("RGB", (8, 8))})]
    rows = to_dataset(examples, "{question} Answer with just the number.", "Be brief.")
    assert rows[0]["prompt"] == [{"role": "system", "content": "Be brief."},
                                 {"role": "user", "content": "What is x? Answer with just the number."}]
    assert rows[0]["image"].size == (30, 20) and rows[1]["image"].size == (8, 8)  # a file path is read as a picture
    # what TRL's trainer makes of a row (its image column into the user message) is what the evaluation asks
    trl_chat = prepare_multimodal_messages(rows[0]["prompt"], images=[rows[0]["image"]])
    chat = image_chat(examples[0], "{question} Answer with just the number.", "Be brief.")
    assert [m["content"][-1] for m in chat] == [m["content"][-1] for m in trl_chat]
    assert [p["type"] for p in chat[1]["content"]] == ["image", "text"] and chat[1]["content"][0]["image"].size == (30, 20)


def test_without_torchvision_a_qwen2_5_vl_processor_loads_for_images_only(tmp_path) -> None:
    from PIL import Image
    from transformers import AutoTokenizer, LlavaProcessor, Qwen2_5_VLConfig, Qwen2_5_VLProcessor
    from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import Qwen2VLImageProcessorPil
    from transformers.utils import is_torchvision_available

    from llmrl_core.errors import ComponentUnavailableError
    from llmrl_core.models import resolve_model
    from llmrl_grpo.testing import VLM_CHAT_TEMPLATE
    from llmrl_grpo.vlm import image_only, load_processor

    if is_torchvision_available():
        pytest.skip("with torchvision, AutoProcessor builds the whole processor")
    tokenizer = AutoTokenizer.from_pretrained(resolve_model("smollm2-135m").path)
    tokenizer.add_special_tokens({"additional_special_tokens": ["<|vision_start|>", "<|vision_end|>", "<|image_pad|>"]})
    image_only(Qwen2_5_VLProcessor)(image_processor=Qwen2VLImageProcessorPil(max_pixels=56 * 56), tokenizer=tokenizer,
                                    chat_template=VLM_CHAT_TEMPLATE).save_pretrained(tmp_path)
    Qwen2_5_VLConfig().save_pretrained(tmp_path)  # what load_processor reads to pick the processor class
    processor = load_processor(str(tmp_path))
    assert type(processor).__name__ == "Qwen2_5_VLProcessor" and isinstance(processor, Qwen2_5_VLProcessor)
    assert type(processor.image_processor).__name__ == "Qwen2VLImageProcessorPil" and not hasattr(processor, "video_processor")
    enc = processor(images=[Image.new("RGB", (56, 56))], text=["<|vision_start|><|image_pad|><|vision_end|>hi"])
    assert enc["input_ids"][0].count(processor.image_token_id) == 4 and list(enc["image_grid_thw"][0]) == [1, 4, 4]
    with pytest.raises(ComponentUnavailableError, match="install torchvision"):
        image_only(LlavaProcessor)
