"""The shipped test fakes speak their protocols well enough for the official clients."""
from __future__ import annotations

import asyncio
import time

import aiohttp
import httpx
import ollama
import openai
import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramUnauthorizedError,
)
from aiogram.types import MessageEntity

from bot.testing import FakeTelegram
from router.errors import ProviderUnavailable, StreamCut
from router.testing import FakeLLM, ScriptedProvider, fake_embedding, tokenize
from router.types import ChatMessage, ChatRequest
from tests.conftest import API_TOKEN as TOKEN

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
        assert err.value.response.headers["retry-after"] == "5"  # type: ignore[attr-defined]


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


# -- FakeTelegram ----------------------------------------------------------------


async def test_telegram_send_edit_draft(tg: FakeTelegram, bot: Bot) -> None:
    me = await bot.get_me()
    assert me.id == 123456 and me.username == "dagi_bot" and me.is_bot
    ent = [MessageEntity(type="bold", offset=0, length=5)]
    msg = await bot.send_message(chat_id=42, text="Hello world", entities=ent, message_thread_id=None)
    assert msg.message_id == 1 and msg.chat.id == 42 and msg.entities and msg.entities[0].type == "bold"
    assert msg.from_user and msg.from_user.id == 123456
    call = tg.calls_of("sendMessage", chat_id=42)[0]
    assert call.params["entities"] == [{"type": "bold", "offset": 0, "length": 5}]
    assert isinstance(call.params["text"], str)
    num = await bot.send_message(chat_id=42, text="12345")
    assert num.text == "12345" and tg.calls_of("sendMessage")[-1].params["text"] == "12345"
    edited = await bot.edit_message_text(text="Hello there", chat_id=42, message_id=msg.message_id)
    assert not isinstance(edited, bool) and edited.text == "Hello there" and edited.edit_date
    with pytest.raises(TelegramBadRequest, match="not modified"):
        await bot.edit_message_text(text="Hello there", chat_id=42, message_id=msg.message_id)
    assert await bot.send_message_draft(chat_id=42, draft_id=7, text="Hel")
    assert tg.calls_of("sendMessageDraft")[0].params["draft_id"] == 7
    assert tg.sent_texts(42) == ["Hello world", "12345"]
    assert [m["text"] for m in tg.messages(42)] == ["Hello there", "12345"]
    assert tg.messages(42)[0].get("entities") is None
    assert await bot.delete_message(chat_id=42, message_id=2)
    assert len(tg.messages(42)) == 1


async def test_telegram_failures(tg: FakeTelegram, bot: Bot) -> None:
    tg.fail_next("sendMessage", "429", retry_after=3)
    with pytest.raises(TelegramRetryAfter) as err:
        await bot.send_message(chat_id=1, text="x")
    assert err.value.retry_after == 3
    tg.fail_next("sendMessage", "bad_entities")
    plain = await bot.send_message(chat_id=1, text="plain passes")
    assert plain.text == "plain passes"
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.send_message(chat_id=1, text="*x", parse_mode="MarkdownV2")
    tg.fail_next("sendMessageDraft", "not_found")
    with pytest.raises(TelegramNotFound):
        await bot.send_message_draft(chat_id=1, draft_id=1, text="x")
    tg.fail_next("sendChatAction", "error")
    with pytest.raises(TelegramBadRequest):
        await bot.send_chat_action(chat_id=1, action="typing")
    assert tg.sent_texts(1) == ["plain passes"]
    stranger = Bot("999:zzz", session=AiohttpSession(api=TelegramAPIServer.from_base(tg.url)))
    with pytest.raises(TelegramUnauthorizedError):
        await stranger.get_me()
    await stranger.session.close()
    with pytest.raises(AssertionError, match="sendMessage"):
        await tg.wait_for(lambda: False, timeout=0.05)


async def test_telegram_updates(tg: FakeTelegram, bot: Bot) -> None:
    first = tg.send_text(TOKEN, chat_id=5, user_id=5, text="/start@dagi_bot hi")
    second = tg.send_text(
        TOKEN, chat_id=-100, user_id=5, text="@dagi_bot 🙂 @other_user?", chat_type="supergroup", thread_id=9
    )
    assert tg.pending_updates(TOKEN) == 2
    updates = await bot.get_updates()
    assert [u.update_id for u in updates] == [first, second]
    m1, m2 = updates[0].message, updates[1].message
    assert m1 and m1.text == "/start@dagi_bot hi" and m1.chat.type == "private"
    assert m1.entities and [(e.type, e.offset, e.length) for e in m1.entities] == [("bot_command", 0, 15)]
    assert m2 and m2.message_thread_id == 9 and m2.is_topic_message and m2.chat.is_forum
    assert m2.chat.title and m2.from_user and m2.from_user.language_code == "uk"
    # The emoji is two UTF-16 code units, which shifts the second mention's offset.
    assert m2.entities and [(e.type, e.offset, e.length) for e in m2.entities] == [
        ("mention", 0, 9),
        ("mention", 13, 11),
    ]
    assert await bot.get_updates(offset=second + 1) == []
    assert tg.pending_updates(TOKEN) == 0

    sent = await bot.send_message(chat_id=5, text="pick one", reply_markup={
        "inline_keyboard": [[{"text": "A", "callback_data": "a"}]]
    })
    assert sent.reply_markup and sent.reply_markup.inline_keyboard[0][0].callback_data == "a"
    reply = tg.send_text(TOKEN, chat_id=5, user_id=5, text="thanks", reply_to_bot_message=sent.message_id)
    press = tg.press_button(TOKEN, chat_id=5, user_id=5, message_id=sent.message_id, data="a")
    raw = tg.push_raw(TOKEN, {"edited_message": {
        "message_id": 1, "date": 1, "edit_date": 2, "chat": {"id": 5, "type": "private"}, "text": "edited",
    }})
    updates = await bot.get_updates(offset=reply, limit=2)
    assert [u.update_id for u in updates] == [reply, press]
    rt = updates[0].message and updates[0].message.reply_to_message
    assert rt and rt.message_id == sent.message_id and rt.text == "pick one"
    cq = updates[1].callback_query
    assert cq and cq.data == "a" and cq.message and cq.message.message_id == sent.message_id
    assert await bot.answer_callback_query(cq.id)
    updates = await bot.get_updates(offset=raw)
    assert updates[0].edited_message and updates[0].edited_message.text == "edited"


async def test_telegram_long_poll_and_files(tg: FakeTelegram, bot: Bot) -> None:
    async def later() -> None:
        await asyncio.sleep(0.1)
        tg.send_text(TOKEN, chat_id=1, user_id=1, text="wake up")

    started = time.monotonic()
    asyncio.ensure_future(later())
    updates = await bot.get_updates(timeout=5)
    assert len(updates) == 1 and time.monotonic() - started < 2
    assert await bot.delete_webhook()
    assert await bot.set_my_commands([{"command": "start", "description": "Start"}])  # type: ignore[list-item]
    assert (await bot.get_my_commands())[0].command == "start"
    tg.add_file(TOKEN, "f1", b"\x89PNG data", "photos/file_1.jpg")
    f = await bot.get_file("f1")
    assert f.file_path == "photos/file_1.jpg" and f.file_size == 9
    data = await bot.download_file(f.file_path)
    assert data is not None and data.read() == b"\x89PNG data"
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{tg.url}/bot{TOKEN}/sendMessage", json={"chat_id": 3, "text": "json"}) as r:
            body = await r.json()
        async with http.post(f"{tg.url}/bot{TOKEN}/someNewMethod", data={"x": "1"}) as r:
            assert (await r.json()) == {"ok": True, "result": True}
    assert body["ok"] and body["result"]["text"] == "json"
    assert tg.calls_of("someNewMethod")[0].params == {"x": 1}


async def test_telegram_with_dispatcher_polling(tg: FakeTelegram, bot: Bot) -> None:
    from aiogram import Dispatcher
    from aiogram.filters import CommandStart
    from aiogram.types import Message

    dp = Dispatcher()

    @dp.message(CommandStart())
    async def start(message: Message) -> None:
        await message.answer("welcome")

    @dp.message()
    async def echo(message: Message) -> None:
        await message.reply(f"got {message.text}")

    polling = asyncio.ensure_future(dp.start_polling(bot, handle_signals=False, polling_timeout=1))
    tg.send_text(TOKEN, chat_id=77, user_id=77, text="/start")
    tg.send_text(TOKEN, chat_id=77, user_id=77, text="hello")
    await tg.wait_for(lambda: len(tg.sent_texts(77)) == 2, timeout=3)
    assert tg.sent_texts(77) == ["welcome", "got hello"]
    assert tg.messages(77)[1]["reply_to_message"]["text"] == "hello"
    await dp.stop_polling()
    await asyncio.wait_for(polling, 3)
