"""The bot's persistence API: chat state, inbound messages, answers and recovery.

Chat state and recent history are cached in memory (write-through): one process polls a bot
token, so the cache is authoritative for its chats, and a restart reloads it from the database.
Statements are built once and executed with parameters so SQLAlchemy reuses their compiled form;
each operation is one transaction (storage.db.Database decides where it runs).
"""
from __future__ import annotations

import json
from collections import OrderedDict, deque
from collections.abc import Collection
from dataclasses import replace
from typing import Any, TypeVar

from sqlalchemy import Connection, bindparam, func, insert, select, update

from storage.db import Database, migrate, open_engine, upsert_for
from storage.models import Chat, Message, User, utcnow
from storage.records import Answer, ChatState, Inbound, Pending, Scope, Turn

K = TypeVar("K")
V = TypeVar("V")

__all__ = ["Answer", "ChatState", "Inbound", "Pending", "Scope", "Store", "Turn", "open_store"]

_IN_SCOPE = (Message.bot == bindparam("b"), Message.chat_id == bindparam("c"), Message.thread_id == bindparam("t"))
_CHAT_SCOPE = (Chat.bot == bindparam("b"), Chat.chat_id == bindparam("c"), Chat.thread_id == bindparam("t"))
_GET_CHAT = (select(Chat.agent, Chat.conversation, Chat.handoff, Chat.local_only, Chat.kb_files, Chat.web_search,
                    Chat.voice).where(*_CHAT_SCOPE))
_EXCHANGE = func.coalesce(Message.reply_to, Message.id)  # the question's id, for the question and its answer
_HISTORY = (select(Message.role, Message.text, Message.agent, Message.attachments, _EXCHANGE.label("key"))
            .where(*_IN_SCOPE, Message.conversation == bindparam("conv"), Message.status == "done")
            # Answers sort right after their question, even when later questions arrived first.
            .order_by(_EXCHANGE.desc(), Message.id.desc())
            .limit(bindparam("lim")))
_SEEN = select(Message.id).where(*_IN_SCOPE, Message.tg_message_id == bindparam("tg"))
_ADD = insert(Message)
_MARK = update(Message).where(Message.id == bindparam("iid")).values(status=bindparam("st"), error=bindparam("err"))
# A voice note heard becomes the text it said: recovery then answers the text, and history shows no attachment.
_TRANSCRIBED = (update(Message).where(Message.id == bindparam("iid"))
                .values(text=bindparam("text"), mode="chat", attachments=None))
_SET_CHAT = update(Chat).where(*_CHAT_SCOPE).values(
    agent=bindparam("agent"), conversation=bindparam("conv"), handoff=bindparam("handoff"),
    local_only=bindparam("local_only"), kb_files=bindparam("kb_files"), web_search=bindparam("web_search"),
    voice=bindparam("voice"), updated_at=bindparam("at"))


async def open_store(url: str, *, replica: str = "", cache_chats: int = 20_000) -> Store:
    """Open the database, apply migrations on the DB thread, and return the Store."""
    db = Database(open_engine(url))
    await db.call(migrate, db.engine)
    return Store(db, replica=replica, cache_chats=cache_chats)


class Store:
    """Async persistence through SQLAlchemy Core, cheap on the per-message path."""

    def __init__(self, db: Database, *, replica: str = "", cache_chats: int = 20_000) -> None:
        self.db = db
        # The replica that holds the messages stored here (storage/leases.py). With replicas the cache is off
        # (cache_chats=0): another replica may change a chat or answer in it, and only the database knows.
        self.replica = replica
        self._upsert = upsert_for(db.engine)
        self._add_inbound = (self._upsert(Message).on_conflict_do_nothing().returning(Message.id)
                             if self._upsert else None)
        self._save_user = None
        if self._upsert is not None:  # built once with parameters: its compiled form is cached, unlike literals
            fields: dict[str, Any] = {k: bindparam(k) for k in ("username", "first_name", "language", "blocked")}
            stmt = self._upsert(User).values(id=bindparam("id"), created_at=bindparam("created_at"), **fields)
            self._save_user = stmt.on_conflict_do_update(index_elements=[User.id], set_=fields)
        self._cache_size = cache_chats
        self._chats: OrderedDict[Scope, ChatState] = OrderedDict()
        self._turns: OrderedDict[tuple[Scope, int], deque[Turn]] = OrderedDict()

    async def chat_state(self, scope: Scope) -> ChatState:
        """Active agent and conversation of a chat/topic; defaults when never seen."""
        if (state := self._chats.get(scope)) is None:
            row = await self.db.run(lambda conn: conn.execute(_GET_CHAT, _keys(scope)).first())
            state = ChatState(row.agent, row.conversation, bool(row.handoff), bool(row.local_only),
                              bool(row.kb_files), bool(row.web_search), bool(row.voice)) if row else ChatState(None, 1)
            self._remember(self._chats, scope, state)
        return state

    async def set_agent(self, scope: Scope, agent: str, chat_type: str = "private") -> None:
        """Make `agent` the chat's active persona."""
        state = await self.chat_state(scope)
        await self._save_chat(scope, chat_type, replace(state, agent=agent))

    async def set_chat_flags(self, scope: Scope, chat_type: str = "private", *, handoff: bool | None = None,
                             local_only: bool | None = None, kb_files: bool | None = None,
                             web_search: bool | None = None, voice: bool | None = None) -> ChatState:
        """Change the chat's hand-off, local-only, files-to-knowledge-base, web-search and voice-answer settings
        (None: as is)."""
        state = await self.chat_state(scope)
        state = replace(state, handoff=state.handoff if handoff is None else handoff,
                        local_only=state.local_only if local_only is None else local_only,
                        kb_files=state.kb_files if kb_files is None else kb_files,
                        web_search=state.web_search if web_search is None else web_search,
                        voice=state.voice if voice is None else voice)
        await self._save_chat(scope, chat_type, state)
        return state

    async def reset(self, scope: Scope, chat_type: str = "private") -> int:
        """Start a new conversation; returns its number."""
        state = await self.chat_state(scope)
        await self._save_chat(scope, chat_type, replace(state, conversation=state.conversation + 1))
        return state.conversation + 1

    async def save_user(self, user_id: int, username: str | None, first_name: str | None, language: str | None) -> None:
        """Insert or refresh a user's profile."""
        # Writing again means the user no longer blocks the bot: broadcasts reach them again.
        values = dict(username=username, first_name=first_name, language=language, blocked=False)

        def work(conn: Connection) -> None:
            if self._save_user is not None:
                conn.execute(self._save_user, {"id": user_id, "created_at": utcnow(), **values})
            elif conn.execute(update(User).where(User.id == user_id).values(**values)).rowcount == 0:
                conn.execute(insert(User).values(id=user_id, created_at=utcnow(), **values))
        await self.db.run(work)

    async def record_inbound(self, msg: Inbound) -> int | None:
        """Store a user message as pending; None when this Telegram message was already stored."""
        values = dict(
            bot=msg.scope.bot, chat_id=msg.scope.chat_id, thread_id=msg.scope.thread_id,
            conversation=msg.conversation, user_id=msg.user_id, tg_message_id=msg.tg_message_id,
            role="user", agent=msg.agent, text=_plain(msg.text), language=msg.language,
            chat_type=msg.chat_type, status="pending", created_at=utcnow(),
            attachments=_pack(msg.attachments), mode=msg.mode, owner=self.replica or None, lease_at=utcnow())

        def work(conn: Connection) -> int | None:
            if self._add_inbound is not None:
                return conn.execute(self._add_inbound, values).scalar()
            seen = {**_keys(msg.scope), "tg": msg.tg_message_id}
            if msg.tg_message_id is not None and conn.execute(_SEEN, seen).first():
                return None
            return conn.execute(_ADD.returning(Message.id), values).scalar()
        return await self.db.run(work)

    async def history(self, scope: Scope, conversation: int, *, limit: int = 40) -> list[Turn]:
        """Answered turns of the conversation, oldest first (at most `limit`)."""
        key = (scope, conversation)
        if (turns := self._turns.get(key)) is None:
            params = {**_keys(scope), "conv": conversation, "lim": limit}
            rows = await self.db.run(lambda conn: conn.execute(_HISTORY, params).all())
            turns = deque((Turn(r.role, r.text, r.agent, _unpack(r.attachments), r.key) for r in reversed(rows)),
                          maxlen=limit)
            self._remember(self._turns, key, turns)
        return list(turns)

    async def record_answer(self, inbound: Inbound, inbound_id: int, answer: Answer) -> None:
        """Store the answer and mark the user message done, in one transaction."""
        scope = inbound.scope
        row = dict(
            bot=scope.bot, chat_id=scope.chat_id, thread_id=scope.thread_id, conversation=inbound.conversation,
            user_id=None, tg_message_id=None, role="assistant", agent=answer.agent, text=_plain(answer.text),
            language=inbound.language, chat_type=inbound.chat_type, status="done", reply_to=inbound_id,
            provider=answer.provider or None, model=answer.model or None, tokens_in=answer.tokens_in,
            tokens_out=answer.tokens_out, latency_ms=answer.latency_ms, error=answer.error and _plain(answer.error),
            created_at=utcnow())

        def work(conn: Connection) -> bool:
            if conn.execute(_MARK, dict(iid=inbound_id, st="done", err=None)).rowcount == 0:
                return False  # the question was deleted meanwhile (/forget): keep no answer to it
            conn.execute(_ADD, row)
            return True
        if not await self.db.run(work):
            return
        if (turns := self._turns.get((scope, inbound.conversation))) is not None:
            turns.extend((Turn("user", inbound.text, inbound.agent, inbound.attachments, inbound_id),
                          Turn("assistant", answer.text, answer.agent, key=inbound_id)))

    async def transcribed(self, inbound_id: int, text: str) -> None:
        """A stored voice note (mode "voice", its file id in attachments) becomes its transcript: mode "chat",
        no attachments, so a restart answers the text and never transcribes it again."""
        await self.db.run(lambda conn: conn.execute(_TRANSCRIBED, dict(iid=inbound_id, text=_plain(text))))

    async def record_failure(self, inbound_id: int, error: str) -> None:
        """Mark a user message failed: the user was told, it is not retried."""
        await self.db.run(lambda conn: conn.execute(_MARK, dict(iid=inbound_id, st="failed", err=_plain(error)[:2000])))

    async def pending(self, bots: list[str] | None = None) -> list[Pending]:
        """User messages still pending, oldest first (to answer after a crash)."""
        q = select(Message).where(Message.status == "pending", Message.role == "user").order_by(Message.id)
        if bots is not None:
            q = q.where(Message.bot.in_(bots))
        rows = await self.db.run(lambda conn: conn.execute(q).all())
        return [pending_of(r) for r in rows]

    def drop_cached(self, chat_ids: Collection[int]) -> None:
        """Forget the cached state and history of these chats (every bot and topic) after their rows changed."""
        ids = set(chat_ids)
        for scope in [s for s in self._chats if s.chat_id in ids]:
            del self._chats[scope]
        for key in [k for k in self._turns if k[0].chat_id in ids]:
            del self._turns[key]

    async def close(self) -> None:
        """Finish queued writes and release connections."""
        await self.db.close()

    def _remember(self, cache: OrderedDict[K, V], key: K, value: V) -> None:
        cache[key] = value
        cache.move_to_end(key)
        while len(cache) > self._cache_size:
            cache.popitem(last=False)

    async def _save_chat(self, scope: Scope, chat_type: str, state: ChatState) -> None:
        params = {**_keys(scope), "agent": state.agent, "conv": state.conversation, "handoff": state.handoff,
                  "local_only": state.local_only, "kb_files": state.kb_files, "web_search": state.web_search,
                  "voice": state.voice, "at": utcnow()}

        def work(conn: Connection) -> None:
            if conn.execute(_SET_CHAT, params).rowcount == 0:
                conn.execute(insert(Chat).values(bot=scope.bot, chat_id=scope.chat_id, thread_id=scope.thread_id,
                                                 chat_type=chat_type, agent=state.agent,
                                                 conversation=state.conversation, handoff=state.handoff,
                                                 local_only=state.local_only, kb_files=state.kb_files,
                                                 web_search=state.web_search, voice=state.voice,
                                                 updated_at=params["at"]))
        await self.db.run(work)
        self._remember(self._chats, scope, state)


def _plain(text: str) -> str:
    """Text without NUL characters: Postgres text cannot hold them (SQLite would), and a model may emit one."""
    return text.replace("\x00", "")


def pending_of(r: Any) -> Pending:
    """A stored user message row as a Pending one, to answer."""
    return Pending(r.id, Inbound(
        scope=Scope(r.bot, r.chat_id, r.thread_id), user_id=r.user_id or 0, text=r.text,
        agent=r.agent or "", conversation=r.conversation, tg_message_id=r.tg_message_id,
        language=r.language or "uk", chat_type=r.chat_type, attachments=_unpack(r.attachments),
        mode=r.mode or "chat"), r.tries or 1)


def _pack(refs: tuple[str, ...]) -> str | None:
    return json.dumps(list(refs)) if refs else None


def _unpack(stored: str | None) -> tuple[str, ...]:
    return tuple(json.loads(stored)) if stored else ()


def _keys(scope: Scope) -> dict[str, object]:
    return {"b": scope.bot, "c": scope.chat_id, "t": scope.thread_id}
