"""The OpenAI side of FakeLLM: /v1/chat/completions as SSE, plus models and embeddings."""
from __future__ import annotations

import base64
import json
import re
import struct
import time
from typing import Any

from aiohttp import web

from router.testing import images, tools
from router.testing.server import _Failure, _FakeServer
from router.testing.text import _text_of, fake_embedding, tokenize
from router.testing.tools import ScriptedCall


class _OpenAIWire(_FakeServer):
    """Handlers for the OpenAI HTTP API under /v1 (routes are added in FakeLLM.start)."""

    @staticmethod
    def _openai_error_body(message: str, type_: str, code: str | None) -> dict[str, Any]:
        return {"error": {"message": message, "type": type_, "param": None, "code": code}}

    def _openai_error(self, failure: _Failure, model: str) -> web.Response | None:
        if failure.mode == "500":
            return web.json_response(self._openai_error_body("internal server error", "server_error", None), status=500)
        if failure.mode == "429":
            body = self._openai_error_body("Rate limit reached", "requests", "rate_limit_exceeded")
            return web.json_response(body, status=429, headers={"Retry-After": str(failure.retry_after)})
        if failure.mode == "not_found":
            body = self._openai_error_body(
                f"The model `{model}` does not exist", "invalid_request_error", "model_not_found"
            )
            return web.json_response(body, status=404)
        return None

    def _openai_refusal(self, model: str, body: dict[str, Any]) -> web.Response | None:
        """A 400 for malformed image parts, image URLs, tools or tool turns, images sent to a text-only model,
        or tools sent to a model without them."""
        messages = list(body.get("messages") or [])
        message = images.openai_problem(messages) or tools.openai_problem(body)
        if message is None and images.count(messages) and not images.has_vision(self.models, model):
            message = "Invalid content type. image_url is only supported by certain models."
        if message is None and body.get("tools") and not tools.has_tools(self.models, model):
            message = f"`{model}` does not support tools"
        if message is not None:
            return web.json_response(self._openai_error_body(message, "invalid_request_error", None), status=400)
        return None

    async def _openai_chat(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        model = str(body.get("model", ""))
        messages = list(body.get("messages") or [])
        # Checked before the scripted failures and replies, so a refused request consumes neither.
        if (refused := self._openai_refusal(model, body)) is not None:
            return refused
        stream = bool(body.get("stream", False))
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        failure = self._failures.pop(0) if self._failures else None
        sse = "text/event-stream" if stream else "application/json"
        if (hung := await self._fail_prelude(request, failure, sse)) is not None:
            return hung
        if failure is not None and (err := self._openai_error(failure, model)) is not None:
            return err
        reply = self._next_reply(messages, consume=failure is None)
        text, n_out = reply.text, reply.tokens_out()
        tokens = tokenize(text)
        n_in = sum(len(_text_of(m.get("content")).split()) for m in messages)
        usage = {"prompt_tokens": n_in, "completion_tokens": n_out, "total_tokens": n_in + n_out}
        finish = "tool_calls" if reply.tool_calls else "stop"
        created = int(time.time())

        def chunk(choices: list[dict[str, Any]], **extra: Any) -> bytes:
            data = {
                "id": "chatcmpl-fake",
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": choices,
                **extra,
            }
            return f"data: {json.dumps(data)}\n\n".encode()

        def token(tok: str) -> bytes:
            return chunk([{"index": 0, "delta": {"role": "assistant", "content": tok}, "finish_reason": None}])

        def fragment(call: dict[str, Any]) -> bytes:
            return chunk([{"index": 0, "delta": {"tool_calls": [call]}, "finish_reason": None}])

        if failure is not None and failure.mode == "error_line":
            if not stream:
                body_ = self._openai_error_body("model crashed", "server_error", None)
                return web.json_response(body_, status=500)
            crash = self._openai_error_body("model crashed", "server_error", None)
            lines = [token(tokens[0] if tokens else ""), f"data: {json.dumps(crash)}\n\n".encode()]
            return await self._stream(request, sse, lines)
        lines = [token(t) for t in tokens] + [fragment(f) for f in _fragments(reply.tool_calls)]
        if failure is not None and failure.mode == "cut":
            return await self._stream(request, sse, lines[: failure.after_tokens], cut=True)
        if not stream:
            return await self._json_after_delay(request, {
                "id": "chatcmpl-fake",
                "object": "chat.completion",
                "created": created,
                "model": model,
                "choices": [{
                    "index": 0,
                    "message": _message(text, reply.tool_calls),
                    "logprobs": None,
                    "finish_reason": finish,
                }],
                "usage": usage,
            }, n_out)
        lines.append(chunk([{"index": 0, "delta": {}, "finish_reason": finish}]))
        if include_usage:
            lines.append(chunk([], usage=usage))
        lines.append(b"data: [DONE]\n\n")
        return await self._stream(request, sse, lines)

    async def _openai_models(self, request: web.Request) -> web.Response:
        data = [{"id": name, "object": "model", "created": 0, "owned_by": "fake"} for name in self.models]
        return web.json_response({"object": "list", "data": data})

    async def _openai_embeddings(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        model = str(body.get("model", ""))
        inputs = body.get("input", "")
        texts = [inputs] if isinstance(inputs, str) else [str(t) for t in inputs]
        # Checked before the scripted failures, so a refused request consumes none.
        if (refused := self._embed_refusal(model)) is not None:
            status, message = refused
            code = "model_not_found" if status == 404 else None
            return web.json_response(self._openai_error_body(message, "invalid_request_error", code), status=status)
        failure = self._failures.pop(0) if self._failures else None
        if (hung := await self._fail_prelude(request, failure, "application/json")) is not None:
            return hung
        if failure is not None and (err := self._openai_error(failure, model)) is not None:
            return err
        if failure is not None:  # cut, error_line: an answer that is not streamed breaks off or fails whole
            return self._drop(request) if failure.mode == "cut" else web.json_response(
                self._openai_error_body("model crashed", "server_error", None), status=500)
        as_base64 = body.get("encoding_format") == "base64"
        dim = self._embed_dim(model)
        data = []
        for i, t in enumerate(texts):
            vec: Any = fake_embedding(t, dim)
            if as_base64:
                vec = base64.b64encode(struct.pack(f"<{len(vec)}f", *vec)).decode()
            data.append({"object": "embedding", "index": i, "embedding": vec})
        n = sum(len(t.split()) for t in texts)
        return web.json_response({
            "object": "list",
            "data": data,
            "model": model,
            "usage": {"prompt_tokens": n, "total_tokens": n},
        })

    async def _openai_rerank(self, request: web.Request) -> web.Response:
        """Jina/Cohere-style /v1/rerank (vLLM, llama.cpp, GPUStack): scores by shared 5-letter word stems."""
        body = await request.json()
        if not isinstance(body.get("query"), str) or not isinstance(body.get("documents"), list):
            return web.json_response(self._openai_error_body("query and documents are required",
                                                             "invalid_request_error", None), status=400)
        if self._failures:
            failure = self._failures.pop(0)
            return web.json_response(self._openai_error_body(f"fail {failure.mode}", "server_error", None), status=500)
        query = _stems(body["query"])
        scored = [(i, len(query & _stems(str(d))) / (len(query) or 1)) for i, d in enumerate(body["documents"])]
        scored.sort(key=lambda x: -x[1])
        top = scored[: int(body.get("top_n") or len(scored))]
        return web.json_response({"model": body.get("model", ""),
                                  "results": [{"index": i, "relevance_score": s} for i, s in top]})


def _message(text: str, calls: tuple[ScriptedCall, ...]) -> dict[str, Any]:
    """A whole (not streamed) assistant message: null content when there is only a call, as OpenAI sends it."""
    message: dict[str, Any] = {"role": "assistant", "content": text or (None if calls else ""), "refusal": None}
    if calls:
        message["tool_calls"] = [{"id": c.id, "type": "function",
                                  "function": {"name": c.name, "arguments": c.arguments_json()}} for c in calls]
    return message


def _fragments(calls: tuple[ScriptedCall, ...], size: int = 8) -> list[dict[str, Any]]:
    """Calls as OpenAI streams them: id, type and name first (empty arguments), then the JSON in pieces, by index."""
    out: list[dict[str, Any]] = []
    for index, call in enumerate(calls):
        out.append({"index": index, "id": call.id, "type": "function",
                    "function": {"name": call.name, "arguments": ""}})
        args = call.arguments_json()
        out += [{"index": index, "function": {"arguments": args[i:i + size]}} for i in range(0, len(args), size)]
    return out


def _stems(text: str) -> set[str]:
    """The 5-letter stems of a text's words longer than two letters."""
    return {w[:5] for w in re.findall(r"\w+", text.lower()) if len(w) > 2}
