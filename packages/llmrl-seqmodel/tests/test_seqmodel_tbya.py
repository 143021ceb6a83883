"""Think Before You Act: streams built from the bot's captions, and the policy writing its own at eval."""

from __future__ import annotations

import numpy as np
import torch

from llmrl_seqmodel.tbya.config import TBYATrainConfig
from llmrl_seqmodel.tbya.data import collect_demos
from llmrl_seqmodel.tbya.stream import ACTION0, CAP, END_CAP, IGNORE, OBS, Vocab, episode_stream


def test_stream_interleaves_captions_and_actions_and_predicts_only_them():
    vocab = Vocab.build(["go to the red ball", "explore"])
    tokens, steps, target = episode_stream(vocab, "go to the red ball", np.array([2, 2, 6]),
                                           ["explore", None, "go to the red ball"], first_step=10, with_captions=True)
    obs_at = np.flatnonzero(tokens == OBS)
    assert steps[obs_at].tolist() == [10, 11, 12]
    # mission (5 words), obs, <cap> explore </cap>, a2, obs, a2, obs, <cap> go to the red ball </cap>, a6
    assert tokens[5] == OBS and tokens[6] == CAP and tokens[8] == END_CAP and tokens[9] == ACTION0 + 2
    assert vocab.decode(tokens[6:9].tolist()) == "<cap> explore </cap>"
    assert target[5] == CAP and target[8] == ACTION0 + 2  # after obs: say a caption; after it: act
    assert target[obs_at[1]] == ACTION0 + 2  # no caption on a silent step: act directly
    assert (target[:5] == IGNORE).all() and target[9] == IGNORE  # no loss on the mission or the next obs
    plain, _, plain_target = episode_stream(vocab, "go to the red ball", np.array([2, 2, 6]),
                                            ["explore", None, "go to the red ball"], 10, with_captions=False)
    assert CAP not in plain.tolist() and set(plain_target[plain_target != IGNORE]) == {ACTION0 + 2, ACTION0 + 6}


def test_caption_tokens_do_not_swamp_the_action_loss():
    """The action term is the baseline's whatever the number of caption tokens around it."""
    import torch

    from llmrl_seqmodel.tbya.train import action_and_caption_loss

    vocab = Vocab.build(["go to the red ball", "explore"])
    args = (vocab, "go to the red ball", np.array([2, 2, 6]), ["go to the red ball", None, "explore"], 0)
    _, _, with_caps = episode_stream(*args, with_captions=True)
    _, _, plain = episode_stream(*args, with_captions=False)
    assert (with_caps != IGNORE).sum() == 3 + 10  # <cap> go to the red ball </cap>, <cap> explore </cap>: most of the stream
    torch.manual_seed(0)

    def ce(target, logits):
        t = torch.from_numpy(target)
        return torch.nn.functional.cross_entropy(logits[t != IGNORE], t[t != IGNORE])

    logits_caps, logits_plain = torch.randn(1, len(with_caps), vocab.size), torch.randn(1, len(plain), vocab.size)
    is_action = (with_caps >= ACTION0) & (with_caps < ACTION0 + 7)
    is_decision = is_action | (with_caps == CAP)  # act, or say <cap>: one choice after each observation
    acts, caps = np.where(is_decision, with_caps, IGNORE), np.where(is_decision, IGNORE, with_caps)
    assert (acts != IGNORE).sum() == 5 and (caps != IGNORE).sum() == 8
    got = action_and_caption_loss(logits_caps, torch.from_numpy(with_caps)[None])
    assert torch.isclose(got, ce(acts, logits_caps[0]) + ce(caps, logits_caps[0]))
    # without captions it is the plain mean over actions (the baseline's loss)
    assert torch.isclose(action_and_caption_loss(logits_plain, torch.from_numpy(plain)[None]), ce(plain, logits_plain[0]))
    # per action token, the gradient is 13/5 of what a single mean over all 13 predicted tokens gives it
    t = torch.from_numpy(with_caps)
    balanced, pooled = logits_caps.clone().requires_grad_(True), logits_caps.clone().requires_grad_(True)
    action_and_caption_loss(balanced, t[None]).backward()
    torch.nn.functional.cross_entropy(pooled[0], t, ignore_index=IGNORE).backward()
    ratio = balanced.grad[0][is_action].abs().sum() / pooled.grad[0][is_action].abs().sum()
    assert torch.isclose(ratio, torch.tensor(13 / 5))


def test_tbya_trains_and_writes_its_own_captions_at_eval(tmp_path):
    from llmrl_seqmodel.tbya.pipeline import eval_run, train_run

    demos = collect_demos("GoToLocal", 24, workers=1)
    assert len(demos) == 24 and any(demos.captions)
    demos.save(tmp_path / "demos")
    cfg = TBYATrainConfig(steps=40, batch_size=16, lr=2e-3, warmup=5)
    from llmrl_seqmodel.tbya.config import TBYAModelConfig

    small = TBYAModelConfig(n_embd=32, n_layer=1, n_head=2, n_inner=64)
    with_caps = train_run(tmp_path, True, cfg, small)
    plain_train = train_run(tmp_path, False, cfg, small)
    # ln(vocab) ~ 3.4 per term at initialisation; the captioned loss is the action mean + the caption mean
    assert plain_train["final_loss"] < 2.0 and with_caps["final_loss"] < 2 * 2.0
    res = eval_run(tmp_path, episodes=4, max_steps=12)
    cap, plain = res["models"]["captions"], res["models"]["plain"]
    assert cap["captions_per_episode"] > 0  # captions are generated, not given
    assert plain["captions_per_episode"] == 0
    vocab_words = set(Vocab.build(demos.missions + [c for c in demos.captions if c]).words)
    spoken = {w for ep in cap["example_captions"] for c in ep for w in c.split()}
    assert spoken <= vocab_words


def _demo_batch(demos, vocab, with_captions=True):
    from llmrl_seqmodel.tbya.train import StreamBatches

    batches = StreamBatches(demos, vocab, with_captions, 10_000, seed=0)
    tokens, steps, target = batches.streams[0]
    idx = np.clip(steps, 0, None)
    images = np.where((tokens == OBS)[:, None, None, None], demos.images[idx], 0)
    directions = np.where(tokens == OBS, demos.directions[idx], 0)
    return [torch.from_numpy(np.asarray(a, dtype=np.int64))[None] for a in (tokens, images, directions, target)]


def _cached_logits(model, tokens, images, directions):
    """The same stream fed one position at a time through a key/value cache (how evaluation decodes)."""
    from transformers import DynamicCache

    cache, out = DynamicCache(), []
    with torch.inference_mode():
        for t in range(tokens.shape[1]):
            out.append(model(tokens[:, t:t + 1], images[:, t:t + 1], directions[:, t:t + 1], cache=cache)[:, -1])
    return torch.stack(out, 1)


def test_small_policy_decodes_with_a_cache_exactly_as_a_full_forward():
    from llmrl_seqmodel.tbya.model import TBYAPolicy, TBYASpec

    demos = collect_demos("PutNextLocal", 2, workers=1)
    vocab = Vocab.build(demos.missions + [c for c in demos.captions if c])
    torch.manual_seed(0)
    model = TBYAPolicy(TBYASpec(vocab_words=vocab.words, n_embd=32, n_layer=2, n_head=2, n_inner=64)).eval()
    tokens, images, directions, _ = _demo_batch(demos, vocab)
    with torch.inference_mode():
        full = model(tokens, images, directions)
    torch.testing.assert_close(_cached_logits(model, tokens, images, directions), full, atol=1e-4, rtol=1e-4)


def test_smollm_backbone_reads_the_interleaved_stream_with_its_own_tokenizer():
    """The pretrained backbone: its tokenizer spells missions and captions, the new rows are <cap>, </cap> and the
    actions, and one training step over a real PutNextLocal stream reaches the observation encoder."""
    from llmrl_seqmodel.tbya.model import TBYAPolicy, TBYASpec
    from llmrl_seqmodel.tbya.stream import LMVocab
    from llmrl_seqmodel.tbya.train import action_and_caption_loss

    torch.manual_seed(0)
    model = TBYAPolicy(TBYASpec(backbone="smollm2-135m"))
    vocab = model.vocab
    # the same stream limit as the small model's (not SmolLM2's 8192): both are cut and evaluated alike
    assert model.max_positions == TBYASpec().n_positions < model.lm.config.max_position_embeddings
    assert isinstance(vocab, LMVocab) and vocab.size == vocab.base + 2 + 7
    assert model.lm.get_input_embeddings().weight.shape[0] == vocab.size
    table = model.lm.get_input_embeddings().weight
    # new rows start from the words naming them; observations start at the scale of the token rows
    torch.testing.assert_close(table[vocab.action0 + 3], table[vocab.text_ids("pick up")].mean(0))
    torch.testing.assert_close(table[vocab.cap], table[vocab.text_ids("subgoal")].mean(0))
    demo_obs = model.obs(torch.zeros(64, 7, 7, 3, dtype=torch.long) + torch.arange(64).remainder(3).view(64, 1, 1, 1),
                         torch.arange(64).remainder(4))
    assert 0.5 < float(demo_obs.detach().std() / table[: vocab.base].detach().std()) < 2.0
    caption = "go next to the green key"
    ids = vocab.text_ids(caption)
    assert all(i < vocab.base for i in ids) and vocab.decode(ids) == caption

    demos = collect_demos("PutNextLocal", 1, workers=1)
    tokens, images, directions, target = _demo_batch(demos, vocab)
    assert (tokens == vocab.cap).sum() >= 4 and ((tokens >= vocab.action0) & (tokens < vocab.action0 + 7)).any()
    logits = model(tokens, images, directions)
    assert logits.shape == (1, tokens.shape[1], vocab.size) and torch.isfinite(logits).all()
    loss = action_and_caption_loss(logits, target, action0=vocab.action0, cap=vocab.cap)
    loss.backward()
    assert model.obs.proj.weight.grad.abs().sum() > 0
    assert model.lm.get_input_embeddings().weight.grad[vocab.cap].abs().sum() > 0

    model.eval()
    with torch.inference_mode():
        full = model(tokens[:, :40], images[:, :40], directions[:, :40])
    torch.testing.assert_close(_cached_logits(model, tokens[:, :40], images[:, :40], directions[:, :40]), full,
                               atol=2e-3, rtol=2e-3)
