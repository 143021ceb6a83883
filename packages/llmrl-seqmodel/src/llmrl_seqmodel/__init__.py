"""llmrl-seqmodel: transformers as RL policies trained offline.

* Algorithm Distillation (Laskin et al. 2022): learning histories of a source RL algorithm,
  a causal transformer trained to predict its actions across episodes, and in-context
  evaluation on held-out tasks; Expert Distillation and DPT run on the same code as baselines.
* Think Before You Act (Mezghani et al. 2023): one autoregressive stream of language captions
  and actions on BabyAI.

Importing this package is light; torch and transformers load inside the functions that need them.
"""

from llmrl_seqmodel.config import ADRunConfig, ADTrainConfig, EvalConfig, HistoryConfig, ModelConfig
from llmrl_seqmodel.envs import ENVS, EnvProfile

__all__ = ["ADRunConfig", "ADTrainConfig", "ENVS", "EnvProfile", "EvalConfig", "HistoryConfig", "ModelConfig"]
