"""In-process provider on llama-cpp-python: the last-resort fallback that needs no server."""
from __future__ import annotations

import asyncio
import importlib.util
import logging
import threading
from collections.abc import AsyncGenerator, Callable
from functools import partial
from pathlib import Path
from typing import Any

from router.errors import ProviderError, ProviderUnavailable
from router.providers._errors import translate_common
from router.providers._stream import Final, Piece, run_stream
from router.providers.llama_log import route_native_logs
from router.timeouts import Timeouts
from router.types import TEXT_ONLY, ChatRequest, Delta

log = logging.getLogger(__name__)

_FIX = "install it with: pip install -e '.[embedded]'"
_END = object()


def merge_system(messages: list[dict[str, str]]) -> list[dict[str, str]]:
    """Fold system messages into the first user turn, for chat formats without a system role."""
    system = "\n\n".join(m["content"] for m in messages if m["role"] == "system")
    rest = [dict(m) for m in messages if m["role"] != "system"]
    if not system:
        return rest
    for m in rest:
        if m["role"] == "user":
            m["content"] = f"{system}\n\n{m['content']}"
            return rest
    return [{"role": "user", "content": system}, *rest]


def transcript(messages: list[dict[str, str]], speaker: str, user: str = "User") -> tuple[str, list[str]]:
    """A chat as a plain dialogue to continue, and where to stop: what a base model (no chat template) follows.

    Given chat turns, a base model such as the packaged Gemma 3 270M repeats its instructions back; given
    a description and a dialogue, it writes the next line.
    """
    system = "\n\n".join(m["content"] for m in messages if m["role"] == "system")
    lines = [f"{speaker if m['role'] == 'assistant' else user}: {m['content']}" for m in messages
             if m["role"] != "system"]
    prompt = (f"{system}\n\n" if system else "") + "\n".join(lines) + f"\n{speaker}:"
    # It writes the next turn: the answer is over. Line-led stops first, so the newline before them is cut too.
    names = (user, user.upper(), speaker)
    return prompt, [*(f"\n{n}:" for n in names), *(f"{n}:" for n in names)]


class EmbeddedProvider:
    """Runs a GGUF model in this process; one generation at a time."""

    def __init__(
        self,
        name: str = "embedded",
        model_path: str | Path = "",
        *,
        n_ctx: int = 2048,
        n_threads: int = 2,
        local: bool = True,
        timeouts: Timeouts = Timeouts(),
        max_tokens: int = 512,
        repeat_penalty: float = 1.2,
        temperature: float | None = None,
    ) -> None:
        self.name = name
        # A small CPU model left unbounded can ramble until the context is full (minutes on 2 cores).
        self.max_tokens = max_tokens
        self.repeat_penalty = repeat_penalty
        self.temperature = temperature  # set: used instead of the persona's (a tiny model strays when sampled hot)
        self.local = local
        self.model_path = Path(model_path)
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self.timeouts = timeouts
        self._loading: asyncio.Future[Any] | None = None
        self._transcript = False  # a base model: prompted as a dialogue, not through a chat template
        # The llama.cpp context is not reentrant; the lock is released when the worker thread ends.
        self._lock = asyncio.Lock()

    async def capabilities(self, model: str) -> frozenset[str]:
        """A small text model: completion only, never vision or tools (a request offering tools goes elsewhere)."""
        # Never "embedding" either (and no embed method): a chat GGUF's pooled states are poor for retrieval,
        # and a fallback embedder of another size would put incompatible vectors into a knowledge base.
        return TEXT_ONLY

    def stream(self, model: str, request: ChatRequest) -> AsyncGenerator[Delta, None]:
        """Stream one answer; `model` only labels the deltas, the file is fixed."""
        return run_stream(
            self._raw(request),
            request=request,
            provider=self.name,
            model=model,
            timeouts=self.timeouts,
            translate=_translate,
        )

    async def _load(self) -> Any:
        if self._loading is None:
            self._loading = asyncio.ensure_future(asyncio.to_thread(self._load_sync))
        try:
            # Shielded: a caller timing out must not throw away a load that is half done.
            return await asyncio.shield(self._loading)
        except ProviderError:
            self._loading = None  # let a later call try again (e.g. after installing the package)
            raise

    def _load_sync(self) -> Any:
        try:
            import llama_cpp
        except ImportError:
            raise ProviderUnavailable(f"llama-cpp-python is not installed; {_FIX}") from None
        if not self.model_path.is_file():
            raise ProviderUnavailable(f"model file {self.model_path} does not exist")
        route_native_logs(llama_cpp)  # llama.cpp's notices into logging, never onto a chat on the terminal
        try:
            llm = llama_cpp.Llama(
                model_path=str(self.model_path), n_ctx=self.n_ctx, n_threads=self.n_threads, verbose=False
            )
        except (ValueError, RuntimeError) as exc:
            raise ProviderUnavailable(f"cannot load {self.model_path.name}: {exc}") from None
        log.info("embedded model %s loaded (n_ctx=%d, threads=%d)", self.model_path.name, self.n_ctx, self.n_threads)
        # Instruction-tuned GGUFs ship their chat template; one without is a base model.
        self._transcript = not llm.metadata.get("tokenizer.chat_template")
        return llm

    async def _raw(self, request: ChatRequest) -> AsyncGenerator[Piece, None]:
        await self._lock.acquire()
        try:
            llm = await self._load()
        except BaseException:
            self._lock.release()
            raise
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[Any] = asyncio.Queue()
        stop = threading.Event()
        # Text only (capabilities() says so, so the router sends no image here); should images slip
        # through anyway, dropping them keeps the fallback answering instead of failing in llama.cpp.
        # A tool's result (in a history without tools on offer) reads as a user turn: chat templates know no "tool".
        messages = [{"role": "user" if m.role == "tool" else m.role, "content": m.content} for m in request.messages]
        temperature = request.temperature if self.temperature is None else self.temperature
        params = {"temperature": temperature, "repeat_penalty": self.repeat_penalty,
                  "max_tokens": min(request.max_tokens or self.max_tokens, self.max_tokens)}
        start = partial(self._start, llm, messages, params, request.speaker or "Assistant")
        try:
            worker = loop.run_in_executor(None, self._generate, llm, start, stop, _sender(loop, queue))
        except BaseException:
            self._lock.release()
            raise
        worker.add_done_callback(lambda _: self._lock.release())
        try:
            while (item := await queue.get()) is not _END:
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            # The consumer may stop early (aclose, cancel, timeout): make the thread stop generating.
            stop.set()

    def _start(self, llm: Any, messages: list[dict[str, str]], params: dict[str, Any], speaker: str) -> Any:
        """The model's chunk stream: a plain dialogue for a base model, its chat template otherwise."""
        if self._transcript:
            prompt, stops = transcript(messages, speaker)
            return llm.create_completion(prompt=prompt, stream=True, stop=stops, **params)
        try:
            return llm.create_chat_completion(messages=messages, stream=True, **params)
        except ValueError as exc:
            # Some chat templates raise on a system role; retry with it folded into the user turn.
            if "system" not in str(exc).lower():
                raise
            return llm.create_chat_completion(messages=merge_system(messages), stream=True, **params)

    def _generate(self, llm: Any, start: Callable[[], Any], stop: threading.Event, send: Callable[[Any], None]) -> None:
        """Worker thread: run the model and hand pieces to the event loop."""
        try:
            chunks = start()
            produced, held = 0, ""  # held: trailing whitespace, sent only if more text follows
            finished: str | None = None
            try:
                for chunk in chunks:
                    if stop.is_set():
                        return
                    for choice in chunk["choices"]:
                        # Chat chunks carry a delta, completion chunks (the dialogue prompt) plain text.
                        text = choice["delta"].get("content") if "delta" in choice else choice.get("text")
                        if text and not produced:
                            text = text.lstrip()  # the dialogue's "Name:" is followed by a space-led token
                        body = (held + text).rstrip() if text else ""
                        if body:
                            held = (held + text)[len(body):]
                            produced += 1
                            send(body)
                        elif text:
                            held += text
                        finished = choice.get("finish_reason") or finished
            finally:
                chunks.close()
            if finished:
                # Stream chunks carry no usage. The context now holds prompt + output, except that
                # a token cut off by max_tokens is never evaluated.
                unevaluated = 1 if finished == "length" else 0
                send(Final(tokens_in=max(0, llm.n_tokens - produced + unevaluated), tokens_out=produced))
            send(_END)
        except BaseException as exc:  # noqa: BLE001 - handed to the event loop, which raises it in the caller
            send(exc)

    async def ping(self) -> None:
        """Cheap: llama-cpp-python is installed and the model file is there (loading it would take seconds)."""
        loaded = self._loading
        if loaded is not None and loaded.done() and not loaded.cancelled() and loaded.exception() is None:
            return  # loaded and working
        if importlib.util.find_spec("llama_cpp") is None:
            raise ProviderUnavailable(f"llama-cpp-python is not installed; {_FIX}", provider=self.name)
        if not self.model_path.is_file():
            raise ProviderUnavailable(f"model file {self.model_path} does not exist", provider=self.name)

    async def aclose(self) -> None:
        """Free the model once no generation is running."""
        async with self._lock:
            loading, self._loading = self._loading, None
            if loading is None or not loading.done() or loading.cancelled() or loading.exception():
                return
            loading.result().close()


def _sender(loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[Any]) -> Callable[[Any], None]:
    def send(item: Any) -> None:
        try:
            loop.call_soon_threadsafe(queue.put_nowait, item)
        except RuntimeError:
            pass  # the loop is closed; nobody is listening any more

    return send


def _translate(exc: BaseException) -> ProviderError:
    if isinstance(exc, (ValueError, RuntimeError)):
        # llama.cpp reports context overflow and decode failures this way.
        return ProviderUnavailable(f"embedded model failed: {exc}")
    return translate_common(exc)
