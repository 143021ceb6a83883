"""The ``fusion`` sandbox: a client for one or several Sandbox Fusion ``/run_code`` endpoints.

Every execution returns exactly one result. Failures come back as a ``sandbox_error`` result
whose stderr names the cause (HTTP status and body, connection error, bad JSON) and are
counted in ``failures``: ToRL's public runs lost 61.7% of executions to an unreported
"UnknownError", which must not happen here.

What is re-sent (to another endpoint when one is up): only a request that provably did not
run to an answer — the connection could not be opened, it broke before any byte of an answer
came back (the server died, or dropped a kept-alive connection), or the server declined it
with HTTP 503 or 429. Such a request may have started on a server that then died; the program
runs in a sandbox with no effect outside it, so running it again costs time, while dropping it
loses a result. Never re-sent: a request that got any other answer (including 500, 502, 504),
an answer cut off after its status line (the code ran), and a timeout after the request was
sent (the server may still be running it; a re-send could run it twice and adds load to a
server that is already behind).
"""

from __future__ import annotations

import http.client
import json
import logging
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from llmrl_core import ExecResult, Sandbox
from llmrl_sandbox_fusion.config import FusionSandboxConfig
from llmrl_sandbox_fusion.endpoints import Endpoint, EndpointPool
from llmrl_sandbox_fusion.protocol import build_request, response_to_result

log = logging.getLogger(__name__)
DECLINED = (503, 429)  # "not processed, try again": the only answers that are re-sent


@dataclass(frozen=True)
class _NoAnswer:
    """A send that ended without an answer to use: whether it may be re-sent, and why."""

    cause: str
    detail: str
    resend: bool


class FusionSandbox(Sandbox):
    """Runs code on Sandbox Fusion servers (or ``llmrl sandbox serve`` replicas), spread and failed over."""

    name = "fusion"

    def __init__(self, config: FusionSandboxConfig):
        self.config = config
        self.endpoints = list(config.endpoints)
        self.pool = EndpointPool(self.endpoints, max_total=config.max_concurrency,
                                 max_each=config.max_concurrency_per_endpoint or config.max_concurrency,
                                 cooldown_s=config.endpoint_cooldown_s)
        self._local = threading.local()
        self._lock = threading.Lock()
        self.failures: Counter[str] = Counter()
        """Failed executions by cause (e.g. 'HTTP 500', 'ConnectionRefusedError'); never silently dropped."""
        self.resent = 0
        """Sends repeated after a send without an answer (to another endpoint when one is up, except a first
        re-send on a fresh connection after a kept-alive one broke)."""

    # -- one HTTP exchange ---------------------------------------------------------------------------------------

    def _connection(self, ep: Endpoint, timeout: float) -> http.client.HTTPConnection:
        conns = self._local.__dict__.setdefault("conns", {})
        conn = conns.get(ep.url)
        if conn is None:
            cls = http.client.HTTPSConnection if ep.scheme == "https" else http.client.HTTPConnection
            conn = conns[ep.url] = cls(ep.host, ep.port, timeout=timeout)
        conn.timeout = timeout
        if conn.sock is not None:
            conn.sock.settimeout(timeout)
        return conn

    def _drop_connection(self, ep: Endpoint) -> None:
        conn = self._local.__dict__.get("conns", {}).pop(ep.url, None)
        if conn is not None:
            conn.close()

    def _exchange(self, ep: Endpoint, body: bytes, timeout: float) -> tuple[int, bytes] | _NoAnswer:
        """POST one request; the answer, or why there is none and whether a re-send is safe."""
        while True:
            conn = self._connection(ep, timeout)
            reused = conn.sock is not None
            if not reused:
                try:
                    conn.connect()
                except OSError as exc:  # refused, unreachable, DNS, connect timeout: the request never left
                    self._drop_connection(ep)
                    return _NoAnswer(type(exc).__name__, f"cannot connect to {ep.url}: {type(exc).__name__}: {exc}",
                                     resend=True)
            try:
                conn.request("POST", ep.path, body=body, headers={"Content-Type": "application/json"})
                resp = conn.getresponse()
            except TimeoutError:
                self._drop_connection(ep)
                return _NoAnswer("TimeoutError", f"{ep.url} sent no answer within {timeout:g} s (the code's timeout "
                                 "+ request_slack_s); not re-sent, as the server may still be running it", resend=False)
            except (OSError, http.client.HTTPException) as exc:  # reset, broken pipe, closed before the status line
                self._drop_connection(ep)
                if reused:  # a kept-alive connection the server had closed: once more on a fresh one
                    with self._lock:
                        self.resent += 1
                    continue
                return _NoAnswer(type(exc).__name__, f"the connection to {ep.url} broke before any answer: "
                                 f"{type(exc).__name__}: {exc}", resend=True)
            try:
                return resp.status, resp.read()
            except (OSError, http.client.HTTPException) as exc:
                self._drop_connection(ep)
                return _NoAnswer(type(exc).__name__, f"the answer from {ep.url} (HTTP {resp.status}) was cut off: "
                                 f"{type(exc).__name__}: {exc}; not re-sent, as the code ran there", resend=False)

    # -- executions ------------------------------------------------------------------------------------------------

    def _fail(self, cause: str, detail: str, start: float) -> ExecResult:
        with self._lock:
            self.failures[cause] += 1
        log.warning("fusion execution failed: %s", detail)
        return ExecResult("", f"sandbox error: {detail}", None, "sandbox_error", time.monotonic() - start)

    def _body(self, ep: Endpoint, code: str, timeout_s: float, memory_mb: int, files: dict[str, bytes] | None) -> bytes:
        send_memory = self.config.send_memory_limit
        if send_memory is None:
            if ep.send_memory is None:
                ep.send_memory = self._is_llmrl_server(ep)
            send_memory = ep.send_memory
        return json.dumps(build_request(code, timeout_s=timeout_s, files=files,
                                        memory_mb=memory_mb if send_memory else None)).encode()

    def run(self, code: str, *, timeout_s: float = 10.0, memory_mb: int = 512,
            files: dict[str, bytes] | None = None) -> ExecResult:
        start = time.monotonic()
        timeout = timeout_s + self.config.request_slack_s
        tried: list[Endpoint] = []
        reasons: list[str] = []
        for attempt in range(self.config.retries + 1):
            if attempt:
                with self._lock:
                    self.resent += 1
                if not self.pool.any_up(avoid=tried):  # nowhere else to go: give the endpoints time
                    time.sleep(self.config.retry_backoff_s * 2 ** (attempt - 1))
            ep = self.pool.acquire(avoid=tried)
            outcome = _NoAnswer("", "", resend=False)
            try:
                outcome = self._exchange(ep, self._body(ep, code, timeout_s, memory_mb, files), timeout)
            finally:
                declined = not isinstance(outcome, _NoAnswer) and outcome[0] in DECLINED
                answered = not isinstance(outcome, _NoAnswer) and not declined
                self.pool.release(ep, answered=answered, down=declined or getattr(outcome, "resend", False))
            if isinstance(outcome, _NoAnswer):
                if not outcome.resend:
                    return self._fail(outcome.cause, outcome.detail, start)
                cause, reason = outcome.cause, outcome.detail
            elif declined:
                status, payload = outcome
                cause, reason = f"HTTP {status}", f"{ep.url} declined with HTTP {status}: {payload[:300]!r}"
            else:
                return self._result(ep, *outcome, start)
            log.info("fusion: %s; re-sending", reason)
            tried.append(ep)
            reasons.append(reason)
        hint = (" Is a server running there? Start one with: llmrl sandbox serve --port PORT"
                if any("connect" in r for r in reasons) else "")
        return self._fail(cause, f"no endpoint answered after {len(reasons)} send{'s' if len(reasons) > 1 else ''} ({'; '.join(reasons)}).{hint}",
                          start)

    def _result(self, ep: Endpoint, status: int, payload: bytes, start: float) -> ExecResult:
        """The one result of an execution that got an answer."""
        try:
            response = json.loads(payload)
        except ValueError:
            return self._fail("bad JSON", f"HTTP {status} from {ep.url} with a body that is not JSON: "
                              f"{payload[:500]!r}", start)
        if status >= 400:
            message = response.get("message") if isinstance(response, dict) else None
            if isinstance(response, dict) and response.get("llmrl_status") == "error":
                return ExecResult("", str(message), None, "error", time.monotonic() - start)
            return self._fail(f"HTTP {status}", f"HTTP {status} from {ep.url}: {message or payload[:500]!r}", start)
        result = response_to_result(response, time.monotonic() - start)
        if result.status == "sandbox_error":
            with self._lock:
                self.failures["server sandbox error"] += 1
            log.warning("fusion server %s reported a sandbox error: %s", ep.url, result.stderr[:300])
        return result

    def run_many(self, codes: list[str], *, timeout_s: float = 10.0, memory_mb: int = 512) -> list[ExecResult]:
        with ThreadPoolExecutor(max_workers=self.config.max_concurrency) as pool:
            return list(pool.map(lambda c: self.run(c, timeout_s=timeout_s, memory_mb=memory_mb), codes))

    # -- health ----------------------------------------------------------------------------------------------------

    def _get_ping(self, ep: Endpoint, timeout: float) -> http.client.HTTPResponse:
        cls = http.client.HTTPSConnection if ep.scheme == "https" else http.client.HTTPConnection
        conn = cls(ep.host, ep.port, timeout=timeout)
        try:
            conn.request("GET", "/v1/ping")
            resp = conn.getresponse()
            resp.read()
            return resp
        finally:
            conn.close()

    def _is_llmrl_server(self, ep: Endpoint) -> bool | None:
        """Whether ``ep`` is `llmrl sandbox serve` (None when it cannot be reached: ask again next time)."""
        try:
            return (self._get_ping(ep, 5).getheader("Server") or "").startswith("llmrl-sandbox")
        except (OSError, http.client.HTTPException):
            return None

    def ping(self, timeout: float = 5.0) -> bool:
        """True if every endpoint answers ``GET /v1/ping``."""
        try:
            return all(self._get_ping(ep, timeout).status == 200 for ep in self.pool.endpoints)
        except (OSError, http.client.HTTPException):
            return False
