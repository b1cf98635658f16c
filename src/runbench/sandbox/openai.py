"""An OpenAI-compatible stand-in so AI steps can be built and tested offline.

Answers are deterministic ("Sandbox answer to: <prompt>") so runbooks and tests that
read ``response^choices[0]^text!`` get a stable value, and the prompt is visible in the
answer, which shows the user exactly what their template rendered to. The response
shapes follow OpenAI's completions, chat completions and responses APIs.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from runbench.sandbox.bodies import BodyError, read_json

ANSWER_PREFIX = "Sandbox answer to: "


def answer_for(prompt: str) -> str:
    """The sandbox's deterministic answer to ``prompt``."""
    return f"{ANSWER_PREFIX}{prompt}"


def _error(status: int, message: str, kind: str, code: str | None = None) -> JSONResponse:
    return JSONResponse(
        {"error": {"message": message, "type": kind, "param": None, "code": code}},
        status_code=status,
    )


def _words(text: str) -> int:
    return len(text.split())


def _usage(prompt: str, answer: str) -> dict[str, int]:
    p, c = _words(prompt), _words(answer)
    return {"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c}


def _wants_json(body: dict[str, Any]) -> bool:
    """``response_format: {"type": "json_object"}``: the answer's content is a JSON document
    (``{"answer": ..., "prompt_words": n}``), as OpenAI's JSON mode gives."""
    wanted = body.get("response_format")
    return isinstance(wanted, dict) and wanted.get("type") in ("json_object", "json_schema")


def _content_text(content: Any) -> str:
    """Chat message content: a string, or a list of parts with ``text``."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


class OpenAIStandIn:
    """Handlers for ``/openai/v1/*``; ``requests`` records every accepted request body."""

    def __init__(self, *, api_key: str, clock: Callable[[], float]) -> None:
        self.api_key = api_key
        self._clock = clock
        self._lock = threading.Lock()
        self._requests: list[dict[str, Any]] = []

    @property
    def requests(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._requests)

    def routes(self) -> list[Route]:
        return [
            Route("/openai/v1/models", self.models, methods=["GET"]),
            Route("/openai/v1/completions", self.completions, methods=["POST"]),
            Route("/openai/v1/chat/completions", self.chat, methods=["POST"]),
            Route("/openai/v1/responses", self.responses, methods=["POST"]),
        ]

    async def _body(self, request: Request) -> dict[str, Any] | Response:
        scheme, _, key = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or key.strip() != self.api_key:
            return _error(
                401,
                "Incorrect API key provided. The sandbox accepts the key "
                "`runbench sandbox` prints (Authorization: Bearer <key>).",
                "invalid_request_error",
                "invalid_api_key",
            )
        try:
            body = await read_json(request)
        except BodyError as exc:
            said = str(exc)  # capitalize() would lower the rest ("json", "invalid control")
            return _error(exc.status, f"{said[:1].upper()}{said[1:]}.", "invalid_request_error")
        if not isinstance(body, dict):
            return _error(400, "The request body must be a JSON object.", "invalid_request_error")
        if not body.get("model"):
            return _error(400, "You must provide a model parameter.", "invalid_request_error")
        with self._lock:
            self._requests.append(body)
        return body

    def _envelope(self, kind: str, prefix: str, text: str, model: str) -> dict[str, Any]:
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
        return {
            "id": f"{prefix}-sandbox-{digest}",
            "object": kind,
            "created": int(self._clock()),
            "model": model,
        }

    async def models(self, request: Request) -> Response:
        scheme, _, key = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or key.strip() != self.api_key:
            return _error(
                401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key"
            )
        return JSONResponse(
            {
                "object": "list",
                "data": [{"id": "sandbox-model", "object": "model", "owned_by": "runbench"}],
            }
        )

    async def completions(self, request: Request) -> Response:
        body = await self._body(request)
        if isinstance(body, Response):
            return body
        prompt = body.get("prompt")
        raw = prompt if isinstance(prompt, list) else [prompt]
        prompts = [p for p in raw if isinstance(p, str)]
        if not prompts or len(prompts) != len(raw):
            return _error(
                400,
                "You must provide a prompt (a string or an array of strings).",
                "invalid_request_error",
            )
        answers = [answer_for(p) for p in prompts]
        out = self._envelope("text_completion", "cmpl", "\n".join(prompts), body["model"])
        out["choices"] = [
            {"index": i, "text": a, "logprobs": None, "finish_reason": "stop"}
            for i, a in enumerate(answers)
        ]
        out["usage"] = _usage(" ".join(prompts), " ".join(answers))
        return JSONResponse(out)

    async def chat(self, request: Request) -> Response:
        body = await self._body(request)
        if isinstance(body, Response):
            return body
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            return _error(
                400, "You must provide messages (a non-empty array).", "invalid_request_error"
            )
        users = [m for m in messages if isinstance(m, dict) and m.get("role") == "user"]
        last = users[-1] if users else messages[-1]
        prompt = _content_text(last.get("content") if isinstance(last, dict) else None)
        answer = answer_for(prompt)
        if _wants_json(body):
            answer = json.dumps({"answer": answer, "prompt_words": _words(prompt)})
        out = self._envelope("chat.completion", "chatcmpl", prompt, body["model"])
        out["choices"] = [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": answer},
            }
        ]
        out["usage"] = _usage(prompt, answer)
        return JSONResponse(out)

    async def responses(self, request: Request) -> Response:
        body = await self._body(request)
        if isinstance(body, Response):
            return body
        given = body.get("input")
        if isinstance(given, list):
            users = [m for m in given if isinstance(m, dict) and m.get("role") == "user"]
            prompt = _content_text(users[-1].get("content")) if users else ""
        elif isinstance(given, str):
            prompt = given
        else:
            return _error(
                400,
                "You must provide input (a string or an array of messages).",
                "invalid_request_error",
            )
        answer = answer_for(prompt)
        out = self._envelope("response", "resp", prompt, body["model"])
        out["status"] = "completed"
        out["output"] = [
            {
                "type": "message",
                "role": "assistant",
                "status": "completed",
                "content": [{"type": "output_text", "text": answer, "annotations": []}],
            }
        ]
        out["output_text"] = answer
        p, c = _words(prompt), _words(answer)
        out["usage"] = {"input_tokens": p, "output_tokens": c, "total_tokens": p + c}
        return JSONResponse(out)
