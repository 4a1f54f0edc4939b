"""The bot's persistence API: chat state, inbound messages, answers and recovery."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.models import Chat, Message, User, utcnow


@dataclass(frozen=True, slots=True)
class Scope:
    """Where a conversation lives: one bot, one chat, one forum topic (0 = none)."""

    bot: str
    chat_id: int
    thread_id: int = 0


@dataclass(frozen=True, slots=True)
class ChatState:
    """The chat's active agent (None = default) and current conversation number."""

    agent: str | None
    conversation: int


@dataclass(frozen=True, slots=True)
class Inbound:
    """A user message as received, before any model is called."""

    scope: Scope
    user_id: int
    text: str
    agent: str
    conversation: int
    tg_message_id: int | None = None
    language: str = "uk"
    chat_type: str = "private"


@dataclass(frozen=True, slots=True)
class Pending:
    """A stored user message that was never answered (e.g. the process was killed)."""

    id: int
    inbound: Inbound


@dataclass(frozen=True, slots=True)
class Turn:
    """One history entry, oldest first."""

    role: str
    text: str
    agent: str | None


@dataclass(frozen=True, slots=True)
class Answer:
    """A delivered answer and how it was produced."""

    text: str
    agent: str
    provider: str = ""
    model: str = ""
    tokens_in: int = 0
    tokens_out: int = 0
    latency_ms: float = 0.0
    error: str | None = None


class Store:
    """Async persistence through SQLAlchemy Core (cheap on the per-message path)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        dialect = engine.dialect.name
        self._insert = pg_insert if dialect == "postgresql" else sqlite_insert if dialect == "sqlite" else None

    async def chat_state(self, scope: Scope) -> ChatState:
        """Active agent and conversation of a chat/topic; defaults when never seen."""
        q = select(Chat.agent, Chat.conversation).where(*self._where(scope))
        async with self.engine.connect() as conn:
            row = (await conn.execute(q)).first()
        return ChatState(row.agent, row.conversation) if row else ChatState(None, 1)

    async def set_agent(self, scope: Scope, agent: str, chat_type: str = "private") -> None:
        """Make `agent` the chat's active persona."""
        await self._upsert_chat(scope, chat_type, agent=agent)

    async def reset(self, scope: Scope, chat_type: str = "private") -> int:
        """Start a new conversation; returns its number."""
        state = await self.chat_state(scope)
        await self._upsert_chat(scope, chat_type, agent=state.agent, conversation=state.conversation + 1)
        return state.conversation + 1

    async def save_user(self, user_id: int, username: str | None, first_name: str | None, language: str | None) -> None:
        """Insert or refresh a user's profile."""
        values = dict(id=user_id, username=username, first_name=first_name, language=language, created_at=utcnow())
        async with self.engine.begin() as conn:
            if self._insert is None:
                if (await conn.execute(select(User.id).where(User.id == user_id))).first() is None:
                    await conn.execute(insert(User).values(**values))
                return
            stmt = self._insert(User).values(**values)
            await conn.execute(stmt.on_conflict_do_update(
                index_elements=[User.id], set_=dict(username=username, first_name=first_name, language=language)))

    async def record_inbound(self, msg: Inbound) -> int | None:
        """Store a user message as pending; None when this Telegram message was already stored."""
        values = dict(
            bot=msg.scope.bot, chat_id=msg.scope.chat_id, thread_id=msg.scope.thread_id,
            conversation=msg.conversation, user_id=msg.user_id, tg_message_id=msg.tg_message_id,
            role="user", agent=msg.agent, text=msg.text, language=msg.language,
            chat_type=msg.chat_type, status="pending", created_at=utcnow(),
        )
        async with self.engine.begin() as conn:
            if self._insert is not None:
                stmt = self._insert(Message).values(**values).on_conflict_do_nothing().returning(Message.id)
                return (await conn.execute(stmt)).scalar()
            if msg.tg_message_id is not None and (await conn.execute(select(Message.id).where(
                    Message.bot == msg.scope.bot, Message.chat_id == msg.scope.chat_id,
                    Message.tg_message_id == msg.tg_message_id))).first():
                return None
            return (await conn.execute(insert(Message).values(**values).returning(Message.id))).scalar()

    async def history(self, scope: Scope, conversation: int, *, before: int, limit: int = 40) -> list[Turn]:
        """Answered turns of the conversation before message `before`, oldest first."""
        q = (select(Message.role, Message.text, Message.agent)
             .where(*self._where(scope, Message), Message.conversation == conversation,
                    Message.id < before, Message.status == "done")
             .order_by(Message.id.desc()).limit(limit))
        async with self.engine.connect() as conn:
            rows = (await conn.execute(q)).all()
        return [Turn(r.role, r.text, r.agent) for r in reversed(rows)]

    async def record_answer(self, inbound_id: int, scope: Scope, conversation: int, answer: Answer) -> None:
        """Store the answer and mark the user message done, in one transaction."""
        async with self.engine.begin() as conn:
            await conn.execute(insert(Message).values(
                bot=scope.bot, chat_id=scope.chat_id, thread_id=scope.thread_id,
                conversation=conversation, role="assistant", agent=answer.agent, text=answer.text,
                status="done", reply_to=inbound_id, provider=answer.provider or None,
                model=answer.model or None, tokens_in=answer.tokens_in, tokens_out=answer.tokens_out,
                latency_ms=answer.latency_ms, error=answer.error, created_at=utcnow()))
            await conn.execute(update(Message).where(Message.id == inbound_id).values(status="done"))

    async def record_failure(self, inbound_id: int, error: str) -> None:
        """Mark a user message failed: the user was told, it is not retried."""
        async with self.engine.begin() as conn:
            await conn.execute(update(Message).where(Message.id == inbound_id)
                               .values(status="failed", error=error[:2000]))

    async def pending(self, bots: list[str] | None = None) -> list[Pending]:
        """User messages still pending, oldest first (to answer after a crash)."""
        q = select(Message).where(Message.status == "pending", Message.role == "user").order_by(Message.id)
        if bots is not None:
            q = q.where(Message.bot.in_(bots))
        async with self.engine.connect() as conn:
            rows = (await conn.execute(q)).all()
        return [Pending(r.id, Inbound(
            scope=Scope(r.bot, r.chat_id, r.thread_id), user_id=r.user_id or 0, text=r.text,
            agent=r.agent or "", conversation=r.conversation, tg_message_id=r.tg_message_id,
            language=r.language or "uk", chat_type=r.chat_type)) for r in rows]

    async def close(self) -> None:
        """Dispose of the engine's connections."""
        await self.engine.dispose()

    @staticmethod
    def _where(scope: Scope, table: type = Chat) -> tuple:  # type: ignore[type-arg]
        return (table.bot == scope.bot, table.chat_id == scope.chat_id, table.thread_id == scope.thread_id)

    async def _upsert_chat(self, scope: Scope, chat_type: str, **values: object) -> None:
        async with self.engine.begin() as conn:
            done = await conn.execute(update(Chat).where(*self._where(scope)).values(updated_at=utcnow(), **values))
            if done.rowcount == 0:
                await conn.execute(insert(Chat).values(
                    bot=scope.bot, chat_id=scope.chat_id, thread_id=scope.thread_id,
                    chat_type=chat_type, updated_at=utcnow(), **{"conversation": 1, **values}))
