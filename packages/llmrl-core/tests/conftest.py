from llmrl_core.testing.fixtures import fresh_plugin_manager  # noqa: F401  (a fixture)
