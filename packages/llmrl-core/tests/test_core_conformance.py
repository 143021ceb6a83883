"""llmrl-core's own cpu backend, and the example plugin's environment, through the suites."""

from llmrl_core.testing import BackendConformance, EnvironmentConformance


class TestCpuBackend(BackendConformance):
    backend_name = "cpu"


class TestExampleCorridorEnvironment(EnvironmentConformance):
    env_id = "llmrl-example/Corridor-v0"
