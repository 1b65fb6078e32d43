"""Local stand-ins for the OpenAI and Gemini HTTP APIs, speaking their wire formats.

Each runs on 127.0.0.1:<free port> in a background thread, records every request, and answers
as the test tells it to: normally, with an HTTP error, slowly, or with a reply of its choosing.
Their errors have the real APIs' shapes (OpenAI's `{"error": {"code": "invalid_api_key"…}}`,
Google's `{"error": {"status": "INVALID_ARGUMENT"…}}`).
"""

from __future__ import annotations

import asyncio
import base64
import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


@dataclass
class Recorded:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: Any = None
    form: dict[str, str] = field(default_factory=dict)
    files: dict[str, tuple[str, str, bytes]] = field(default_factory=dict)


@dataclass
class Behaviour:
    """What the stand-in does next: fail with `status`, wait `delay` s, or reply.

    `body` replaces the whole JSON response (for replies the API sends without text).
    """

    status: int = 200
    delay: float = 0.0
    reply: Callable[[Recorded], str] = lambda recorded: ""
    body: dict[str, Any] | None = None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class StandInServer:
    def __init__(self, routes: list[Route]) -> None:
        self.port = _free_port()
        self.requests: list[Recorded] = []
        self.behaviour = Behaviour()
        config = uvicorn.Config(
            Starlette(routes=routes),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="off",
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> StandInServer:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the stand-in did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)

    async def record(self, request: Request) -> Recorded:
        recorded = Recorded(request.url.path, dict(request.query_params), dict(request.headers))
        if request.headers.get("content-type", "").startswith("multipart/form-data"):
            form = await request.form()
            for name, value in form.multi_items():
                if isinstance(value, UploadFile):
                    data = await value.read()
                    recorded.files[name] = (value.filename or "", value.content_type or "", data)
                else:
                    recorded.form[name] = value
        else:
            recorded.json = json.loads(await request.body() or b"null")
        self.requests.append(recorded)
        return recorded

    async def misbehave(self) -> Response | None:
        if self.behaviour.delay:
            await asyncio.sleep(self.behaviour.delay)
        if self.behaviour.status >= 400:
            return JSONResponse(
                {"error": {"message": "stand-in failure", "code": self.behaviour.status}},
                status_code=self.behaviour.status,
            )
        return None


class OpenAIStandIn(StandInServer):
    """`/v1/chat/completions` and `/v1/audio/transcriptions`, Bearer key checked."""

    def __init__(self, api_key: str | None = "sk-test") -> None:
        self.api_key = api_key
        super().__init__(
            [
                Route("/v1/chat/completions", self._chat, methods=["POST"]),
                Route("/v1/audio/transcriptions", self._transcribe, methods=["POST"]),
            ]
        )

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    def _unauthorised(self, recorded: Recorded) -> Response | None:
        if (
            self.api_key is None
            or recorded.headers.get("authorization") == f"Bearer {self.api_key}"
        ):
            return None
        error = {
            "message": "Incorrect API key provided.",
            "type": "invalid_request_error",
            "code": "invalid_api_key",
        }
        return JSONResponse({"error": error}, status_code=401)

    async def _chat(self, request: Request) -> Response:
        recorded = await self.record(request)
        failure = self._unauthorised(recorded) or await self.misbehave()
        if failure is not None:
            return failure
        message = {"role": "assistant", "content": self.behaviour.reply(recorded)}
        return JSONResponse(
            {
                "id": "chatcmpl-standin",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": recorded.json["model"],
                "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            }
        )

    async def _transcribe(self, request: Request) -> Response:
        recorded = await self.record(request)
        failure = self._unauthorised(recorded) or await self.misbehave()
        if failure is not None:
            return failure
        if "file" not in recorded.files or "model" not in recorded.form:
            return JSONResponse({"error": {"message": "file and model are required"}}, 400)
        return JSONResponse({"text": self.behaviour.reply(recorded)})


class GeminiStandIn(StandInServer):
    """`/v1beta/models/{model}:generateContent`; the key in `?key=` or `x-goog-api-key`."""

    def __init__(self, api_key: str = "gem-test") -> None:
        self.api_key = api_key
        super().__init__(
            [Route("/v1beta/models/{model_and_method}", self._generate, methods=["POST"])]
        )

    async def _generate(self, request: Request) -> Response:
        recorded = await self.record(request)
        model, _, method = request.path_params["model_and_method"].partition(":")
        if method != "generateContent":
            return JSONResponse({"error": {"code": 404, "status": "NOT_FOUND"}}, 404)
        key = recorded.query.get("key") or recorded.headers.get("x-goog-api-key")
        if key != self.api_key:
            error = {
                "code": 400,
                "message": "API key not valid. Please pass a valid API key.",
                "status": "INVALID_ARGUMENT",
            }
            return JSONResponse({"error": error}, status_code=400)
        failure = await self.misbehave()
        if failure is not None:
            return failure
        if self.behaviour.body is not None:
            return JSONResponse(self.behaviour.body)
        for part in recorded.json["contents"][0]["parts"]:
            if "inline_data" in part:  # what Google does with undecodable data
                base64.b64decode(part["inline_data"]["data"], validate=True)
        content = {"role": "model", "parts": [{"text": self.behaviour.reply(recorded)}]}
        return JSONResponse(
            {
                "candidates": [{"content": content, "finishReason": "STOP", "index": 0}],
                "usageMetadata": {"promptTokenCount": 1, "totalTokenCount": 2},
                "modelVersion": model,
            }
        )
