"""The shipped model fakes (FakeLLM, ScriptedProvider) speak their protocols well enough for the official clients."""
from __future__ import annotations

import asyncio
import time

import httpx
import ollama
import openai
import pytest

from router.errors import ProviderUnavailable, StreamCut
from router.testing import FakeLLM, ScriptedProvider, fake_embedding, tokenize
from router.types import ChatMessage, ChatRequest

MSGS = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi there"}]


@pytest.fixture
async def opened():
    """Collects SDK clients so each is closed while the loop still runs."""
    clients: list = []
    yield clients
    for c in clients:
        await c.close()





def _ollama(opened: list, host: str, **kw: float) -> ollama.AsyncClient:
    opened.append(client := ollama.AsyncClient(host=host, **kw))
    return client


def _openai(opened: list, llm: FakeLLM, timeout: float = 2) -> openai.AsyncOpenAI:
    client = openai.AsyncOpenAI(base_url=llm.openai_url, api_key="x", max_retries=0, timeout=timeout)
    opened.append(client)
    return client


def test_tokenize_round_trips() -> None:
    text = "Привіт,  світе!\n\nДругий рядок "
    assert "".join(tokenize(text)) == text
    assert tokenize("a b") == ["a ", "b"]


# -- FakeLLM: Ollama ---------------------------------------------------------


async def test_ollama_stream_scripted(llm: FakeLLM, opened: list) -> None:
    llm.reply("Hello brave new world")
    client = _ollama(opened, llm.url)
    parts = [p async for p in await client.chat(model="qwen3:8b", messages=MSGS, stream=True)]
    assert "".join(p.message.content for p in parts) == "Hello brave new world"
    final = parts[-1]
    assert final.done and final.done_reason == "stop"
    assert final.eval_count == 4 and final.prompt_eval_count == 4
    assert final.total_duration and final.total_duration > 0
    assert not any(p.done for p in parts[:-1])
    assert llm.chat_requests()[0].json["model"] == "qwen3:8b"


async def test_requests_record_first_and_last_chunk(llm: FakeLLM, opened: list) -> None:
    llm.token_delay = 0.01
    llm.reply("one two three")
    parts = [p async for p in await _ollama(opened, llm.url).chat(model="qwen3:8b", messages=MSGS, stream=True)]
    assert parts[-1].done
    await _openai(opened, llm).chat.completions.create(model="gpt-4o-mini", messages=MSGS)
    streamed, whole = llm.chat_requests()
    assert streamed.first_at is not None and streamed.done_at is not None
    assert streamed.at <= streamed.first_at < streamed.done_at  # the model's first token, then its end
    assert whole.first_at == whole.done_at is not None  # not streamed: the whole answer leaves at once


async def test_ollama_non_stream_echo_and_think(llm: FakeLLM, opened: list) -> None:
    client = _ollama(opened, llm.url)
    resp = await client.chat(model="anything", messages=MSGS, stream=False)
    assert resp.message.content == "echo: hi there" and resp.done
    llm.emit_think = True
    llm.responder = lambda msgs: f"{len(msgs)} messages"
    resp = await client.chat(model="qwen3:8b", messages=MSGS)
    assert resp.message.content == "<think>\nsome reasoning\n</think>\n\n2 messages"


async def test_ollama_model_endpoints(llm: FakeLLM, opened: list) -> None:
    client = _ollama(opened, llm.url)
    names = [m.model for m in (await client.list()).models]
    assert "qwen3:8b" in names and "bge-m3" in names
    show = await client.show("llava:7b")
    assert "vision" in (show.capabilities or [])
    assert show.modelinfo and show.details
    with pytest.raises(ollama.ResponseError) as err:
        await client.show("nope:1b")
    assert err.value.status_code == 404
    emb = await client.embed(model="bge-m3", input=["a", "b"])
    assert len(emb.embeddings) == 2 and list(emb.embeddings[0]) == fake_embedding("a")
    async with httpx.AsyncClient() as http:
        assert (await http.get(llm.url + "/api/version")).json()["version"]


@pytest.mark.parametrize(
    ("mode", "status"), [("500", 500), ("429", 429), ("not_found", 404)]
)
async def test_ollama_http_failures(llm: FakeLLM, mode: str, status: int, opened: list) -> None:
    llm.reply("kept for later")
    llm.fail(mode)
    client = _ollama(opened, llm.url)
    with pytest.raises(ollama.ResponseError) as err:
        async for _ in await client.chat(model="m", messages=MSGS, stream=True):
            pass
    assert err.value.status_code == status
    # A failure does not consume the scripted reply.
    assert (await client.chat(model="m", messages=MSGS)).message.content == "kept for later"


async def test_ollama_429_has_retry_after(llm: FakeLLM) -> None:
    llm.fail("429", retry_after=7)
    async with httpx.AsyncClient() as http:
        resp = await http.post(llm.url + "/api/chat", json={"model": "m", "messages": MSGS})
    assert resp.status_code == 429 and resp.headers["Retry-After"] == "7"
    assert resp.json()["error"]


async def test_ollama_error_line_and_cut(llm: FakeLLM, opened: list) -> None:
    llm.reply("one two three four five")
    llm.fail("error_line")
    llm.fail("cut", after_tokens=3)
    client = _ollama(opened, llm.url)
    got: list[str] = []
    with pytest.raises(ollama.ResponseError, match="model crashed"):
        async for p in await client.chat(model="m", messages=MSGS, stream=True):
            got.append(p.message.content)
    assert got == ["one "]
    got = []
    with pytest.raises(httpx.RemoteProtocolError):
        async for p in await client.chat(model="m", messages=MSGS, stream=True):
            got.append(p.message.content)
    assert got == ["one ", "two ", "three "]
    assert len(llm.chat_requests()) == 2


async def test_hang_release_and_prompt_stop(opened: list) -> None:
    fake = FakeLLM()
    await fake.start()
    fake.fail("hang")
    fake.fail("hang_after_headers")
    client = _ollama(opened, fake.url, timeout=0.2)
    with pytest.raises(httpx.ReadTimeout):
        await client.chat(model="m", messages=MSGS)
    client = _ollama(opened, fake.url, timeout=5)
    task = asyncio.ensure_future(client.chat(model="m", messages=MSGS, stream=True))
    stream = await asyncio.wait_for(task, 1)  # headers arrived
    pending = asyncio.ensure_future(stream.__anext__())
    await asyncio.sleep(0.05)
    assert not pending.done()
    fake.release()
    with pytest.raises(httpx.RemoteProtocolError):
        await asyncio.wait_for(pending, 1)
    fake.fail("hang")
    hanging = asyncio.ensure_future(client.chat(model="m", messages=MSGS))
    await fake.wait_requests(3)
    started = time.monotonic()
    await fake.stop()
    assert time.monotonic() - started < 1.0
    with pytest.raises(httpx.HTTPError):
        await hanging


async def test_client_disconnect_mid_stream(llm: FakeLLM, opened: list) -> None:
    llm.token_delay = 0.02
    llm.reply("a b c d e f g h i j")
    client = _ollama(opened, llm.url)
    stream = await client.chat(model="m", messages=MSGS, stream=True)
    async for _ in stream:
        break
    await stream.aclose()
    llm.token_delay = 0
    assert (await client.chat(model="m", messages=MSGS)).message.content == "echo: hi there"


async def test_refusing_url(opened: list) -> None:
    client = _ollama(opened, FakeLLM.refusing_url())
    with pytest.raises((httpx.ConnectError, ConnectionError)):
        await client.chat(model="m", messages=MSGS)


# -- FakeLLM: OpenAI ---------------------------------------------------------


async def test_openai_stream_with_usage(llm: FakeLLM, opened: list) -> None:
    llm.reply("Добрий день, пані!")
    client = _openai(opened, llm)
    stream = await client.chat.completions.create(
        model="gpt-4o-mini", messages=MSGS, stream=True, stream_options={"include_usage": True}
    )
    text, usage, finish = "", None, None
    async for chunk in stream:
        if chunk.choices:
            text += chunk.choices[0].delta.content or ""
            finish = chunk.choices[0].finish_reason or finish
        if chunk.usage:
            usage = chunk.usage
    assert text == "Добрий день, пані!" and finish == "stop"
    assert usage is not None and usage.completion_tokens == 3 and usage.prompt_tokens == 4
    assert usage.total_tokens == 7
    assert llm.chat_requests()[0].headers["Authorization"] == "Bearer x"


async def test_openai_non_stream_models_embeddings(llm: FakeLLM, opened: list) -> None:
    client = _openai(opened, llm)
    resp = await client.chat.completions.create(model="x", messages=MSGS)
    assert resp.choices[0].message.content == "echo: hi there"
    assert resp.usage and resp.usage.completion_tokens == 3
    ids = [m.id async for m in client.models.list()]
    assert "gpt-4o-mini" in ids
    emb = await client.embeddings.create(model="bge-m3", input=["a", "b"])
    assert emb.data[1].embedding == pytest.approx(fake_embedding("b"), abs=1e-6)
    emb = await client.embeddings.create(model="bge-m3", input="a", encoding_format="float")
    assert emb.data[0].embedding == fake_embedding("a")


@pytest.mark.parametrize(
    ("mode", "exc"),
    [
        ("500", openai.InternalServerError),
        ("429", openai.RateLimitError),
        ("not_found", openai.NotFoundError),
    ],
)
async def test_openai_http_failures(llm: FakeLLM, mode: str, exc: type[Exception], opened: list) -> None:
    llm.fail(mode, retry_after=5)
    with pytest.raises(exc) as err:
        await _openai(opened, llm).chat.completions.create(model="x", messages=MSGS, stream=True)
    if mode == "429":
        assert err.value.response.headers["retry-after"] == "5"


async def test_openai_error_line_cut_and_hang(llm: FakeLLM, opened: list) -> None:
    llm.reply("one two three")
    llm.fail("error_line")
    llm.fail("cut", after_tokens=2)
    client = _openai(opened, llm)
    got: list[str] = []
    with pytest.raises(openai.APIError, match="model crashed"):
        async for chunk in await client.chat.completions.create(model="x", messages=MSGS, stream=True):
            got.append(chunk.choices[0].delta.content or "")
    assert got == ["one "]
    got = []
    with pytest.raises((httpx.RemoteProtocolError, openai.APIError)):
        async for chunk in await client.chat.completions.create(model="x", messages=MSGS, stream=True):
            got.append(chunk.choices[0].delta.content or "")
    assert got == ["one ", "two "]
    llm.fail("hang")
    quick = _openai(opened, llm, timeout=0.2)
    with pytest.raises(openai.APITimeoutError):
        await quick.chat.completions.create(model="x", messages=MSGS, stream=True)
    llm.release()


# -- ScriptedProvider ----------------------------------------------------------


async def test_scripted_provider() -> None:
    cut = StreamCut("broke", partial="half way ")
    p = ScriptedProvider("local", replies=["Hi there friend", ProviderUnavailable("down"), cut])
    req = ChatRequest(messages=(ChatMessage("user", "hello you"),))
    deltas = [d async for d in p.stream("m1", req)]
    assert "".join(d.text for d in deltas) == "Hi there friend"
    last = deltas[-1]
    assert last.usage and last.usage.tokens_out == 3 and last.usage.tokens_in == 2
    assert last.provider == "local" and last.model == "m1"
    with pytest.raises(ProviderUnavailable):
        async for _ in p.stream("m1", req):
            pass
    got: list[str] = []
    with pytest.raises(StreamCut):
        async for d in p.stream("m1", req):
            got.append(d.text)
    assert "".join(got) == "half way "
    deltas = [d async for d in p.stream("m2", req)]
    assert "".join(d.text for d in deltas) == "echo: hello you"
    assert [m for m, _ in p.calls] == ["m1", "m1", "m1", "m2"]
    await p.aclose()
