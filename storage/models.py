"""SQLAlchemy 2 models: users, chats (agent and settings per chat/topic), messages, conversation summaries, usage
(rows and daily sums), quota overrides, web-search use, knowledge-base documents, and the admin side: allowed groups,
invites, reminders, job claims, the audit log, admin settings and provider health events."""
from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import BigInteger, Boolean, DateTime, Float, Index, Integer, String, Text, UniqueConstraint, false, true
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    """Timezone-aware now, stored as UTC."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base shared by every table."""


class User(Base):
    """A Telegram user (or the console user) seen by the bot."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    username: Mapped[str | None] = mapped_column(String(64))
    first_name: Mapped[str | None] = mapped_column(String(128))
    language: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # owner | admin | member | guest | banned; NULL = not decided yet (the access mode's default applies).
    role: Mapped[str | None] = mapped_column(String(8))
    tz: Mapped[str | None] = mapped_column(String(64))  # IANA zone for reminders; NULL = the deployment's
    blocked: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())  # the user blocked the bot


class Chat(Base):
    """Per bot, chat and forum topic: the active agent and the current conversation."""

    __tablename__ = "chats"
    __table_args__ = (UniqueConstraint("bot", "chat_id", "thread_id", name="uq_chats_scope"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bot: Mapped[str] = mapped_column(String(64))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    thread_id: Mapped[int] = mapped_column(BigInteger, default=0)
    chat_type: Mapped[str] = mapped_column(String(16), default="private")
    agent: Mapped[str | None] = mapped_column(String(64))
    conversation: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # The front-door agent may hand questions over to a specialist (off: the active agent always answers).
    handoff: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # Only local models (Ollama, embedded, hosts marked local) may see this chat's messages.
    local_only: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Files sent here go to the chat's knowledge base without `/kb add` first.
    kb_files: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Web search here: /search and personas searching on their own (off: /search off).
    web_search: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # Answers here also come as voice messages (/voice on). The database's default only: an insert through the
    # model names no column a database of an older revision lacks.
    voice: Mapped[bool] = mapped_column(Boolean, server_default=false())


class Message(Base):
    """One user message or one answer; a user message is `pending` until answered or failed."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("bot", "chat_id", "tg_message_id", name="uq_messages_inbound"),
        Index("ix_messages_history", "bot", "chat_id", "thread_id", "conversation", "id"),
        Index("ix_messages_status", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bot: Mapped[str] = mapped_column(String(64))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    thread_id: Mapped[int] = mapped_column(BigInteger, default=0)
    conversation: Mapped[int] = mapped_column(Integer, default=1)
    user_id: Mapped[int | None] = mapped_column(BigInteger)
    # Telegram message id of an inbound message; NULL for answers. Unique per chat so a
    # re-delivered update is recognised and never answered twice.
    tg_message_id: Mapped[int | None] = mapped_column(BigInteger)
    role: Mapped[str] = mapped_column(String(16))
    agent: Mapped[str | None] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str | None] = mapped_column(String(8))
    chat_type: Mapped[str] = mapped_column(String(16), default="private")
    status: Mapped[str] = mapped_column(String(16), default="done")
    reply_to: Mapped[int | None] = mapped_column(Integer)
    # Images of a user message (or the voice note of one not yet transcribed) as Telegram file ids (JSON
    # list): re-fetched after a crash or for a follow-up question; the bytes themselves are never stored.
    attachments: Mapped[str | None] = mapped_column(Text)
    # chat | ocr | search | voice (a voice note not yet transcribed: its file id is in `attachments`)
    mode: Mapped[str] = mapped_column(String(8), default="chat", server_default="chat")
    provider: Mapped[str | None] = mapped_column(String(64))
    model: Mapped[str | None] = mapped_column(String(128))
    tokens_in: Mapped[int | None] = mapped_column(Integer)
    tokens_out: Mapped[int | None] = mapped_column(Integer)
    latency_ms: Mapped[float | None] = mapped_column(Float)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # A pending user message is held by one replica (REPLICA_ID), which renews `lease_at` while it lives; a lease
    # left to expire (the replica died) is taken over by another, `tries` counting the holders.
    owner: Mapped[str | None] = mapped_column(String(64))
    lease_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    tries: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class ConversationSummary(Base):
    """The rolling summary of what fell out of one conversation's history window (bot, chat, topic, conversation)."""

    __tablename__ = "conversation_summaries"
    __table_args__ = (UniqueConstraint("bot", "chat_id", "thread_id", "conversation", name="uq_summaries_scope"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bot: Mapped[str] = mapped_column(String(64))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    thread_id: Mapped[int] = mapped_column(BigInteger, default=0)
    conversation: Mapped[int] = mapped_column(Integer, default=1)
    text: Mapped[str] = mapped_column(Text, default="")
    # The newest exchange folded in, by its question's message id: turns after it are still verbatim history.
    covered: Mapped[int] = mapped_column(BigInteger, default=0)
    turns: Mapped[int] = mapped_column(Integer, default=0)  # messages folded in so far
    # ",1001,2002,": whose messages went in, so /forget finds every summary (a group's too) holding their words.
    authors: Mapped[str] = mapped_column(Text, default=",")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # When the oldest message folded in was written: past HISTORY_DAYS the summary goes with it (retention).
    since: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Usage(Base):
    """One model call: who asked, which target served (or failed), tokens, cost, latency, outcome."""

    __tablename__ = "usage"
    __table_args__ = (
        Index("ix_usage_provider_day", "provider", "day"),
        Index("ix_usage_provider_at", "provider", "created_at"),
        Index("ix_usage_user_day", "user_id", "day"),
        Index("ix_usage_chat_day", "chat_id", "day"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    day: Mapped[str] = mapped_column(String(10))  # YYYY-MM-DD in the quota time zone
    bot: Mapped[str] = mapped_column(String(64), default="")
    chat_id: Mapped[int] = mapped_column(BigInteger, default=0)
    user_id: Mapped[int] = mapped_column(BigInteger, default=0)
    agent: Mapped[str] = mapped_column(String(64), default="")
    mode: Mapped[str] = mapped_column(String(16), default="chat")
    provider: Mapped[str] = mapped_column(String(64))
    model: Mapped[str] = mapped_column(String(128))
    tokens_in: Mapped[int] = mapped_column(Integer, default=0)
    tokens_out: Mapped[int] = mapped_column(Integer, default=0)
    cost: Mapped[float] = mapped_column(Float, default=0.0)
    latency_ms: Mapped[float] = mapped_column(Float, default=0.0)
    # Seconds of speech: heard (mode stt) or spoken (mode tts); daily voice quotas sum the heard ones. The database's
    # default only: an insert through the model names no column a database of an older revision lacks.
    audio_seconds: Mapped[float] = mapped_column(Float, server_default="0")
    # Milliseconds the request waited for a slot of the provider (router/capacity.py); NULL for one without slots.
    queue_ms: Mapped[float | None] = mapped_column(Float)
    outcome: Mapped[str] = mapped_column(String(24))  # ok | cut | unavailable | timeout | rate_limited | busy | …
    error: Mapped[str | None] = mapped_column(String(500))


class UsageDaily(Base):
    """Per-day sums of the usage rows for one user, chat or provider, kept in the row's transaction.

    Quota checks read one row here instead of summing a day of usage rows (which grew with traffic:
    0.8 ms per check at 6 000 calls a day to one provider).
    """

    __tablename__ = "usage_daily"

    kind: Mapped[str] = mapped_column(String(8), primary_key=True)  # user | chat | provider
    subject: Mapped[str] = mapped_column(String(64), primary_key=True)  # the id as text, or the provider name
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    tokens: Mapped[int] = mapped_column(BigInteger, default=0)  # in + out, every call
    requests: Mapped[int] = mapped_column(Integer, default=0)  # answered calls (ok | cut)
    calls: Mapped[int] = mapped_column(Integer, default=0)  # every call, failed ones too


class QuotaOverride(Base):
    """A daily quota for one user or one group chat that replaces the configured default."""

    __tablename__ = "quota_overrides"
    __table_args__ = (UniqueConstraint("kind", "subject_id", name="uq_quota_subject"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # user | chat
    subject_id: Mapped[int] = mapped_column(BigInteger)
    daily_tokens: Mapped[int | None] = mapped_column(Integer)  # None = the default; 0 = no limit
    daily_requests: Mapped[int | None] = mapped_column(Integer)
    daily_searches: Mapped[int | None] = mapped_column(Integer)  # web searches (questions) a day
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class WebUse(Base):
    """One web-search question, one query to a search backend, or one page read, and who it was for.

    Kept apart from `usage` (model calls): a search is no model request and must not count toward token or
    request quotas. Searches per user and group per day (their quota) count the `question` rows.
    """

    __tablename__ = "web_usage"
    __table_args__ = (
        Index("ix_web_usage_user_day", "user_id", "day"),
        Index("ix_web_usage_chat_day", "chat_id", "day"),
        Index("ix_web_usage_day", "day"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    day: Mapped[str] = mapped_column(String(10))  # YYYY-MM-DD in the quota time zone
    kind: Mapped[str] = mapped_column(String(8))  # question | search | read
    bot: Mapped[str] = mapped_column(String(64), default="")
    chat_id: Mapped[int] = mapped_column(BigInteger, default=0)
    user_id: Mapped[int] = mapped_column(BigInteger, default=0)
    agent: Mapped[str] = mapped_column(String(64), default="")
    backend: Mapped[str] = mapped_column(String(255), default="")  # search backend, page host, or how it was asked
    ok: Mapped[bool] = mapped_column(Boolean, default=True)
    latency_ms: Mapped[float] = mapped_column(Float, default=0.0)


class KbDocument(Base):
    """A document in a knowledge base (its chunks live in Qdrant under the same id)."""

    __tablename__ = "kb_documents"
    __table_args__ = (
        UniqueConstraint("scope", "content_hash", name="uq_kb_scope_hash"),  # the same file once per base
        Index("ix_kb_documents_scope", "scope", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    doc_id: Mapped[str] = mapped_column(String(36), unique=True)  # the id the chunks carry in Qdrant
    scope: Mapped[str] = mapped_column(String(96))  # agent:<key> | chat:<bot>:<chat_id>:<thread_id>
    file_name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(8))
    content_hash: Mapped[str] = mapped_column(String(64))  # sha256 of the file's bytes
    size: Mapped[int] = mapped_column(Integer, default=0)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    chunks: Mapped[int] = mapped_column(Integer, default=0)
    dense: Mapped[bool] = mapped_column(Boolean, default=False)  # embedded with a dense model (or sparse only)
    added_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AllowedChat(Base):
    """A group allowed as a whole: its members may talk to the bot there in allow-list and invite modes."""

    __tablename__ = "allowed_chats"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    bot: Mapped[str] = mapped_column(String(64), default="main")  # the bot that serves it (for broadcasts)
    title: Mapped[str | None] = mapped_column(String(255))
    added_by: Mapped[int | None] = mapped_column(BigInteger)
    blocked: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())  # the bot was removed
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Invite(Base):
    """A one-time invite code: `/start CODE` makes its redeemer a member."""

    __tablename__ = "invites"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    created_by: Mapped[int] = mapped_column(BigInteger)
    role: Mapped[str] = mapped_column(String(8), default="member")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    used_by: Mapped[int | None] = mapped_column(BigInteger)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Reminder(Base):
    """A user's reminder; its APScheduler job (id `reminder:<id>`) fires it."""

    __tablename__ = "reminders"
    __table_args__ = (Index("ix_reminders_user", "user_id", "status", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bot: Mapped[str] = mapped_column(String(64))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    thread_id: Mapped[int] = mapped_column(BigInteger, default=0)
    user_id: Mapped[int] = mapped_column(BigInteger)
    text: Mapped[str] = mapped_column(Text)
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # UTC
    tz: Mapped[str] = mapped_column(String(64))  # the zone the user set it in (for display)
    language: Mapped[str] = mapped_column(String(8), default="uk")
    status: Mapped[str] = mapped_column(String(8), default="pending")  # pending | sending | sent | deleted | failed
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # when sending began


class JobRun(Base):
    """One scheduled run of a job, claimed by the first replica that reaches it (the others skip it)."""

    __tablename__ = "job_runs"

    job_id: Mapped[str] = mapped_column(String(191), primary_key=True)
    run_at: Mapped[str] = mapped_column(String(32), primary_key=True)  # the scheduled time, ISO UTC
    runner: Mapped[str] = mapped_column(String(64))
    claimed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AuditEntry(Base):
    """An admin action or a refused attempt at one."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_at", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    user_id: Mapped[int] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(64))
    allowed: Mapped[bool] = mapped_column(Boolean, default=True)
    detail: Mapped[str | None] = mapped_column(String(500))


class AdminSetting(Base):
    """A setting changed from chat (a target switched off, an agent's route), kept across restarts."""

    __tablename__ = "admin_settings"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[str] = mapped_column(Text)  # JSON
    updated_by: Mapped[int | None] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ProviderEvent(Base):
    """A provider's health changed (up → down or back), as the health check saw it."""

    __tablename__ = "provider_events"
    __table_args__ = (Index("ix_provider_events_at", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    provider: Mapped[str] = mapped_column(String(64))
    healthy: Mapped[bool] = mapped_column(Boolean)
    detail: Mapped[str | None] = mapped_column(String(500))


class ProcessedUpdate(Base):
    """A Telegram update a webhook took, per bot: a second delivery of it is dropped (see storage/updates.py)."""

    __tablename__ = "processed_updates"
    # (bot, chat_id, update_id): a chat's turn looks for earlier open claims of the chat (storage/leases.py); SQLite
    # keeps no statistics, and with (bot, chat_id) alone it walked the primary key instead (5 ms at 25 000 claims).
    __table_args__ = (Index("ix_processed_updates_at", "at"),
                      Index("ix_processed_updates_chat", "bot", "chat_id", "update_id"))

    bot: Mapped[str] = mapped_column(String(64), primary_key=True)
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)  # taken, renewed or finished
    done: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    tries: Mapped[int] = mapped_column(Integer, default=1, server_default="1")  # 1 + takeovers after a holder died
    body: Mapped[str | None] = mapped_column(Text)  # the update's JSON until it is handled
    # Whose chat and which message (for a chat's turn across replicas: storage/leases.py), and which replica holds it.
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    owner: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # when first taken (`at` moves on)
