"""Both environments pass llmrl's environment contract (Gymnasium checker, seeding, spaces)."""

from __future__ import annotations

from llmrl_core.testing import EnvironmentConformance


class TestQuadrupedEnv(EnvironmentConformance):
    env_id = "llmrl/Quadruped-v0"
    rollout_steps = 100


class TestManipulatorEnv(EnvironmentConformance):
    env_id = "llmrl/Manipulator-v0"
    rollout_steps = 100
