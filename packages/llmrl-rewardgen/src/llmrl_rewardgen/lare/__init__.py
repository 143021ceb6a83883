"""LaRe: LLM-generated latent rewards + a return-decomposition decoder, for episodic RL.

Names load lazily: ``RewardDecoder`` needs torch, ``LatentReplayBuffer`` Stable-Baselines3.
"""

from __future__ import annotations

from llmrl_core.lazy import lazy_exports

_EXPORTS = {
    "RewardDecoder": "llmrl_rewardgen.lare.decoder",
    "LatentRewardWrapper": "llmrl_rewardgen.lare.wrappers",
    "episodic_env_id": "llmrl_rewardgen.lare.wrappers",
    "make_episodic_env": "llmrl_rewardgen.lare.wrappers",
    "LatentReplayBuffer": "llmrl_rewardgen.lare.replay",
    "EpisodeStore": "llmrl_rewardgen.lare.replay",
    "relabel_rewards": "llmrl_rewardgen.lare.replay",
    "LatentFunction": "llmrl_rewardgen.lare.evaluator",
    "LatentFunctionError": "llmrl_rewardgen.lare.evaluator",
    "SandboxedLatentFunction": "llmrl_rewardgen.lare.evaluator",
    "StateActionFactors": "llmrl_rewardgen.lare.evaluator",
    "TrustedLatentFunction": "llmrl_rewardgen.lare.evaluator",
    "worked_example": "llmrl_rewardgen.lare.examples",
    "worked_example_source": "llmrl_rewardgen.lare.examples",
    "GenerateConfig": "llmrl_rewardgen.lare.config",
    "LaReGenerateConfig": "llmrl_rewardgen.lare.config",
    "LaReTrainConfig": "llmrl_rewardgen.lare.config",
    "ValidationConfig": "llmrl_rewardgen.lare.config",
    "GeneratedLatentFunction": "llmrl_rewardgen.lare.generate",
    "generate_latent_function": "llmrl_rewardgen.lare.generate",
    "cache_path": "llmrl_rewardgen.lare.generate",
    "latent_function_program": "llmrl_rewardgen.lare.validation",
    "sample_env_batch": "llmrl_rewardgen.lare.validation",
    "TaskDescription": "llmrl_rewardgen.lare.tasks",
    "task_description": "llmrl_rewardgen.lare.tasks",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
