"""The OpenAI-compatible HTTP server over any :class:`~llmrl_core.LLMProvider` (Starlette + uvicorn).

Requests take turns on the event loop and generate in a worker thread, one at
a time: providers are not required to be thread-safe, and a local model is busy
anyway. A client that hung up while waiting for its turn is skipped (499).
Errors use OpenAI's ``{"error": {...}}`` shape: 400 for a bad request (with the
field), 404 for an unknown model, 500 when the provider fails.

``stream=true`` is answered with server-sent events once the provider has
finished: providers are batch ``generate`` calls, so the stream carries the
finished text in pieces, then ``data: [DONE]``. Generating before the response
starts also means every failure is still an HTTP status, never a broken stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from llmrl_core import Generation, LLMProvider, LlmrlError
from llmrl_serve.config import FALLBACK_MAX_TOKENS_LIMIT, ServeConfig
from llmrl_serve.protocol import ChatRequest, CompletionRequest, error_body
from llmrl_serve.request_log import RequestLog, entry

log = logging.getLogger(__name__)


class _BadRequest(Exception):
    def __init__(self, message: str, param: str | None = None, status: int = 400, code: str | None = None):
        super().__init__(message)
        self.param, self.status, self.code = param, status, code


def _error(exc: _BadRequest) -> JSONResponse:
    kind = "invalid_request_error" if exc.status < 500 else "server_error"
    return JSONResponse(error_body(str(exc), type=kind, param=exc.param, code=exc.code), status_code=exc.status)


def _sse(chunks: Iterator[dict], on_end: Callable[[bool], None]) -> AsyncIterator[str]:
    """Server-sent events of ``chunks`` then ``[DONE]``; ``on_end(disconnected)`` runs however the stream ends."""

    async def events() -> AsyncIterator[str]:
        finished = False
        try:
            for chunk in chunks:
                yield f"data: {json.dumps(chunk)}\n\n"
            yield "data: [DONE]\n\n"
            finished = True
        finally:
            on_end(not finished)

    return events()


class _EventStream(StreamingResponse):
    """A client that leaves mid-stream ends only its own response: no traceback, nothing else disturbed."""

    media_type = "text/event-stream"

    async def __call__(self, scope, receive, send) -> None:
        try:
            await super().__call__(scope, receive, send)
        except ClientDisconnect:
            log.info("client left mid-stream")


def max_tokens_limit(provider: LLMProvider, config: ServeConfig) -> int:
    """The configured limit, else the provider's context length, else a generous fallback."""
    if config.max_tokens_limit is not None:
        return config.max_tokens_limit
    context = getattr(provider, "context_length", None)
    return int(context) if isinstance(context, int) and context > 0 else FALLBACK_MAX_TOKENS_LIMIT


def build_app(provider: LLMProvider, model_name: str, config: ServeConfig | None = None) -> Starlette:
    """The app: ``GET /v1/models``, ``POST /v1/completions``, ``POST /v1/chat/completions``, ``GET /health``."""
    config = config or ServeConfig()
    lock = threading.Lock()  # the provider's: held by the worker thread while it generates
    turn = asyncio.Lock()  # requests wait here, on the event loop, not in the thread pool
    created = int(time.time())
    limit = max_tokens_limit(provider, config)
    request_log = RequestLog(config.request_log) if config.request_log else None

    def record(line: dict[str, Any]) -> None:
        if request_log is not None:
            request_log.write(line)

    def locked_generate(prompts, params) -> list[Generation]:
        with lock:
            return provider.generate(prompts, params)

    async def read_body(request: Request) -> dict:
        try:
            data = json.loads(await request.body())
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise _BadRequest(f"the request body is not valid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise _BadRequest("the request body must be a JSON object")
        return data

    def parse(data: dict, model: type) -> Any:
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
            raise _BadRequest(problem[1], param=problem[0], code="unsupported_field")
        return parsed

    async def generate(request: Request, req, max_tokens: int) -> list[Generation]:
        if max_tokens > limit:
            raise _BadRequest(f"max_tokens={max_tokens} is more than this server allows ({limit}, the model's "
                              "context or the --max-tokens-limit setting); ask for fewer", param="max_tokens")
        try:
            params = req.sampling(max_tokens)
        except ValueError as exc:
            raise _BadRequest(str(exc)) from None
        try:
            async with turn:
                if await request.is_disconnected():
                    raise _BadRequest("the client closed the connection before its turn; nothing was generated",
                                      status=499)
                return await run_in_threadpool(locked_generate, req.prompts(), params)
        except _BadRequest:
            raise
        except (LlmrlError, ValueError) as exc:
            raise _BadRequest(str(exc)) from None
        except Exception as exc:  # noqa: BLE001 - reported to the client, logged here
            log.exception("generation failed")
            raise _BadRequest(f"generation failed: {type(exc).__name__}: {exc}", status=500) from None

    async def answer(request: Request, model: type) -> Response:
        started, body, path = time.monotonic(), None, request.url.path
        try:
            body = await read_body(request)
            req = parse(body, model)
            gens = await generate(request, req, req.requested_max_tokens(config.default_max_tokens))
        except _BadRequest as exc:
            record(entry(path, started, exc.status, body, error=str(exc)))
            return _error(exc)
        if not req.stream:
            record(entry(path, started, 200, body, gens=gens))
            return JSONResponse(req.response(model_name, gens))

        def on_end(disconnected: bool) -> None:
            record(entry(path, started, 200, body, gens=gens, stream=True, disconnected=disconnected))

        return _EventStream(_sse(req.chunks(model_name, gens), on_end), headers={"Cache-Control": "no-cache"})

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            if request_log is not None:
                request_log.close()

    async def completions(request: Request) -> Response:
        return await answer(request, CompletionRequest)

    async def chat(request: Request) -> Response:
        return await answer(request, ChatRequest)

    async def models(_: Request) -> JSONResponse:
        return JSONResponse({"object": "list", "data": [
            {"id": model_name, "object": "model", "created": created, "owned_by": "llmrl"}]})

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
        lifespan=lifespan,
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
