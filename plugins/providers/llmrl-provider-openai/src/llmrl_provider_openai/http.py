"""POST JSON with bounded retries: exponential backoff on 429, 5xx and connection errors.

Any other 4xx is the caller's mistake and fails at once with the server's own message.
"""

from __future__ import annotations

import json
import logging
import random
import time
from typing import Any

import httpx

from llmrl_core.errors import LlmrlError

log = logging.getLogger(__name__)

RETRY_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504})


class EndpointError(LlmrlError):
    """The endpoint answered with an error, answered garbage, or could not be reached."""

    def __init__(self, message: str, *, url: str, status: int | None = None):
        self.url, self.status = url, status
        super().__init__(message)


def excerpt(text: str, limit: int = 300) -> str:
    """The start of ``text``, shown in errors so the user sees what the server really sent."""
    text = text.strip()
    return repr(text if len(text) <= limit else text[:limit] + "...")


def _server_message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return excerpt(response.text)
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict) and err.get("message"):
            return str(err["message"])
        if isinstance(err, str):
            return err
    return excerpt(response.text)


def _retry_after(response: httpx.Response | None) -> float | None:
    if response is None:
        return None
    try:
        return float(response.headers.get("retry-after", ""))
    except ValueError:
        return None


class JsonPoster:
    """A thread-safe JSON client (one ``httpx.Client``) with the retry policy of the config."""

    def __init__(self, base_url: str, *, api_key: str | None, timeout_s: float, max_retries: int,
                 backoff_s: float, backoff_max_s: float, max_connections: int):
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.base_url = base_url.rstrip("/")
        self.max_retries, self.backoff_s, self.backoff_max_s = max_retries, backoff_s, backoff_max_s
        self._client = httpx.Client(
            headers=headers,
            timeout=httpx.Timeout(timeout_s),
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
        )

    def _wait(self, attempt: int, response: httpx.Response | None) -> None:
        delay = min(self.backoff_max_s, self.backoff_s * 2**attempt) * (0.5 + random.random() / 2)
        hinted = _retry_after(response)
        if hinted is not None:
            delay = min(max(delay, hinted), self.backoff_max_s)
        time.sleep(delay)

    def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """Send, retry what is worth retrying, and return the decoded JSON body."""
        url = f"{self.base_url}/{path.lstrip('/')}"
        last = ""
        for attempt in range(self.max_retries + 1):
            response = None
            try:
                response = self._client.request(method, url, json=body)
            except httpx.TransportError as exc:
                last = f"{type(exc).__name__}: {exc or 'no detail'}"
            else:
                if response.status_code < 400:
                    return self._decode(response, url)
                message = _server_message(response)
                if response.status_code not in RETRY_STATUS:
                    raise EndpointError(
                        f"{method} {url} was rejected with HTTP {response.status_code}: {message}. "
                        + _hint(response.status_code),
                        url=url, status=response.status_code,
                    )
                last = f"HTTP {response.status_code}: {message}"
            if attempt < self.max_retries:
                log.info("%s %s failed (%s); retry %d of %d", method, url, last, attempt + 1, self.max_retries)
                self._wait(attempt, response)
        raise EndpointError(
            f"{method} {url} failed after {self.max_retries + 1} attempts; last error: {last}. "
            "Check that the server is running and base_url is right (start a local one with `llmrl serve`).",
            url=url,
        )

    @staticmethod
    def _decode(response: httpx.Response, url: str) -> Any:
        try:
            return response.json()
        except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
            raise EndpointError(
                f"{url} answered HTTP {response.status_code} with a body that is not JSON: {excerpt(response.text)}. "
                "Is base_url an OpenAI-compatible endpoint (it usually ends in /v1)?",
                url=url, status=response.status_code,
            ) from None

    def close(self) -> None:
        self._client.close()


def _hint(status: int) -> str:
    return {
        401: "Set the API key in the environment variable named by api_key_env.",
        403: "The API key lacks access to this model or endpoint.",
        404: "Check base_url (it usually ends in /v1) and the model name (GET /v1/models lists them).",
    }.get(status, "Fix the request fields named in the message.")
