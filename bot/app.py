"""Telegram front end: one Dispatcher polling every configured bot."""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramNetworkError, TelegramUnauthorizedError
from aiogram.filters import ExceptionTypeFilter
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.fsm.strategy import FSMStrategy
from aiogram.types import BotCommand, BotCommandScopeChat, ErrorEvent, TelegramObject

from base import ConfigError
from bot.delivery.budget import ChatPacer
from bot.delivery.notifier import TelegramNotifier
from bot.delivery.pacing import PaceObserver, RetryAfterMiddleware
from bot.delivery.stream import DeliveryOptions, TelegramSink
from bot.flows.states import FlowTimeouts
from bot.handlers import (
    admin,
    agent_pick,
    chat,
    chat_settings,
    commands,
    forget,
    knowledge,
    memory,
    photos,
    reminders,
    search,
    usage,
    voice,
)
from bot.middlewares.access import AccessMiddleware, Throttle
from bot.middlewares.arrival import Arrival, Reached
from bot.middlewares.i18n import I18nMiddleware
from bot.middlewares.observe import UpdateObserver
from bot.services import Services
from bot.settings import Settings
from bot.startup import FirstPoll, after_first_poll, share_generic_cache
from bot.turn.albums import PhotoDesk
from bot.turn.context import BotProfile, sink_for
from bot.turn.flood import FloodControl
from bot.turn.media import TelegramMedia
from bot.turn.takeover import tend
from bot.webhook.release import WebhookOff
from i18n import Translator, languages, translator
from ops.control import keep_in_sync, restore
from ops.jobs import schedule_system_jobs
from ops.services import Ops
from storage.store import Inbound

log = logging.getLogger(__name__)
# The command menu, in this order; each description is `cmd_<command>` in the catalogs (commands.ftl).
COMMANDS = ("agent", "reset", "memory", "whoami", "usage", "handoff", "privacy", "ocr", "voice", "transcribe", "kb",
            "search", "remind", "reminders", "tz", "forget", "help")


class ProfileMiddleware(BaseMiddleware):
    """Injects the BotProfile of the bot that received the update."""

    def __init__(self, profiles: dict[int, BotProfile]) -> None:
        self.profiles = profiles

    async def __call__(self, handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
                       event: TelegramObject, data: dict[str, Any]) -> Any:
        data["profile"] = self.profiles[data["bot"].id]
        return await handler(event, data)


def _session(api: TelegramAPIServer) -> AiohttpSession:
    session = AiohttpSession(api=api)
    session.middleware(RetryAfterMiddleware())
    return session


def make_bots(services: Services) -> list[tuple[str, Bot, str | None]]:
    """(key, Bot, locked persona) for the shared token and each persona's own token."""
    s = services.settings
    api = TelegramAPIServer.from_base(s.telegram_api_url, is_local=s.telegram_api_local)
    bots: list[tuple[str, Bot, str | None]] = []
    if s.bot_token:
        bots.append(("main", Bot(s.bot_token.get_secret_value(), session=_session(api)), None))
    for agent, token in s.agent_bot_tokens.items():
        persona = services.personas.get(agent)
        if persona is None:
            raise ConfigError(f"AGENT_BOT_TOKENS__{agent.upper()}: there is no persona {agent!r} in "
                              f"{s.agents_file}. Fix: use one of {', '.join(services.personas.agents)}")
        key = persona.key
        bots.append((key, Bot(token.get_secret_value(), session=_session(api)), key))
    if not bots:
        raise ConfigError("BOT_TOKEN is not set. "
                          "Fix: put BOT_TOKEN=123456:ABC... in .env, or run `python -m bot console`")
    return bots


async def _profile(key: str, bot: Bot, locked: str | None, services: Services) -> BotProfile:
    try:
        me = await bot.me()  # cached: aiogram's polling asks the same and gets this answer, not a second getMe
    except TelegramUnauthorizedError:
        name = "BOT_TOKEN" if key == "main" else f"AGENT_BOT_TOKENS__{key.upper()}"
        raise ConfigError(f"{name}: Telegram rejected this token. Fix: copy it again from @BotFather") from None
    except TelegramNetworkError:
        url = services.settings.telegram_api_url
        raise ConfigError(f"TELEGRAM_API_URL: cannot reach the Telegram Bot API at {url}. "
                          "Fix: check the network, or the address of your local Bot API server") from None
    s = services.settings
    pacer = ChatPacer(s.update_interval, burst=s.update_burst, group_per_minute=s.group_messages_per_minute)
    bot.session.middleware(PaceObserver(pacer))  # inside RetryAfterMiddleware: sees every 429, retried or not
    opts = DeliveryOptions(pacer, first_delay=s.first_update_delay)
    return BotProfile(key=key, bot=bot, delivery=opts, locked=locked, username=me.username or "")


def _menu(tr: Translator, *extra: str) -> list[BotCommand]:
    return [BotCommand(command=c, description=tr(f"cmd_{c}")) for c in (*extra, *COMMANDS)]


async def _set_commands(bot: Bot, owners: tuple[int, ...] = ()) -> None:
    langs = languages()
    # One menu per catalog language and per code that reads another's catalogs (ru → uk); the one for all other
    # codes is Telegram's default.
    menus = {lang: lang for lang in langs.available} | langs.fallbacks
    for code, lang in menus.items():
        try:
            await bot.set_my_commands(_menu(translator(lang)), language_code=None if code == langs.other else code)
        except Exception as exc:  # noqa: BLE001 - a menu is a nicety, never a reason not to start
            log.warning("could not set the command menu: %s", exc)
    for owner in owners:  # owners also see /admin in their menu (Telegram: a menu per chat)
        try:
            await bot.set_my_commands(_menu(translator(langs.default), "admin"),
                                      scope=BotCommandScopeChat(chat_id=owner))
        except Exception as exc:  # noqa: BLE001 - e.g. the owner never opened a chat with this bot
            log.info("no admin menu for owner %s: %s", owner, exc)


FLOW_TTL = 86400  # seconds a flow's state lives in Redis: past every flow's own time-out (bot/flows/states.py)


def fsm_storage(settings: Settings) -> BaseStorage:
    """Where flow states (bot/flows/states.py) live, as FSM_STORAGE says: `memory`, this process only, or `redis`
    (REDIS_URL), which survives restarts and is shared by replicas."""
    if settings.fsm_storage == "memory":
        return MemoryStorage()
    if settings.fsm_storage == "redis" and settings.redis_url is not None:
        from aiogram.fsm.storage.base import DefaultKeyBuilder
        from aiogram.fsm.storage.redis import RedisStorage  # redis-py loads only with REDIS_URL (start-up time)

        # Keys carry the bot and destiny as MemoryStorage's do: persona bots keep their flows apart.
        keys = DefaultKeyBuilder(prefix="dagi:fsm", with_bot_id=True, with_destiny=True)
        return RedisStorage.from_url(settings.redis_url.get_secret_value(), key_builder=keys,
                                     state_ttl=FLOW_TTL, data_ttl=FLOW_TTL)
    raise ConfigError(f"FSM_STORAGE: unknown storage {settings.fsm_storage!r}. Fix: use memory, or redis + REDIS_URL")


def photo_desk(services: Services) -> PhotoDesk:
    """Albums collected in this process, or with REDIS_URL in Redis: one replica answers an album spread over
    several."""
    wait = services.settings.album_wait
    if (client := services.redis()) is None:
        return PhotoDesk(wait)
    from storage.album_items import AlbumItems

    return PhotoDesk(wait, AlbumItems(client, wait))


def build_dispatcher(services: Services, profiles: dict[int, BotProfile], desk: PhotoDesk | None = None) -> Dispatcher:
    """Routers per feature, dependencies injected by name, one error handler."""
    # A flow belongs to the user who started it, in that chat and forum topic (as chats keep a persona per topic).
    dp = Dispatcher(storage=fsm_storage(services.settings), fsm_strategy=FSMStrategy.USER_IN_TOPIC,
                    store=services.store, personas=services.personas, conversations=services.conversations,
                    settings=services.settings, flood=FloodControl.from_settings(services.settings),
                    usage_guard=services.router.usage, ledger=services.ledger,
                    desk=desk or photo_desk(services), kb=services.kb, ops=services.ops,
                    search_use=services.search_use, voice_use=services.voice_use,
                    model_router=services.router, file_limits=services.file_limits())
    # A chat's updates reach their handlers in arrival order: ahead of aiogram's FSM middleware, whose Redis read
    # (REDIS_URL) could let a chat's second message overtake its first.
    dp.update.outer_middleware.unregister(dp.fsm)
    dp.update.outer_middleware(Arrival())
    dp.update.outer_middleware(dp.fsm)
    dp.update.outer_middleware(UpdateObserver())  # counts every update; binds its ids for JSON log lines
    dp.update.outer_middleware(ProfileMiddleware(profiles))
    dp.update.outer_middleware(FlowTimeouts())  # after aiogram's own FSM middleware: an expired flow is no flow
    dp.update.outer_middleware(I18nMiddleware())  # `tr` for every handler and the middlewares below
    ops = services.ops
    if ops is not None:  # roles, bans and the access mode, checked once before any handler
        refusals = Throttle()  # refused admin attempts stored: one a minute per user, whichever guard refused
        gate = AccessMiddleware(ops.access, ops.people, refusals)
        dp.message.outer_middleware(gate)
        dp.callback_query.outer_middleware(gate)
        dp.include_router(admin.router(ops.people, refusals))
    for observer in (dp.message, dp.callback_query, dp.edited_message):
        observer.middleware(Reached())  # at the handler: the chat's next update may go on
    dp.include_routers(agent_pick.router(), usage.router(), chat_settings.router(), reminders.router(),
                       forget.router(), photos.router(), voice.router(), knowledge.router(), search.router(),
                       memory.router(), commands.router(), chat.router())

    @dp.errors(ExceptionTypeFilter(Exception))
    async def on_error(event: ErrorEvent) -> None:
        log.error("unhandled error: %r", event.exception, exc_info=event.exception)
        query = event.update.callback_query
        msg = event.update.message or (query.message if query else None)
        user = event.update.message.from_user if event.update.message else (query.from_user if query else None)
        if query is not None:  # stop the button's spinner, whatever happens next
            with contextlib.suppress(Exception):
                await query.answer()
        if msg is not None:
            try:
                await msg.answer(translator(user.language_code if user else None)("internal"))
            except Exception:
                log.exception("could not tell the user about the error")

    return dp


async def run_telegram(services: Services, *, started: Callable[[], None] | None = None) -> None:
    """Poll every bot (or serve their webhooks: WEBHOOK_URL) until stopped; first answer messages a crash left
    unanswered; `started()` once polling."""
    share_generic_cache()
    bots = make_bots(services)
    try:
        async with services.endpoints():  # METRICS_PORT: /metrics, /healthz, /readyz (either mode)
            await _poll(services, bots, started)
    finally:
        for _, bot, _ in bots:
            await bot.session.close()


async def _jobs(ops: Ops | None) -> None:
    """Start the scheduler once polling has begun (APScheduler loads then); stopped with polling, and its jobs stay
    stored in the database. Reminders a wiped job table lost are made again and their sweep begins."""
    if ops is None or ops.scheduler is None:
        return
    try:
        schedule_system_jobs(ops)
        ops.scheduler.start()
    except Exception:
        log.exception("the scheduler did not start: no scheduled jobs or reminders until a restart")
        return
    await reminders.on_startup(ops)


async def _until_stopped(dp: Dispatcher, polling: asyncio.Future[None]) -> None:
    """Wait for polling; when cancelled, stop it through aiogram so no poller outlives us.

    Cancelling `start_polling` itself leaves its per-bot polling tasks running (it awaits them with
    `asyncio.wait`): they would go on taking updates with closed clients and answer them wrongly.
    """
    try:
        await asyncio.shield(polling)
    except asyncio.CancelledError:
        try:
            await dp.stop_polling()
        except RuntimeError:  # polling had not started yet: nothing is running but the start itself
            polling.cancel()
        await asyncio.gather(polling, return_exceptions=True)
        raise


def _start_polling(dp: Dispatcher, bots: list[tuple[str, Bot, str | None]]) -> asyncio.Future[None]:
    for _, bot, _ in bots:
        bot.session.middleware(WebhookOff())  # a webhook left by webhook mode is removed, its pending updates kept
    return asyncio.ensure_future(dp.start_polling(*(b for _, b, _ in bots),
                                                  allowed_updates=dp.resolve_used_update_types()))


async def _receive(services: Services, dp: Dispatcher, by_key: dict[str, BotProfile], first_poll: FirstPoll) -> None:
    """Webhook mode (WEBHOOK_URL): Telegram posts the updates; start-up work runs once it knows where."""
    from bot.webhook.run import receive  # only here: polling never loads the web server (start-up time)
    from storage.updates import Fronted, UpdateGuard, UpdateInbox

    inbox = UpdateInbox(services.store.db, owner=services.settings.replica_id)
    guard: UpdateGuard = inbox
    if (client := services.redis()) is not None:  # replicas: a repeat Redis has seen never reaches the database
        from storage.seen_redis import RedisSeen

        guard = Fronted(RedisSeen(client), inbox)
    await receive(dp, {k: p.bot for k, p in by_key.items()}, services.settings, inbox, guard=guard,
                  ready=first_poll.polling.set, busy=first_poll.busy.set,
                  routes=(services.observability().add_routes,))  # /metrics, /healthz, /readyz on the same port


async def _poll(services: Services, bots: list[tuple[str, Bot, str | None]],
                started: Callable[[], None] | None = None) -> None:
    """Start every bot, answer what a crash left pending, and poll (or receive) until stopped."""
    profiles: dict[int, BotProfile] = {}
    for key, bot, locked in bots:
        profile = await _profile(key, bot, locked, services)
        profiles[bot.id] = profile
    by_key = {p.key: p for p in profiles.values()}
    # Photos are downloaded through the bot that received them (a file id is valid for that bot only).
    services.conversations.media = TelegramMedia({k: p.bot for k, p in by_key.items()}, services.image_limits(),
                                                 services.file_limits())
    desk = photo_desk(services)
    dp = build_dispatcher(services, profiles, desk)

    def recovered(inbound: Inbound) -> TelegramSink:
        return sink_for(by_key[inbound.scope.bot], inbound, reply_to=inbound.tg_message_id)

    recovery = asyncio.create_task(services.conversations.recover(recovered, list(by_key)))
    background: list[asyncio.Task[Any]] = [recovery]
    if (turns := services.conversations.replicas) is not None:  # webhook: keep our leases, answer what others left
        background.append(asyncio.create_task(tend(services.conversations, recovered, list(by_key), turns.lease)))
    ops = services.ops
    if ops is not None:
        ops.notifier = TelegramNotifier({k: p.bot for k, p in by_key.items()})
        await restore(ops)  # targets switched off and agent routes set from chat survive restarts
        background.append(asyncio.create_task(keep_in_sync(ops)))  # and reach every replica within a minute
        if services.settings.redis_url is not None:  # at once through Redis, with circuit openings; the above stays
            from ops.shared_state import follow_replicas, share_in_flight
            from storage.inflight_redis import SharedInFlight

            background.append(asyncio.create_task(follow_replicas(ops, services.settings.redis_url.get_secret_value())))
            if (client := services.redis()) is not None:  # a shared server's slots counted once across replicas
                shared = SharedInFlight(client, services.settings.replica_id)
                background.append(asyncio.create_task(share_in_flight(ops, shared)))
    first_poll = FirstPoll()
    for _, bot, _ in bots:
        bot.session.middleware(first_poll)
    owners = services.ops.settings.owners if services.ops else ()

    async def menus() -> None:
        for _, bot, _ in bots:
            await _set_commands(bot, owners)
    background.append(asyncio.create_task(after_first_poll(first_poll, menus, started, jobs=lambda: _jobs(ops))))
    try:
        if services.settings.webhook_url:
            await _receive(services, dp, by_key, first_poll)
        else:
            await _until_stopped(dp, _start_polling(dp, bots))
    finally:
        if ops is not None and ops.scheduler is not None:
            ops.scheduler.stop()
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
        await desk.aclose()
        await dp.storage.close()  # Redis: its connection pool
        await dp["flood"].aclose()  # and the flood windows' (REDIS_URL)
