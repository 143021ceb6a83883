"""``python -m llmrl_core.cli`` runs the ``llmrl`` CLI."""

from llmrl_core.cli.main import run

run()
