"""The OpenAI-compatible HTTP server over any :class:`~llmrl_core.LLMProvider` (Starlette + uvicorn).

Requests run in a worker thread, one generation at a time (a lock): providers
are not required to be thread-safe, and a local model is busy anyway.
Errors use OpenAI's ``{"error": {...}}`` shape: 400 for a bad request (with the
field), 404 for an unknown model, 500 when the provider fails.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from typing import Any

from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from llmrl_core import LLMProvider, LlmrlError
from llmrl_serve.protocol import ChatRequest, CompletionRequest, chat_response, completion_response, error_body

log = logging.getLogger(__name__)


class _BadRequest(Exception):
    def __init__(self, message: str, param: str | None = None, status: int = 400, code: str | None = None):
        super().__init__(message)
        self.param, self.status, self.code = param, status, code


def _error(exc: _BadRequest) -> JSONResponse:
    kind = "invalid_request_error" if exc.status < 500 else "server_error"
    return JSONResponse(error_body(str(exc), type=kind, param=exc.param, code=exc.code), status_code=exc.status)


def build_app(provider: LLMProvider, model_name: str, *, default_max_tokens: int = 256) -> Starlette:
    """The app: ``GET /v1/models``, ``POST /v1/completions``, ``POST /v1/chat/completions``, ``GET /health``."""
    lock = threading.Lock()
    created = int(time.time())

    def locked_generate(prompts, params):
        with lock:
            return provider.generate(prompts, params)

    async def parse(request: Request, model: type) -> Any:
        try:
            data = json.loads(await request.body())
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise _BadRequest(f"the request body is not valid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise _BadRequest("the request body must be a JSON object")
        try:
            parsed = model.model_validate(data)
        except ValidationError as exc:
            err = exc.errors()[0]
            param = ".".join(str(p) for p in err["loc"]) or None
            raise _BadRequest(f"{param}: {err['msg']}" if param else err["msg"], param=param) from None
        if parsed.model is not None and parsed.model != model_name:
            raise _BadRequest(f"The model {parsed.model!r} does not exist; this server serves {model_name!r}.",
                              param="model", status=404, code="model_not_found")
        problem = parsed.unsupported()
        if problem:
            raise _BadRequest(problem)
        return parsed

    async def run(prompts, req, max_tokens):
        try:
            params = req.sampling(max_tokens)
        except ValueError as exc:
            raise _BadRequest(str(exc)) from None
        try:
            return await run_in_threadpool(locked_generate, prompts, params)
        except (LlmrlError, ValueError) as exc:
            raise _BadRequest(str(exc)) from None
        except Exception as exc:  # noqa: BLE001 - reported to the client, logged here
            log.exception("generation failed")
            raise _BadRequest(f"generation failed: {type(exc).__name__}: {exc}", status=500) from None

    async def models(_: Request) -> JSONResponse:
        return JSONResponse({"object": "list", "data": [
            {"id": model_name, "object": "model", "created": created, "owned_by": "llmrl"}]})

    async def completions(request: Request) -> JSONResponse:
        try:
            req = await parse(request, CompletionRequest)
            prompts = [req.prompt] if isinstance(req.prompt, str) else list(req.prompt)
            gens = await run(prompts, req, req.max_tokens or default_max_tokens)
        except _BadRequest as exc:
            return _error(exc)
        return JSONResponse(completion_response(model_name, gens, req.n, req.logprobs is not None, req.return_token_ids))

    async def chat(request: Request) -> JSONResponse:
        try:
            req = await parse(request, ChatRequest)
            messages = [m.model_dump() for m in req.messages]
            gens = await run([messages], req, req.max_completion_tokens or req.max_tokens or default_max_tokens)
        except _BadRequest as exc:
            return _error(exc)
        return JSONResponse(chat_response(model_name, gens, req.logprobs, req.return_token_ids))

    async def health(_: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "model": model_name})

    async def not_found(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse(error_body(f"no route {request.method} {request.url.path}; this server has "
                                       "GET /v1/models, POST /v1/completions, POST /v1/chat/completions",
                                       code="not_found"), status_code=404)

    return Starlette(
        routes=[
            Route("/v1/models", models, methods=["GET"]),
            Route("/v1/completions", completions, methods=["POST"]),
            Route("/v1/chat/completions", chat, methods=["POST"]),
            Route("/health", health, methods=["GET"]),
        ],
        exception_handlers={404: not_found},
    )


def bind(host: str, port: int) -> socket.socket:
    """A listening socket; ``port=0`` picks a free one (read it back with ``getsockname``)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise LlmrlError(f"cannot listen on {host}:{port}: {exc.strerror}. Pick another --port (0 picks a free one).") from None
    sock.listen(128)
    return sock


def run_server(app: Starlette, sock: socket.socket, *, log_level: str = "warning") -> None:
    """Serve ``app`` on an already-bound socket until interrupted."""
    import uvicorn

    config = uvicorn.Config(app, log_level=log_level, access_log=log_level in ("info", "debug"))
    uvicorn.Server(config).run(sockets=[sock])
