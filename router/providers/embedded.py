"""In-process provider on llama-cpp-python: the last-resort fallback that needs no server."""
from __future__ import annotations

import asyncio
import importlib.util
import logging
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from router.errors import ProviderError, ProviderUnavailable
from router.providers._errors import translate_common
from router.providers._stream import Final, Piece, run_stream
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


def _chat_format(metadata: dict[str, str]) -> str | None:
    """A chat format for GGUFs that ship no template (llama.cpp would fall back to llama-2)."""
    if metadata.get("tokenizer.chat_template"):
        return None
    if metadata.get("general.architecture", "").startswith("gemma"):
        return "gemma"
    return None


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
    ) -> None:
        self.name = name
        # A small CPU model left unbounded can ramble until the context is full (minutes on 2 cores).
        self.max_tokens = max_tokens
        self.repeat_penalty = repeat_penalty
        self.local = local
        self.model_path = Path(model_path)
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self.timeouts = timeouts
        self._loading: asyncio.Future[Any] | None = None
        self._merge_system = False
        # The llama.cpp context is not reentrant; the lock is released when the worker thread ends.
        self._lock = asyncio.Lock()

    async def capabilities(self, model: str) -> frozenset[str]:
        """A small text model: completion only, never vision."""
        # Never "embedding" either (and no embed method): a chat GGUF's pooled states are poor for retrieval,
        # and a fallback embedder of another size would put incompatible vectors into a knowledge base.
        return TEXT_ONLY

    def stream(self, model: str, request: ChatRequest) -> AsyncIterator[Delta]:
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
        try:
            llm = llama_cpp.Llama(
                model_path=str(self.model_path), n_ctx=self.n_ctx, n_threads=self.n_threads, verbose=False
            )
        except (ValueError, RuntimeError) as exc:
            raise ProviderUnavailable(f"cannot load {self.model_path.name}: {exc}") from None
        log.info("embedded model %s loaded (n_ctx=%d, threads=%d)", self.model_path.name, self.n_ctx, self.n_threads)
        fmt = _chat_format(llm.metadata)
        if fmt is not None:
            llm.chat_format = fmt
            # llama.cpp's gemma format silently drops system messages, so we fold them in ourselves.
            self._merge_system = fmt == "gemma"
        return llm

    async def _raw(self, request: ChatRequest) -> AsyncIterator[Piece]:
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
        messages = [{"role": m.role, "content": m.content} for m in request.messages]
        params = {"temperature": request.temperature, "repeat_penalty": self.repeat_penalty,
                  "max_tokens": min(request.max_tokens or self.max_tokens, self.max_tokens)}
        try:
            worker = loop.run_in_executor(None, self._generate, llm, messages, params, stop, _sender(loop, queue))
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

    def _generate(
        self, llm: Any, messages: list[dict[str, str]], params: dict[str, Any], stop: threading.Event,
        send: Callable[[Any], None],
    ) -> None:
        """Worker thread: run the model and hand pieces to the event loop."""
        try:
            if self._merge_system:
                messages = merge_system(messages)
            try:
                chunks = llm.create_chat_completion(messages=messages, stream=True, **params)
            except ValueError as exc:
                # Some chat templates raise on a system role; retry with it folded into the user turn.
                if "system" not in str(exc).lower():
                    raise
                chunks = llm.create_chat_completion(messages=merge_system(messages), stream=True, **params)
            produced = 0
            finished: str | None = None
            try:
                for chunk in chunks:
                    if stop.is_set():
                        return
                    for choice in chunk["choices"]:
                        text = choice["delta"].get("content")
                        if text:
                            produced += 1
                            send(text)
                        finished = choice.get("finish_reason") or finished
            finally:
                chunks.close()
            if finished:
                # Stream chunks carry no usage. The context now holds prompt + output, except that
                # a token cut off by max_tokens is never evaluated.
                unevaluated = 1 if finished == "length" else 0
                send(Final(tokens_in=max(0, llm.n_tokens - produced + unevaluated), tokens_out=produced))
            send(_END)
        except BaseException as exc:
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
