"""How the knowledge base speaks: sources under an answer, ingest progress, the /kb list and search."""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from i18n import Translator, translator
from rag.knowledge import Ingested, collection_of
from rag.types import Passage
from storage.documents import Document

_CITED = re.compile(r"\[(\d{1,2})\]")
STAGES = ("extracting", "chunking", "embedding", "storing")  # rag's ingest stages, each `kb_stage_<stage>`


def _source(n: int, passage: Passage, tr: Translator) -> str:
    """"[2] manual.pdf, с. 3 (city_faq)": a passage's number, file, page and the collection it came from."""
    page = f", {tr('kb_page', page=passage.page)}" if passage.page else ""
    collection = f" ({name})" if (name := collection_of(passage.scope)) else ""
    return f"[{n}] {passage.file_name}{page}{collection}"


def with_sources(answer: str, passages: Sequence[Passage], lang: str) -> str:
    """The answer and, under it, the sources it cites ([n] in the text); all given ones if it cites none."""
    if not passages:
        return answer
    tr = translator(lang)
    cited = sorted({int(n) for n in _CITED.findall(answer) if 1 <= int(n) <= len(passages)})
    numbers = cited or range(1, len(passages) + 1)
    lines = [_source(n, passages[n - 1], tr) for n in numbers]
    return f"{answer}\n\n{tr('kb_sources')}:\n" + "\n".join(lines)


def progress_text(stage: str, done: int, total: int, name: str, lang: str) -> str:
    """One line of the ingest progress message."""
    return translator(lang)(f"kb_stage_{stage}", name=name, done=done, total=total)


def stored_text(result: Ingested, lang: str) -> str:
    """The summary after an ingest (or a note that the file was already there)."""
    d, tr = result.document, translator(lang)
    if result.duplicate:
        return tr("kb_duplicate", id=d.id, name=d.file_name)
    return tr("kb_stored", id=d.id, name=d.file_name, pages=d.pages, chunks=d.chunks, seconds=f"{result.seconds:.1f}",
              sparse="" if d.dense else tr("kb_sparse"))


def document_list(chat_docs: Sequence[Document], agent_docs: Sequence[Document], agent: str, lang: str,
                  collections: Mapping[str, Sequence[Document]] | None = None) -> str:
    """The `/kb` answer: this chat's documents, then the agent's, then each collection the agent reads."""
    tr = translator(lang)

    def lines(docs: Sequence[Document]) -> str:
        if not docs:
            return tr("kb_list_empty")
        return "\n".join(tr("kb_list_line", id=d.id, name=d.file_name, chunks=d.chunks) for d in docs)

    shared = "".join(f"\n\n{tr('kb_list_collection', name=name)}\n{lines(docs)}"
                     for name, docs in (collections or {}).items())
    return (f"{tr('kb_list_chat')}\n{lines(chat_docs)}\n\n{tr('kb_list_agent', agent=agent)}\n{lines(agent_docs)}"
            f"{shared}\n\n{tr('kb_list_tip')}")


def search_results(passages: Sequence[Passage], lang: str) -> str:
    """The `/kb search` answer: top passages with their scores."""
    tr = translator(lang)
    if not passages:
        return tr("kb_search_none")
    out = []
    for i, p in enumerate(passages, 1):
        snippet = " ".join(p.text.split())
        snippet = snippet[:300] + ("…" if len(snippet) > 300 else "")
        out.append(f"{_source(i, p, tr)} — {p.score:.2f}\n{snippet}")
    return "\n\n".join(out)
