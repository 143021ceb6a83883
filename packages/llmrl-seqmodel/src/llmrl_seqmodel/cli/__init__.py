"""``llmrl ad ...`` and ``llmrl tbya ...``: Typer sub-apps added through the ``llmrl_commands`` hook."""
