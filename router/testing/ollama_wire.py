"""The Ollama side of FakeLLM: /api/chat as NDJSON, plus tags, show, embed, ps (loaded models) and version."""
from __future__ import annotations

import hashlib
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from router.testing import images, tools
from router.testing.server import _Failure, _FakeServer
from router.testing.text import _text_of, fake_embedding, tokenize
from router.testing.tools import ScriptedCall


def _now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class _OllamaWire(_FakeServer):
    """Handlers for the Ollama HTTP API (routes are added in FakeLLM.start)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.loaded: dict[str, dict[str, Any]] = {}  # what /api/ps lists: model → its entry (see load)
        self.ps_missing = False  # True: answer /api/ps with 404, as a server too old to have it

    def load(self, model: str, *, context_length: int = 8192, keep_alive: float = 1800.0, **extra: Any) -> None:
        """List `model` in /api/ps as loaded with `context_length` (older Ollama: num_ctx × parallel) for another
        `keep_alive` seconds; `extra` adds fields, e.g. num_parallel=4 as a server that says its parallel."""
        expires = datetime.now(UTC) + timedelta(seconds=keep_alive)
        self.loaded[model] = {
            "name": model, "model": model, "size": 6_000_000_000, "size_vram": 6_000_000_000,
            "digest": hashlib.sha256(model.encode()).hexdigest(),
            "details": self._model_info(model)["details"] if model in self.models else {},
            "expires_at": expires.isoformat(timespec="microseconds"), "context_length": context_length, **extra}

    def _ollama_error(self, failure: _Failure, model: str) -> web.Response | None:
        if failure.mode == "500":
            return web.json_response({"error": "internal server error"}, status=500)
        if failure.mode == "429":
            return web.json_response(
                {"error": "rate limit exceeded"}, status=429, headers={"Retry-After": str(failure.retry_after)}
            )
        if failure.mode == "not_found":
            return web.json_response({"error": f"model '{model}' not found"}, status=404)
        return None

    def _ollama_refusal(self, model: str, body: dict[str, Any]) -> web.Response | None:
        """A 400 for what real Ollama rejects up front: malformed images or tool turns, images for a text-only
        model, tools for a model without them."""
        messages = list(body.get("messages") or [])
        if (problem := images.ollama_problem(messages) or tools.ollama_problem(body)) is not None:
            return web.json_response({"error": problem}, status=400)
        if images.count(messages) and not images.has_vision(self.models, model):
            return web.json_response({"error": "model does not support images"}, status=400)
        if body.get("tools") and not tools.has_tools(self.models, model):
            return web.json_response({"error": f"registry.ollama.ai/library/{model} does not support tools"},
                                     status=400)
        return None

    async def _ollama_chat(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        model = str(body.get("model", ""))
        messages = list(body.get("messages") or [])
        stream = body.get("stream", True) is not False
        # Checked before the scripted failures and replies, so a refused request consumes neither.
        if (refused := self._ollama_refusal(model, body)) is not None:
            return refused
        failure = self._failures.pop(0) if self._failures else None
        ndjson = "application/x-ndjson" if stream else "application/json"
        if (hung := await self._fail_prelude(request, failure, ndjson)) is not None:
            return hung
        if failure is not None and (err := self._ollama_error(failure, model)) is not None:
            return err
        reply = self._next_reply(messages, consume=failure is None)
        text = reply.text
        tokens = tokenize(text)
        n_in = sum(len(_text_of(m.get("content")).split()) for m in messages)
        started = time.perf_counter_ns()

        def chunk(content: str, calls: tuple[ScriptedCall, ...] = (), **extra: Any) -> dict[str, Any]:
            message: dict[str, Any] = {"role": "assistant", "content": content}
            if calls:  # whole calls, arguments as an object (a str here is a broken server's text)
                message["tool_calls"] = [{"function": {"name": c.name, "arguments": c.arguments_object()}}
                                         for c in calls]
            return {"model": model, "created_at": _now_iso(), "message": message, "done": False, **extra}

        def final(content: str = "", calls: tuple[ScriptedCall, ...] = ()) -> dict[str, Any]:
            total = max(time.perf_counter_ns() - started, 1)
            return chunk(
                content,
                calls,
                done=True,
                done_reason="stop",
                total_duration=total,
                load_duration=0,
                prompt_eval_count=n_in,
                prompt_eval_duration=total // 10,
                eval_count=reply.tokens_out(),
                eval_duration=total - total // 10,
            )

        if failure is not None and failure.mode == "error_line":
            if not stream:
                return web.json_response({"error": "model crashed"}, status=500)
            lines = [json.dumps(chunk(tokens[0] if tokens else "")), json.dumps({"error": "model crashed"})]
            return await self._stream(request, ndjson, [(ln + "\n").encode() for ln in lines])
        # Ollama (0.8+) streams each tool call whole in a chunk of its own, after the text.
        lines = [json.dumps(chunk(t)) for t in tokens] + [json.dumps(chunk("", (c,))) for c in reply.tool_calls]
        if failure is not None and failure.mode == "cut":
            lines = lines[: failure.after_tokens]
            return await self._stream(request, ndjson, [(ln + "\n").encode() for ln in lines], cut=True)
        if not stream:
            return await self._json_after_delay(request, final(text, reply.tool_calls), reply.tokens_out())
        if self.ollama_unstreamed_tools and body.get("tools"):
            # Ollama before 0.8 did not stream a request with tools: one done chunk carries text and calls.
            return await self._stream(request, ndjson, [(json.dumps(final(text, reply.tool_calls)) + "\n").encode()])
        encoded = [(ln + "\n").encode() for ln in lines]
        encoded.append((json.dumps(final()) + "\n").encode())
        return await self._stream(request, ndjson, encoded)

    def _model_info(self, name: str) -> dict[str, Any]:
        info = self.models[name]
        family = name.split(":")[0].rstrip("0123456789.") or name
        details = {
            "parent_model": "",
            "format": "gguf",
            "family": family,
            "families": [family],
            "parameter_size": "8.0B",
            "quantization_level": "Q4_K_M",
            **info.get("details", {}),
        }
        model_info = {
            "general.architecture": family,
            "general.parameter_count": 8_000_000_000,
            f"{family}.context_length": info.get("context_length", 32768),
            **info.get("model_info", {}),
        }
        if "embedding" in info.get("capabilities", ()):
            model_info[f"{family}.embedding_length"] = self._embed_dim(name)  # as real Ollama reports it
        capabilities = list(info.get("capabilities", ["completion"]))
        return {"capabilities": capabilities, "details": details, "model_info": model_info}

    async def _ollama_tags(self, request: web.Request) -> web.Response:
        models = []
        for name in self.models:
            digest = hashlib.sha256(name.encode()).hexdigest()
            models.append({
                "name": name,
                "model": name,
                "modified_at": "2025-01-01T00:00:00Z",
                "size": 1_000_000,
                "digest": digest,
                "details": self._model_info(name)["details"],
            })
        return web.json_response({"models": models})

    async def _ollama_show(self, request: web.Request) -> web.Response:
        body = await request.json()
        name = str(body.get("model") or body.get("name") or "")
        if name not in self.models:
            return web.json_response({"error": f"model '{name}' not found"}, status=404)
        info = self._model_info(name)
        return web.json_response({
            "modelfile": "",
            "parameters": "",
            "template": "{{ .Prompt }}",
            "modified_at": "2025-01-01T00:00:00Z",
            **info,
        })

    async def _ollama_embed(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        model = str(body.get("model", ""))
        inputs = body.get("input", "")
        texts = [inputs] if isinstance(inputs, str) else [str(t) for t in inputs]
        # Checked before the scripted failures, so a refused request consumes none.
        if (refused := self._embed_refusal(model)) is not None:
            return web.json_response({"error": refused[1]}, status=refused[0])
        failure = self._failures.pop(0) if self._failures else None
        if (hung := await self._fail_prelude(request, failure, "application/json")) is not None:
            return hung
        if failure is not None and (err := self._ollama_error(failure, model)) is not None:
            return err
        if failure is not None:  # cut, error_line: an answer that is not streamed breaks off or fails whole
            return self._drop(request) if failure.mode == "cut" else web.json_response(
                {"error": "model crashed"}, status=500)
        dim = self._embed_dim(model)
        return web.json_response({
            "model": model,
            "embeddings": [fake_embedding(t, dim) for t in texts],
            "total_duration": 1000,
            "load_duration": 0,
            "prompt_eval_count": sum(len(t.split()) for t in texts),
        })

    async def _ollama_ps(self, request: web.Request) -> web.Response:
        if self.ps_missing:
            return web.Response(status=404, text="404 page not found")
        return web.json_response({"models": list(self.loaded.values())})

    async def _ollama_version(self, request: web.Request) -> web.Response:
        return web.json_response({"version": "0.12.0"})
