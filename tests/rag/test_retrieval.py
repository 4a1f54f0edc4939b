"""What decides which passages a question gets: the dense threshold, and the local model's rewrite when none pass."""
from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from base import ConfigError
from rag import expand, languages
from rag.index import KnowledgeIndex
from rag.knowledge import Asker, KnowledgeBase, chat_scope
from rag.settings import KnowledgeSettings
from router.core import ModelRouter
from router.providers.ollama import OllamaProvider
from router.providers.openai_compat import OpenAICompatProvider
from router.testing import FakeLLM, fake_embedding
from router.types import Target
from storage.documents import DocumentRegistry
from storage.store import open_store

DIM = 64
SCOPE = chat_scope("main", 100)
DOC = "Тариф ENERGY для кооперативів становить 4,2 гривні за кіловат-годину з першого січня.".encode()
ENGLISH = "How much do cooperatives pay per kilowatt hour?"  # no word of the document's


def cosine(a: str, b: str) -> float:
    return sum(x * y for x, y in zip(fake_embedding(a, DIM), fake_embedding(b, DIM), strict=True))


async def base(tmp: Path, router: ModelRouter, **settings: object) -> AsyncIterator[KnowledgeBase]:
    store = await open_store(f"sqlite:///{tmp}/kb.db")
    index = KnowledgeIndex.open(path=str(tmp / "kb"), dense_dim=DIM, dense_model="ollama:bge-m3")
    kb = KnowledgeBase(index, DocumentRegistry(store.db), router, KnowledgeSettings(embed_dim=DIM, **settings))
    await kb.start()
    await kb.ingest(DOC, "tariffs.txt", None, scope=SCOPE, asker=Asker())
    try:
        yield kb
    finally:
        await kb.close()
        await router.aclose()
        await store.close()


def local_router(llm: FakeLLM, chat: list[Target] | None = None, **cloud: str) -> ModelRouter:
    providers: dict = {"ollama": OllamaProvider("ollama", llm.url, local=True)}
    if cloud:
        providers["cloud"] = OpenAICompatProvider("cloud", llm.openai_url, "sk-test", local=False)
    return ModelRouter(providers, {"chat": chat or [Target("ollama", "qwen3:8b")],
                                   "embed": [Target("ollama", "bge-m3")]})


@pytest.fixture
async def fake() -> AsyncIterator[FakeLLM]:
    models = {"qwen3:8b": {"capabilities": ["completion"]}, "bge-m3": {"capabilities": ["embedding"], "dim": DIM},
              "gpt-4o-mini": {"capabilities": ["completion"]}}
    async with FakeLLM(models=models) as llm:
        yield llm


async def test_the_dense_threshold_alone_decides_passages_the_words_miss(tmp_path: Path, fake: FakeLLM) -> None:
    question = "тариф на світло в селі"  # one word of five in the document: the words' gate (0.5) misses it
    close = cosine(question, DOC.decode())
    assert 0.05 < close < 0.5
    for dense_threshold, kept in ((close - 0.05, True), (close + 0.05, False), (None, False)):
        async for kb in base(tmp_path / str(dense_threshold), local_router(fake), dense_threshold=dense_threshold):
            found = await kb.search(question, [SCOPE], Asker())
            assert bool(found) is kept, dense_threshold
            if found:
                assert found[0].file_name == "tariffs.txt"


def test_kb_dense_threshold_and_kb_expand_are_read_from_the_environment(tmp_path: Path) -> None:
    env = {"KB_DENSE_THRESHOLD": "0.62", "KB_EXPAND": "true"}
    settings = KnowledgeSettings.from_env(env, tmp_path)
    assert settings.dense_threshold == 0.62 and settings.expand
    default = KnowledgeSettings.from_env({}, tmp_path)
    assert default.dense_threshold is None and not default.expand  # the words' threshold serves both, as before
    with pytest.raises(ConfigError, match="KB_DENSE_THRESHOLD"):
        KnowledgeSettings.from_env({"KB_DENSE_THRESHOLD": "1.5"}, tmp_path)


async def test_a_question_finding_nothing_is_rewritten_by_the_local_model(tmp_path: Path, fake: FakeLLM) -> None:
    fake.reply("тариф ENERGY для кооперативів | cooperative energy tariff")
    async for kb in base(tmp_path, local_router(fake), expand=True, dense_threshold=0.99):
        found = await kb.search(ENGLISH, [SCOPE], Asker(user_id=7, chat_id=100))
        assert [p.file_name for p in found] == ["tariffs.txt"]
        (asked,) = fake.chat_requests()
        assert asked.path == "/api/chat" and asked.json is not None
        assert asked.json["messages"][-1]["content"] == ENGLISH


async def test_no_rewrite_when_the_first_search_found_passages(tmp_path: Path, fake: FakeLLM) -> None:
    async for kb in base(tmp_path, local_router(fake), expand=True):
        assert await kb.search("тариф ENERGY для кооперативів", [SCOPE], Asker())
        assert fake.chat_requests() == []


async def test_no_rewrite_unless_kb_expand_is_set(tmp_path: Path, fake: FakeLLM) -> None:
    async for kb in base(tmp_path, local_router(fake), dense_threshold=0.99):
        assert await kb.search(ENGLISH, [SCOPE], Asker()) == []
        assert fake.chat_requests() == []


async def test_the_rewrite_never_goes_to_a_cloud_model(tmp_path: Path, fake: FakeLLM) -> None:
    fake.reply("тариф ENERGY для кооперативів | cooperative energy tariff")
    cloud_first = [Target("cloud", "gpt-4o-mini"), Target("ollama", "qwen3:8b")]
    async for kb in base(tmp_path / "both", local_router(fake, cloud_first, cloud="yes"), expand=True,
                         dense_threshold=0.99):
        assert await kb.search(ENGLISH, [SCOPE], Asker())  # the chat is not local-only; the rewrite is anyway
        assert [r.path for r in fake.chat_requests()] == ["/api/chat"]
    async for kb in base(tmp_path / "cloud", local_router(fake, [Target("cloud", "gpt-4o-mini")], cloud="yes"),
                         expand=True, dense_threshold=0.99):
        assert await kb.search(ENGLISH, [SCOPE], Asker()) == []  # no local model: no rewrite, no passage
        assert [r.path for r in fake.chat_requests()] == ["/api/chat"]  # still only the one above


def test_the_reply_gives_at_most_two_queries_other_than_the_question() -> None:
    assert expand.queries(" тариф кооперативів | cooperative tariff\nmore text", "q") == [
        "тариф кооперативів", "cooperative tariff"]
    assert expand.queries("Q | «a» | b | c", "q") == ["a", "b"]
    assert expand.queries("", "q") == []


async def test_an_english_only_embedder_never_decides_for_a_ukrainian_question(tmp_path: Path, fake: FakeLLM) -> None:
    # No word of the document's in either question; the fake model's cosine (0.25 each) is what an English-only
    # model gives Ukrainian text: noise. With KB_DENSE_LANGUAGES=en only the English question may lean on it.
    ukrainian, english = "скільки платять за електрику в селі", "how much is electricity"
    assert cosine(ukrainian, DOC.decode()) > 0.2 and cosine(english, DOC.decode()) > 0.2
    async for kb in base(tmp_path / "all", local_router(fake), dense_threshold=0.2):
        assert await kb.search(ukrainian, [SCOPE], Asker())  # a multilingual model (the default, all) is trusted
    async for kb in base(tmp_path / "en", local_router(fake), dense_threshold=0.2, dense_languages="en"):
        asked = len(fake.embed_requests())
        assert await kb.search(ukrainian, [SCOPE], Asker()) == []
        assert len(fake.embed_requests()) == asked  # not even embedded: no call, no noise
        assert [p.file_name for p in await kb.search(english, [SCOPE], Asker())] == ["tariffs.txt"]
        assert len(fake.embed_requests()) == asked + 1
        # Words still find what they match, in any language.
        assert [p.file_name for p in await kb.search("тариф для кооперативів", [SCOPE], Asker())] == ["tariffs.txt"]


def test_kb_dense_languages_is_read_from_the_environment(tmp_path: Path) -> None:
    assert KnowledgeSettings.from_env({"KB_DENSE_LANGUAGES": "EN, de"}, tmp_path).dense_languages == ("en", "de")
    assert KnowledgeSettings.from_env({}, tmp_path).dense_languages == ("all",)  # bge-m3 reads them all
    with pytest.raises(ConfigError, match="KB_DENSE_LANGUAGES: .*english"):
        KnowledgeSettings.from_env({"KB_DENSE_LANGUAGES": "english"}, tmp_path)


@pytest.mark.parametrize(("question", "reads"), [
    ("Хто був герцогом під час битви при Гастінгсі?", False),
    ("Who was the duke at Hastings?", True),
    ("Wer war Herzog bei Hastings?", True),  # by script: an English-only model still gets German
    ("Sky Digital запустили у 1998 році", False),  # most letters Cyrillic
    ("1998?", True),  # no letters: nothing to misread
    ("東京の天気", False),
])
def test_which_questions_an_english_only_model_reads(question: str, reads: bool) -> None:
    assert languages.reads(("en",), question) is reads
    assert languages.reads(("all",), question)


def test_dbsf_scores_a_list_of_equal_scores_at_the_middle_whatever_their_float_rounding() -> None:
    from rag.relevance import dbsf

    for score in (5.53590523948281, 14.955527, 0.1, 1 / 3):  # 3 × 5.5359… averages one float step off itself
        fused = dbsf([[("a", score), ("b", score), ("c", score)], [("a", 0.9), ("d", 0.2)]])
        assert (fused["b"], fused["c"]) == (0.5, 0.5), score
        assert fused["a"] > fused["d"]
