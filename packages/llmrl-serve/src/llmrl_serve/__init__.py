"""``llmrl serve``: any llmrl provider behind an OpenAI-compatible API (``llmrl generate`` is llmrl-core's).

The server itself is :func:`llmrl_serve.server.build_app` (a Starlette app over an
:class:`~llmrl_core.LLMProvider`); it imports starlette only when built.
"""
