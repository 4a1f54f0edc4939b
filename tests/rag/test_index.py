"""rag.index on both engines, real (folders under tmp_path): layout, search kinds, isolation, gate.

"edge" is the embedded default (Qdrant Edge); "client" is qdrant-client, the Qdrant server's code path, run
against its local mode since tests have no server.
"""
from __future__ import annotations

import asyncio
import json
import math
import threading
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import qdrant_edge as qe
from qdrant_client import AsyncQdrantClient, models

from rag import sparse
from rag.edge_store import EdgeStore
from rag.index import COLLECTION, IndexMismatch, KnowledgeIndex
from rag.qdrant_store import QdrantStore
from rag.types import Chunk

DIM = 4
CHAT_A, CHAT_B, AGENT = "chat:main:100:0", "chat:main:200:0", "agent:helion"


def unit(*xs: float) -> list[float]:
    """A DIM-dimensional unit vector from its leading components."""
    v = [*xs, *([0.0] * (DIM - len(xs)))]
    n = math.sqrt(sum(x * x for x in v))
    return [x / n for x in v]


def chunks(*texts: str) -> list[Chunk]:
    return [Chunk(t, page=i + 1, index=i) for i, t in enumerate(texts)]


class RecordingClient(AsyncQdrantClient):
    """The real local client, noting the payload indexes asked for (local mode keeps none to show) and threads."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.indexed: dict[str, Any] = {}
        self.threads: set[str] = set()

    async def query_batch_points(self, *args: Any, **kwargs: Any) -> Any:
        self.threads.add(threading.current_thread().name)
        return await super().query_batch_points(*args, **kwargs)

    async def create_payload_index(self, collection_name: str, field_name: str, field_schema: Any = None,
                                   **kwargs: Any) -> Any:
        self.indexed[field_name] = field_schema
        return await super().create_payload_index(collection_name, field_name, field_schema=field_schema, **kwargs)


def opened(engine: str, path: Path, dense_dim: int | None = DIM, dense_model: str = "") -> KnowledgeIndex:
    """An index on one engine: the embedded default (Edge) or qdrant-client (a server's path; local mode here)."""
    if engine == "edge":
        return KnowledgeIndex.open(path=str(path), dense_dim=dense_dim, dense_model=dense_model)
    store = QdrantStore(AsyncQdrantClient(path=str(path)))
    return KnowledgeIndex(store, dense_dim=dense_dim, dense_model=dense_model)


@pytest.fixture(params=["edge", "client"])
def engine(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def kb(tmp_path: Path, engine: str) -> AsyncIterator[KnowledgeIndex]:
    index = opened(engine, tmp_path / "q", dense_model="test-embed")
    await index.ensure()
    yield index
    await index.close()


async def test_ensure_creates_the_collection_vectors_marker_and_payload_indexes(tmp_path: Path) -> None:
    client = RecordingClient(path=str(tmp_path / "q"))
    index = KnowledgeIndex(QdrantStore(client), dense_dim=DIM, dense_model="test-embed")
    await index.ensure()
    info = await client.get_collection(COLLECTION)
    assert info.config.params.vectors["dense"].size == DIM
    assert info.config.params.vectors["dense"].distance == models.Distance.COSINE
    assert info.config.params.sparse_vectors["bm25"].modifier == models.Modifier.IDF
    assert info.config.metadata == {"dense_dim": DIM, "dense_model": "test-embed", "sparse": sparse.VERSION}
    assert {f: s.type for f, s in client.indexed.items()} == {"scope": "keyword", "doc_id": "keyword"}
    assert client.indexed["scope"].is_tenant is True
    await index.ensure()  # a second start finds the collection and keeps it
    assert await index.count() == 0
    await index.close()


async def test_the_embedded_shard_has_both_vectors_the_marker_and_keyword_indexes(tmp_path: Path) -> None:
    index = KnowledgeIndex.open(path=str(tmp_path / "kb"), dense_dim=DIM, dense_model="test-embed")
    await index.ensure()
    await index.add(scope=CHAT_A, doc_id="d", file_name="f", chunks=chunks("сад"), dense=[unit(1)])
    await index.close()
    assert json.loads((tmp_path / "kb" / "dagi_kb.json").read_text()) == {
        "dense_dim": DIM, "dense_model": "test-embed", "sparse": sparse.VERSION}
    shard = qe.EdgeShard.load(str(tmp_path / "kb"))
    schema = shard.info().payload_schema
    assert {f: schema[f].data_type for f in schema} == {"scope": qe.PayloadSchemaType.Keyword,
                                                       "doc_id": qe.PayloadSchemaType.Keyword}
    assert shard.info().points_count == 1
    shard.close()


async def test_sparse_only_collection_has_no_dense_vector(tmp_path: Path, engine: str) -> None:
    index = opened(engine, tmp_path / "q", dense_dim=None)
    await index.ensure()
    await index.add(scope=CHAT_A, doc_id="d", file_name="f.txt", chunks=chunks("сонячні панелі"), dense=None)
    assert [p.text for p in await index.search("панель", scopes=[CHAT_A], dense=unit(1))] == ["сонячні панелі"]
    with pytest.raises(ValueError, match="dense"):
        await index.add(scope=CHAT_A, doc_id="d", file_name="f", chunks=chunks("x"), dense=[unit(1)])
    [[row]] = [rows async for rows in index.rows(vectors=True)]
    assert row.dense is None and row.sparse.indices
    await index.close()


@pytest.mark.parametrize(
    ("dim", "model", "named"),
    [(8, "test-embed", "dense size 4, the model gives 8"), (DIM, "other-embed", "built with 'test-embed'")],
)
async def test_reopening_for_another_model_names_the_fix(tmp_path: Path, engine: str, dim: int, model: str,
                                                         named: str) -> None:
    first = opened(engine, tmp_path / "q", dense_dim=DIM, dense_model="test-embed")
    await first.ensure()
    await first.close()
    again = opened(engine, tmp_path / "q", dense_dim=dim, dense_model=model)
    with pytest.raises(IndexMismatch, match="python -m rag reindex") as caught:
        await again.ensure()
    assert named in str(caught.value)
    await again.close()


async def test_a_sparse_only_collection_refuses_a_dense_model_but_any_collection_serves_words(
        tmp_path: Path, engine: str) -> None:
    words_only = opened(engine, tmp_path / "q", dense_dim=None)
    await words_only.ensure()
    await words_only.close()
    dense = opened(engine, tmp_path / "q", dense_dim=DIM)
    with pytest.raises(IndexMismatch, match="dense size None"):
        await dense.ensure()
    await dense.close()
    other = tmp_path / "other"
    built = opened(engine, other, dense_dim=DIM, dense_model="m")
    await built.ensure()
    await built.close()
    down = opened(engine, other, dense_dim=None)  # embedding model unreachable: words still work
    await down.ensure()
    await down.close()


async def test_a_collection_from_another_tokenizer_is_rebuilt_at_open_keeping_its_dense_vectors(
        tmp_path: Path, engine: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as old:  # an older release: another tokenizer, another version
        old.setattr(sparse, "VERSION", "bm25-prefix6-v9")
        old.setattr(sparse, "doc_vector", lambda text, **kw: sparse.SparseVector((7,), (1.0,)))
        first = opened(engine, tmp_path / "q", dense_dim=DIM)
        await first.ensure()
        await first.add(scope=CHAT_A, doc_id="d", file_name="f.txt", chunks=chunks("сонячні панелі", "вітрові турбіни"),
                        dense=[unit(1, 0), unit(0, 1)])
        await first.close()
    upgraded = opened(engine, tmp_path / "q", dense_dim=DIM)
    await upgraded.ensure()  # the upgraded bot starts, no operator step
    try:
        assert [p.text for p in await upgraded.search("панель", scopes=[CHAT_A])] == ["сонячні панелі"]
        assert (await upgraded.search("", scopes=[CHAT_A], dense=unit(0, 1)))[0].text == "вітрові турбіни"
    finally:
        await upgraded.close()
    again = opened(engine, tmp_path / "q", dense_dim=DIM)
    assert await again.store.check(DIM, "") is False, "rebuilt once: the marker now names this tokenizer"
    await again.close()


async def test_a_collection_another_embedding_size_built_is_refused_with_the_fix(tmp_path: Path, engine: str) -> None:
    first = opened(engine, tmp_path / "q", dense_dim=DIM)
    await first.ensure()
    await first.close()
    again = opened(engine, tmp_path / "q", dense_dim=DIM * 2)
    with pytest.raises(IndexMismatch, match="python -m rag reindex"):
        await again.ensure()
    await again.close()


async def test_add_then_sparse_search_finds_the_chunk_across_inflections(kb: KnowledgeIndex) -> None:
    written = await kb.add(scope=CHAT_A, doc_id="energy", file_name="energy.pdf", dense=None, chunks=chunks(
        "Енергетика України спирається на атомні станції.",
        "Сонячні панелі встановлюють на дахах будинків.",
        "Вітрові турбіни працюють на узбережжі.",
    ))
    assert written == 3 and await kb.count([CHAT_A]) == 3
    found = await kb.search("Де встановлюють сонячну панель?", scopes=[CHAT_A])
    top = found[0]
    assert (top.text, top.file_name, top.page, top.chunk_index, top.doc_id, top.scope) == (
        "Сонячні панелі встановлюють на дахах будинків.", "energy.pdf", 2, 1, "energy", CHAT_A)
    assert (await kb.search("розвиток енергетики", scopes=[CHAT_A]))[0].chunk_index == 0


async def test_idf_from_qdrant_makes_a_rare_word_outweigh_a_common_one(kb: KnowledgeIndex) -> None:
    common = [f"звіт номер {i} про бюджет" for i in range(8)]
    await kb.add(scope=CHAT_A, doc_id="d", file_name="f", dense=None,
                 chunks=chunks(*common, "бюджет бюджет бюджет", "звіт про геотермальні джерела"))
    found = await kb.search("бюджет геотермальні", scopes=[CHAT_A])
    assert found[0].text == "звіт про геотермальні джерела"


async def test_dense_only_search_orders_by_cosine(kb: KnowledgeIndex) -> None:
    await kb.add(scope=CHAT_A, doc_id="d", file_name="f", chunks=chunks("alpha", "beta", "gamma"),
                 dense=[unit(1, 0), unit(1, 1), unit(0, 1)])
    found = await kb.search("", scopes=[CHAT_A], dense=unit(1, 0.2))  # no words: dense only
    assert [p.text for p in found] == ["alpha", "beta", "gamma"]
    assert found[0].score == pytest.approx(sum(a * b for a, b in zip(unit(1, 0), unit(1, 0.2), strict=False)), abs=1e-6)


async def test_hybrid_ranks_first_the_chunk_both_sides_agree_on(kb: KnowledgeIndex) -> None:
    fillers = [f"filler note {i}" for i in range(8)]  # between the others by meaning, no shared word
    await kb.add(scope=CHAT_A, doc_id="d", file_name="f", chunks=chunks(
        "heat pump installation manual",  # best by words, last by meaning
        "unrelated words entirely",  # best by meaning, no shared word
        "heat pump maintenance notes",  # second on both
        *fillers,
    ), dense=[unit(0, 0, 1), unit(1, 0), unit(1, 0.3), *(unit(1, 1 + i) for i in range(8))])
    kb.dense_weight = 1.0  # equal say: the chunk both lists rank second beats each list's own favourite
    found = await kb.search("heat pump installation", scopes=[CHAT_A], dense=unit(1, 0))
    assert [p.text for p in found][:3] == [
        "heat pump maintenance notes", "heat pump installation manual", "unrelated words entirely"]
    words_only = await kb.search("heat pump installation", scopes=[CHAT_A])
    assert words_only[0].text == "heat pump installation manual"
    kb.dense_weight = 0.5  # KB_DENSE_WEIGHT lowered: a weak embedding model cannot outvote an exact match of the words
    found = await kb.search("heat pump installation", scopes=[CHAT_A], dense=unit(1, 0))
    assert found[0].text == "heat pump installation manual"


async def test_fusion_ranks_as_the_engines_own_prefetch_and_dbsf(kb: KnowledgeIndex) -> None:
    # Lengths differ, so no two chunks tie on bm25 (an engine may order tied points either way).
    texts = [f"solar panel report {i} " + "inverter " * (i % 3) + "note " * i for i in range(12)]
    vectors = [unit(1, i / 4, (i % 5) / 3) for i in range(12)]
    await kb.add(scope=CHAT_A, doc_id="d", file_name="f", chunks=chunks(*texts), dense=vectors)
    query, dense = "solar inverter", unit(1, 1, 0.2)
    kb.dense_weight = 1.0  # the engines' DBSF takes no weights: at 1.0 ours must be theirs
    ours = [p.chunk_index for p in await kb.search(query, scopes=[CHAT_A], dense=dense, limit=12)]
    assert ours == await engines_own_fusion(kb, query, dense, limit=12)


async def engines_own_fusion(kb: KnowledgeIndex, query: str, dense: list[float], limit: int) -> list[int]:
    """Chunk indexes in the order the engine's own prefetch + DBSF query ranks them."""
    qv = sparse.query_vector(query)
    if isinstance(kb.store, EdgeStore):
        flt = qe.Filter(must=[qe.FieldCondition(key="scope", match=qe.MatchAny(any=[CHAT_A]))])
        request = qe.QueryRequest(limit=limit, with_payload=True, prefetches=[
            qe.Prefetch(limit=50, filter=flt, query=qe.Query.Nearest(
                qe.SparseVector(list(qv.indices), list(qv.values)), using="bm25")),
            qe.Prefetch(limit=50, filter=flt, query=qe.Query.Nearest(dense, using="dense")),
        ], query=qe.Fusion.Dbsf())
        return [p.payload["chunk_index"] for p in await kb.store._run(lambda: kb.store._open().query(request))]
    assert isinstance(kb.store, QdrantStore)
    cond = models.Filter(must=[models.FieldCondition(key="scope", match=models.MatchAny(any=[CHAT_A]))])
    theirs = await kb.store.client.query_points(COLLECTION, limit=limit, with_payload=True, prefetch=[
        models.Prefetch(query=models.SparseVector(indices=list(qv.indices), values=list(qv.values)),
                        using="bm25", filter=cond, limit=50),
        models.Prefetch(query=dense, using="dense", filter=cond, limit=50),
    ], query=models.FusionQuery(fusion=models.Fusion.DBSF))
    return [p.payload["chunk_index"] for p in theirs.points]


async def test_a_chat_never_sees_another_chats_chunks(kb: KnowledgeIndex) -> None:
    a = "Пароль від Wi-Fi у офісі: соняшник2024. Графік роботи з 9 до 18."
    b = "Пароль від Wi-Fi у офісі: гарбуз2025. Графік роботи з 10 до 19."
    query = "пароль від Wi-Fi у офісі гарбуз2025"  # B's chunk matches better by words and by meaning
    await kb.add(scope=CHAT_A, doc_id="a", file_name="a.txt", chunks=chunks(a), dense=[unit(1, 0.1)])
    await kb.add(scope=CHAT_B, doc_id="b", file_name="b.txt", chunks=chunks(b), dense=[unit(1, 0)])
    await kb.add(scope=AGENT, doc_id="g", file_name="faq.md", chunks=chunks("Wi-Fi у офісі без пароля"),
                 dense=[unit(1, 0.5)])
    await kb.add(scope="chat:main:1000:0", doc_id="c", file_name="c.txt", chunks=chunks(b), dense=[unit(1, 0)])
    for dense in (None, unit(1, 0)):
        seen = await kb.search(query, scopes=[CHAT_A, AGENT], dense=dense, limit=10, candidates=100)
        assert sorted(p.scope for p in seen) == [AGENT, CHAT_A]
        assert not any("гарбуз" in p.text for p in seen)
        assert {p.scope for p in await kb.search(query, scopes=[CHAT_B], dense=dense)} == {CHAT_B}
    assert await kb.search(query, scopes=[], dense=unit(1, 0)) == []  # no scope, no search
    assert await kb.search(query, scopes=["chat:main:100"], dense=unit(1, 0)) == []  # no prefix matching
    assert (await kb.count([CHAT_A]), await kb.count([CHAT_B, AGENT]), await kb.count()) == (1, 2, 4)


async def test_the_same_doc_id_in_two_chats_stays_two_documents(kb: KnowledgeIndex) -> None:
    await kb.add(scope=CHAT_A, doc_id="same", file_name="a", chunks=chunks("річний звіт"), dense=None)
    await kb.add(scope=CHAT_B, doc_id="same", file_name="b", chunks=chunks("річний звіт"), dense=None)
    assert [p.file_name for p in await kb.search("звіт", scopes=[CHAT_A])] == ["a"]
    assert [p.file_name for p in await kb.search("звіт", scopes=[CHAT_B])] == ["b"]


async def test_delete_removes_only_that_documents_points(kb: KnowledgeIndex) -> None:
    await kb.add(scope=CHAT_A, doc_id="old", file_name="old.txt", chunks=chunks("тариф на світло", "тариф на газ"),
                 dense=[unit(1), unit(1, 1)])
    await kb.add(scope=CHAT_A, doc_id="new", file_name="new.txt", chunks=chunks("тариф на воду"), dense=[unit(0, 1)])
    await kb.delete("old")
    assert [p.doc_id for p in await kb.search("тариф", scopes=[CHAT_A], dense=unit(1))] == ["new"]
    assert await kb.count([CHAT_A]) == 1


async def test_adding_a_document_again_with_fewer_chunks_drops_the_old_tail(kb: KnowledgeIndex) -> None:
    await kb.add(scope=CHAT_A, doc_id="d", file_name="f", chunks=chunks("один", "два", "три"), dense=None)
    await kb.add(scope=CHAT_B, doc_id="d", file_name="f", chunks=chunks("чотири"), dense=None)
    await kb.add(scope=CHAT_A, doc_id="d", file_name="f", chunks=chunks("один"), dense=None)
    assert (await kb.count([CHAT_A]), await kb.count([CHAT_B])) == (1, 1)


async def test_threshold_drops_unrelated_queries(kb: KnowledgeIndex) -> None:
    await kb.add(scope=CHAT_A, doc_id="d", file_name="f", dense=None, chunks=chunks(
        "Теплові насоси взимку працюють ефективно до мінус двадцяти градусів.",
        "Гарантія на котел становить п'ять років.",
    ))
    assert await kb.search("рецепт борщу з пампушками", scopes=[CHAT_A], threshold=0.5) == []
    assert await kb.search("who won the match yesterday", scopes=[CHAT_A]) == []  # no shared word: nothing at all
    found = await kb.search("Яка гарантія на котел?", scopes=[CHAT_A], threshold=0.5)
    assert [p.chunk_index for p in found] == [1] and found[0].score == 1.0  # every content word is in it
    partly = await kb.search("гарантія на бойлер", scopes=[CHAT_A])  # one of two words
    assert partly[0].score == 0.5
    assert await kb.search("гарантія на бойлер", scopes=[CHAT_A], threshold=0.6) == []


async def test_dense_evidence_admits_a_paraphrase_with_its_own_threshold(kb: KnowledgeIndex) -> None:
    await kb.add(scope=CHAT_A, doc_id="d", file_name="f", chunks=chunks("Гарантія на котел п'ять років.", "Інше."),
                 dense=[unit(1, 0.2), unit(0, 1)])
    query, close = "скільки служить обладнання", unit(1, 0.25)  # no shared word, close in meaning
    found = await kb.search(query, scopes=[CHAT_A], dense=close, threshold=0.5, dense_threshold=0.9)
    assert [p.chunk_index for p in found] == [0] and found[0].score > 0.9
    assert await kb.search(query, scopes=[CHAT_A], dense=close, threshold=0.5, dense_threshold=0.999) == []
    assert len(await kb.search(query, scopes=[CHAT_A], dense=close)) == 2  # no threshold: every candidate


async def test_dense_vectors_must_fit_the_model(kb: KnowledgeIndex) -> None:
    with pytest.raises(ValueError, match="4-dim"):
        await kb.add(scope=CHAT_A, doc_id="d", file_name="f", chunks=chunks("a", "b"), dense=[unit(1)])
    with pytest.raises(ValueError, match="4-dim"):
        await kb.add(scope=CHAT_A, doc_id="d", file_name="f", chunks=chunks("a"), dense=[[1.0, 0.0]])
    with pytest.raises(ValueError, match="non-empty"):
        await kb.add(scope="", doc_id="d", file_name="f", chunks=chunks("a"), dense=None)


async def test_concurrent_adds_and_searches_are_served_one_at_a_time(kb: KnowledgeIndex) -> None:
    async def add(i: int) -> int:
        return await kb.add(scope=CHAT_A, doc_id=f"d{i}", file_name="f", chunks=chunks(f"документ номер {i} про сад"),
                            dense=[unit(1, i)])

    async def search(i: int) -> Sequence[object]:
        return await kb.search("сад", scopes=[CHAT_A], dense=unit(1, i))

    await asyncio.gather(*(f(i) for i in range(20) for f in (add, search)))
    assert await kb.count([CHAT_A]) == 20
    assert len(await kb.search("документ про сад", scopes=[CHAT_A], limit=50)) == 20


async def test_the_client_engine_searches_off_the_event_loop_thread(tmp_path: Path) -> None:
    client = RecordingClient(path=str(tmp_path / "q"))
    index = KnowledgeIndex(QdrantStore(client), dense_dim=DIM)
    await index.ensure()
    await index.add(scope=CHAT_A, doc_id="d", file_name="f", chunks=chunks("сад"), dense=[unit(1)])
    assert len(await index.search("сад", scopes=[CHAT_A], dense=unit(1))) == 1
    assert client.threads and threading.current_thread().name not in client.threads  # the loop stayed free
    await index.close()


async def test_the_embedded_engine_searches_off_the_event_loop_thread(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    threads: set[str] = set()
    real = EdgeStore._open

    def recording(self: EdgeStore) -> qe.EdgeShard:
        threads.add(threading.current_thread().name)
        return real(self)

    monkeypatch.setattr(EdgeStore, "_open", recording)
    index = KnowledgeIndex.open(path=str(tmp_path / "kb"), dense_dim=DIM)
    await index.ensure()
    await index.add(scope=CHAT_A, doc_id="d", file_name="f", chunks=chunks("сад"), dense=[unit(1)])
    assert len(await index.search("сад", scopes=[CHAT_A], dense=unit(1))) == 1
    assert threads and threading.current_thread().name not in threads
    await index.close()


async def test_the_index_is_kept_across_restarts(tmp_path: Path, engine: str) -> None:
    first = opened(engine, tmp_path / "q")
    await first.ensure()
    await first.add(scope=CHAT_A, doc_id="d", file_name="f", chunks=chunks("збережено"), dense=[unit(1)])
    await first.close()
    again = opened(engine, tmp_path / "q")
    await again.ensure()
    assert [p.text for p in await again.search("збережено", scopes=[CHAT_A])] == ["збережено"]
    assert await again.count() == 1
    await again.close()


async def test_open_wants_one_place(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="exactly one"):
        KnowledgeIndex.open(dense_dim=DIM)
    with pytest.raises(ValueError, match="exactly one"):
        KnowledgeIndex.open(path=str(tmp_path), url="http://127.0.0.1:6333", dense_dim=DIM)
    memory = KnowledgeIndex.open(path=":memory:", dense_dim=None)
    await memory.ensure()
    assert await memory.count() == 0
    await memory.close()


async def test_a_ukrainian_question_finds_the_passage_with_another_form_of_its_word(kb: KnowledgeIndex) -> None:
    await kb.add(scope=CHAT_A, doc_id="d", file_name="f", dense=None, chunks=chunks(
        "Нормандці будували замки на узбережжі.",
        "Віросповідання нормандців було християнським.",  # сповідували's stem differs: only its grams match
        "Нормандці торгували з Англією.",
    ))
    found = await kb.search("Яку релігію сповідували нормандці?", scopes=[CHAT_A])
    assert found[0].text == "Віросповідання нормандців було християнським."
