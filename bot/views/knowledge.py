"""How the knowledge base speaks: sources under an answer, ingest progress, the /kb list and search."""
from __future__ import annotations

import re
from collections.abc import Sequence

from rag.knowledge import Ingested
from rag.types import Passage
from storage.documents import Document

_CITED = re.compile(r"\[(\d{1,2})\]")
_STAGES = {
    "uk": {"extracting": "📄 {name}: витягую текст…", "chunking": "✂️ {name}: ділю на фрагменти…",
           "embedding": "🧮 {name}: обчислюю вектори {done}/{total}…", "storing": "💾 {name}: зберігаю {total} фрагментів…"},
    "en": {"extracting": "📄 {name}: extracting text…", "chunking": "✂️ {name}: splitting into chunks…",
           "embedding": "🧮 {name}: embedding {done}/{total}…", "storing": "💾 {name}: storing {total} chunks…"},
}


def _l(lang: str) -> str:
    return "en" if lang == "en" else "uk"


def with_sources(answer: str, passages: Sequence[Passage], lang: str) -> str:
    """The answer and, under it, the sources it cites ([n] in the text); all given ones if it cites none."""
    if not passages:
        return answer
    cited = sorted({int(n) for n in _CITED.findall(answer) if 1 <= int(n) <= len(passages)})
    numbers = cited or range(1, len(passages) + 1)
    page = "с." if _l(lang) == "uk" else "p."
    lines = [f"[{n}] {passages[n - 1].file_name}" + (f", {page} {passages[n - 1].page}" if passages[n - 1].page else "")
             for n in numbers]
    return f"{answer}\n\n{'Джерела' if _l(lang) == 'uk' else 'Sources'}:\n" + "\n".join(lines)


def progress_text(stage: str, done: int, total: int, name: str, lang: str) -> str:
    """One line of the ingest progress message."""
    return _STAGES[_l(lang)][stage].format(name=name, done=done, total=total)


def stored_text(result: Ingested, lang: str) -> str:
    """The summary after an ingest (or a note that the file was already there)."""
    d = result.document
    if result.duplicate:
        return (f"Цей файл уже є в базі знань: №{d.id} {d.file_name}." if _l(lang) == "uk"
                else f"This file is already in the knowledge base: #{d.id} {d.file_name}.")
    sparse = "" if d.dense else (" Модель векторів недоступна: пошук поки лише за словами." if _l(lang) == "uk"
                                 else " No embedding model answered: search is by words only for now.")
    if _l(lang) == "uk":
        return (f"✅ Додано до бази знань: №{d.id} {d.file_name} — сторінок: {d.pages}, фрагментів: {d.chunks}, "
                f"{result.seconds:.1f} с.{sparse} Видалити: /kb delete {d.id}")
    return (f"✅ Added to the knowledge base: #{d.id} {d.file_name} — pages: {d.pages}, chunks: {d.chunks}, "
            f"{result.seconds:.1f} s.{sparse} Delete: /kb delete {d.id}")


def document_list(chat_docs: Sequence[Document], agent_docs: Sequence[Document], agent: str, lang: str) -> str:
    """The `/kb` answer: this chat's documents, then the agent's."""
    uk = _l(lang) == "uk"

    def lines(docs: Sequence[Document]) -> str:
        if not docs:
            return "• (порожньо)" if uk else "• (empty)"
        return "\n".join(f"• №{d.id} {d.file_name} — {d.chunks} {'фрагм.' if uk else 'chunks'}" for d in docs)

    head = "База знань цього чату:" if uk else "This chat's knowledge base:"
    agent_head = f"База знань агента {agent}:" if uk else f"{agent}'s knowledge base:"
    tip = ("Додати файл: /kb add, потім надішліть файл (PDF, DOCX, TXT, MD, HTML, CSV). Видалити: /kb delete N. "
           "Пошук: /kb search запит." if uk else
           "Add a file: /kb add, then send the file (PDF, DOCX, TXT, MD, HTML, CSV). Delete: /kb delete N. "
           "Search: /kb search query.")
    return f"{head}\n{lines(chat_docs)}\n\n{agent_head}\n{lines(agent_docs)}\n\n{tip}"


def search_results(passages: Sequence[Passage], lang: str) -> str:
    """The `/kb search` answer: top passages with their scores."""
    if not passages:
        return "Нічого не знайдено в базі знань." if _l(lang) == "uk" else "Nothing found in the knowledge base."
    page = "с." if _l(lang) == "uk" else "p."
    out = []
    for i, p in enumerate(passages, 1):
        snippet = " ".join(p.text.split())
        snippet = snippet[:300] + ("…" if len(snippet) > 300 else "")
        out.append(f"[{i}] {p.file_name}{f', {page} {p.page}' if p.page else ''} — {p.score:.2f}\n{snippet}")
    return "\n\n".join(out)
