"""The composition root: builds the Application, wires services, runs it.

``run`` serves every instance the same way: the outbox sender, and in webhook mode
the webhook. What one instance does at a time — polling Telegram (or registering the
webhook), the digest schedule and the periodic jobs — starts when this process wins
the leader's lease (:mod:`newsbot.bot.cluster`) and stops when it loses it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import signal
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from telegram import Bot, BotCommand, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, NetworkError, RetryAfter
from telegram.ext import (
    Application,
    ApplicationBuilder,
    ApplicationHandlerStop,
    ContextTypes,
    TypeHandler,
)
from telegram.request import HTTPXRequest

from newsbot.bot import admin, channels, gate, reading, sources, subscribing
from newsbot.bot.cluster import (
    LEADER,
    Leadership,
    LeaseTiming,
    WebhookServer,
    refuse_second_instance,
)
from newsbot.bot.context import BotData, NewsContext, Services, language_of
from newsbot.bot.replies import PerChatUpdates, ReplyLimiter
from newsbot.bot.startup import PollingTrouble, bot_api_host, reach_bot_api_blocking
from newsbot.config import Config
from newsbot.delivery.budget import build_limiter
from newsbot.delivery.sender import Deliverer, DeliveryLimits
from newsbot.digest.builder import DigestBuilder
from newsbot.digest.scheduler import DigestScheduler
from newsbot.digest.workers import DigestWorkers
from newsbot.errors import ConfigError, SourceError
from newsbot.ingest import ingest
from newsbot.ops.server import serve_ops
from newsbot.render import LANGUAGES, Renderer
from newsbot.sources.rounds import fetch_round
from newsbot.store import Store
from newsbot.store.leases import new_holder
from newsbot.views import READER_COMMANDS, SUBSCRIPTION_COMMANDS

__all__ = ["build_application", "build_services", "run"]

log = logging.getLogger(__name__)
_TAGS = re.compile(r"<[^>]+>")

NewsApplication = Application[Any, NewsContext, Any, Any, BotData, Any]


def build_services(config: Config, store: Store | None = None) -> Services:
    store = store or Store.open(config.database.url)
    renderer = Renderer(config.tz, config.bot.templates_dir or None)
    return Services(
        config=config,
        store=store,
        renderer=renderer,
        digests=DigestBuilder(store, renderer, nothing_new=config.digest.nothing_new_message),
    )


def delivery_limits(config: Config) -> DeliveryLimits:
    d = config.delivery
    return DeliveryLimits(
        overall_per_second=d.overall_per_second,
        private_per_second=d.private_per_second,
        group_per_minute=d.group_per_minute,
        max_attempts=d.max_attempts,
        retry_hours=d.retry_hours,
    )


def build_application(services: Services, *, dedupe_updates: bool | None = None) -> NewsApplication:
    """The PTB Application with every handler, job and hook; not started.

    ``dedupe_updates``: handle each update id once, whichever instance receives it
    (default: on PostgreSQL, where several instances may run; ``run`` turns it on
    for webhooks).
    """
    config = services.config
    # httpx logs each request URL at INFO, and Bot API URLs contain the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    limits = delivery_limits(config)
    # One limiter for replies and the outbox: replies go first, the fan-out waits;
    # its windows and pauses are shared with the other instances when configured.
    limiter = build_limiter(config, services.store, limits.rate_limits())
    builder: ApplicationBuilder[Any, Any, Any, Any, Any, Any] = (
        ApplicationBuilder()
        .token(config.telegram.token)
        .context_types(ContextTypes(context=NewsContext, bot_data=BotData))
        .arbitrary_callback_data(True)
        .rate_limiter(ReplyLimiter(limiter))
        .concurrent_updates(PerChatUpdates())
        .request(_NotingRequest(services, connection_pool_size=256))
        .get_updates_request(_NotingRequest(services))
        .post_init(_post_init)
        .post_stop(_post_stop)
    )
    # The outbox has its own retries and flood handling: it sends with a plain Bot,
    # outside the reply limiter's hook, but takes its places in the same limiter.
    outbox_bot = Bot(config.telegram.token, request=_NotingRequest(services))
    if config.telegram.base_url:
        base = config.telegram.base_url.rstrip("/")
        file_base = re.sub(r"/bot$", "/file/bot", base)
        builder = builder.base_url(base).base_file_url(file_base)
        outbox_bot = Bot(
            config.telegram.token,
            base_url=base,
            base_file_url=file_base,
            request=_NotingRequest(services),
        )
    app: NewsApplication = builder.build()
    app.bot_data.services = services
    if services.store.dialect == "postgresql" if dedupe_updates is None else dedupe_updates:
        app.add_handler(TypeHandler(Update, _once), group=-3)  # before the gate's -2
    gate.register(app)
    app.add_handler(TypeHandler(Update, _log_update), group=-1)
    reading.register(app)
    subscribing.register(app)
    channels.register(app)
    admin.register(app)
    sources.register(app)
    reading.register_fallbacks(app)
    app.add_error_handler(_ErrorHandler(bot_api_host(config.telegram)).on_error)
    job_queue = app.job_queue
    assert job_queue is not None, "python-telegram-bot[job-queue] is required"
    minutes = config.seeds.ingest_interval_minutes
    if minutes > 0:
        job_queue.run_repeating(
            _ingest_job, interval=minutes * 60, first=minutes * 60, name="ingest"
        )
    # Live sources: every minute, the sources that are due are fetched (one round at a
    # time: APScheduler skips a run while the previous one is still going).
    job_queue.run_repeating(_fetch_job, interval=60, first=5, name="fetch")
    services.deliverer = Deliverer(services.store.outbox, outbox_bot, limits, limiter=limiter)
    services.workers = DigestWorkers(config, services.digests, config.digest.build_processes)
    services.scheduler = DigestScheduler(
        job_queue,
        services.store,
        services.workers,
        services.notify_delivery,
        lambda: app.bot.username,
        timedelta(hours=config.digest.grace_hours),
    )
    # Subscriptions changed from the server's CLI reach the schedule within a minute.
    job_queue.run_repeating(_sync_job, interval=60, first=60, name="subscriptions-sync")
    job_queue.run_repeating(_prune_job, interval=3600, first=60, name="prune-updates")
    return app


class _NotingRequest(HTTPXRequest):
    """PTB's HTTP client, noting on ``services.last_telegram_ok`` when Telegram last
    answered a call with success (for /healthz)."""

    def __init__(self, services: Services, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._services = services

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        code, payload = await super().do_request(*args, **kwargs)
        if code == HTTPStatus.OK:
            self._services.last_telegram_ok = datetime.now(UTC)
        return code, payload


async def _post_init(app: NewsApplication) -> None:
    """On start of one instance leading at once (tests, embedding): the leader's duties,
    then the outbox sender."""
    services = app.bot_data.services
    assert services is not None
    services.role = "leader"
    await _take_lead(app)
    await _start_outbox(app)


async def _take_lead(app: NewsApplication) -> None:
    """The leader's start: the command menu (Chinese default, English), digest workers,
    the schedule, digests missed while no instance led."""
    services = app.bot_data.services
    assert services is not None
    for lang in LANGUAGES:
        commands = [
            BotCommand(c.name, _TAGS.sub("", services.renderer.text(f"cmd.{c.name}", lang)))
            for c in (*READER_COMMANDS, *SUBSCRIPTION_COMMANDS)
        ]
        await app.bot.set_my_commands(commands, language_code=None if lang == "zh" else lang)
    log.info("bot @%s ready; command menu registered", app.bot.username)
    assert services.scheduler is not None and services.deliverer is not None
    if services.workers is not None:
        with _sigint_ignored():
            await services.workers.warm_up()
    scheduled = await services.scheduler.sync_all()
    sent, skipped = await services.scheduler.catch_up()
    log.info(
        "%d subscriptions scheduled; %d missed digests sent, %d skipped", scheduled, sent, skipped
    )


async def _start_outbox(app: NewsApplication) -> None:
    """The outbox sender, which every instance runs."""
    services = app.bot_data.services
    assert services is not None and services.deliverer is not None
    services.stopping.clear()
    await services.deliverer.bot.initialize()
    # Our own task, not app.create_task: it must outlive post_init and be awaited on stop.
    services.delivery_task = asyncio.get_running_loop().create_task(
        services.deliverer.run(services.stopping), name="outbox"
    )


@contextmanager
def _sigint_ignored() -> Iterator[None]:
    """Processes started inside inherit SIGINT ignored: a terminal's Ctrl-C reaches the
    whole process group, and stopping the digest workers is the bot's business (no
    ``KeyboardInterrupt`` traceback from each of them)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


async def _post_stop(app: NewsApplication) -> None:
    """Let the outbox finish the message in flight, close the send budget, then stop."""
    services = app.bot_data.services
    if services is not None:
        services.stopping.set()
        if services.delivery_task is not None:
            await services.delivery_task
            services.delivery_task = None
        if services.deliverer is not None:
            await services.deliverer.bot.shutdown()
            # The shared budget's last writes, then its connections (Redis).
            await services.deliverer.limiter.aclose()
        if services.workers is not None:
            services.workers.close()


async def _sync_job(context: NewsContext) -> None:
    scheduler = context.services.scheduler
    if scheduler is not None:
        await scheduler.sync_all()


async def _prune_job(context: NewsContext) -> None:
    """Forget the update ids handled more than a day ago."""
    store = context.services.store
    await asyncio.to_thread(store.updates.prune, datetime.now(UTC) - timedelta(days=1))


async def _once(update: Update, context: NewsContext) -> None:
    """An update delivered twice (a webhook behind a load balancer, updates fetched
    again after the leader died) is handled once, by whichever instance records it
    first."""
    store = context.services.store
    if not await asyncio.to_thread(store.updates.first_time, update.update_id, datetime.now(UTC)):
        log.info("update %s was handled already; not again", update.update_id)
        raise ApplicationHandlerStop


async def _log_update(update: Update, context: NewsContext) -> None:
    """One INFO line per update (never the token: it is not part of an update)."""
    message = update.effective_message
    what = (
        f"button {update.callback_query.data!r}"[:80]
        if update.callback_query
        else (message.text or "<non-text>")[:80]
        if message
        else update.to_dict().keys()
    )
    log.info(
        "update %s chat=%s user=%s lang=%s: %s",
        update.update_id,
        update.effective_chat.id if update.effective_chat else None,
        update.effective_user.id if update.effective_user else None,
        language_of(update),
        what,
    )


class _ErrorHandler:
    """Errors of handlers, jobs and polling: logged, and the reader told once."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.polling = PollingTrouble()
        self.apologised: deque[int] = deque(maxlen=1000)  # update ids

    async def on_error(self, update: object, context: NewsContext) -> None:
        """Fetching updates failed (no update): one line. A reply Telegram kept refusing
        for flood control or the network (after the reply limiter's retries): logged,
        no apology, which would meet the same fate. Else log, then apologise once."""
        error = context.error
        if update is None and error is not None and self.polling.handles(error):
            self.polling.report(error, self.where)
            return
        if isinstance(error, RetryAfter | NetworkError) and not isinstance(error, BadRequest):
            log.warning(
                "reply to update %s not sent: %s",
                getattr(update, "update_id", "?"),
                " ".join(str(error).split()),
            )
            return
        if isinstance(update, Update):
            if update.update_id in self.apologised:
                log.error("another error for update %s", update.update_id, exc_info=error)
                return
            self.apologised.append(update.update_id)
        await _on_error(update, context)


async def _on_error(update: object, context: NewsContext) -> None:
    """Log first, then apologise to the reader; the bot keeps running."""
    payload = update.to_dict() if isinstance(update, Update) else repr(update)
    log.error(
        "error while handling update %s",
        json.dumps(payload, ensure_ascii=False, default=str)[:2000],
        exc_info=context.error,
    )
    if isinstance(update, Update) and update.effective_chat is not None:
        text = context.services.renderer.text("error.internal", language_of(update))
        try:
            await update.effective_chat.send_message(text, parse_mode=ParseMode.HTML)
        except Exception:  # the apology itself failed (e.g. blocked): already logged above
            log.warning(
                "could not send the apology for update %s", getattr(update, "update_id", "?")
            )


async def _ingest_job(context: NewsContext) -> None:
    """Pick up seed files a scraper dropped in since the last run."""
    services = context.services
    config = services.config
    await asyncio.to_thread(
        ingest,
        services.store,
        [Path(config.seeds.dir)],
        max_bytes=int(config.seeds.max_file_mb * 1_000_000),
    )


async def _fetch_job(context: NewsContext) -> None:
    """Fetch the live sources that are due and ingest what they brought."""
    services = context.services
    await asyncio.to_thread(fetch_and_ingest, services.store, services.config)


def fetch_and_ingest(store: Store, config: Config) -> None:
    """One fetch round of the due sources, then ingest of the pages saved (in a thread:
    the round has its own event loop, so the bot's loop never waits on a slow site)."""
    if not store.sources.due(datetime.now(UTC)):
        return
    report = asyncio.run(fetch_round(store, Path(config.seeds.dir), config.fetch))
    if report.paths:
        ingest(store, report.paths, max_bytes=int(config.seeds.max_file_mb * 1_000_000))


def run(config: Config, store: Store | None = None, *, webhook_url: str = "") -> None:
    """Migrate, then serve until SIGINT/SIGTERM: the outbox always, and Telegram's
    updates and the schedule while this process leads (see the module's docstring).

    ``webhook_url``: receive updates on a webhook (``[telegram] webhook_*``) instead
    of long polling. ``store``, when given, is used (and closed on the way out)
    instead of opening one.
    """
    services = build_services(config, store)
    stop_ops = serve_ops(services)  # /metrics and /healthz, when [ops] port is set
    holder = new_holder()
    timing = LeaseTiming()
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        if services.store.dialect == "sqlite":  # one instance per SQLite file
            refuse_second_instance(services.store.leases, holder, timing)
        if not reach_bot_api_blocking(config.telegram, loop):
            log.info("stopped before the Bot API could be reached")
            return
        log.info(
            "database %s; seed store %s",
            config.database.display_url,
            Path(config.seeds.dir).absolute(),
        )
        try:
            services.store.sources.sync_config(config.sources, datetime.now(UTC))
        except SourceError as exc:
            raise ConfigError(str(exc)) from None
        app = build_application(services, dedupe_updates=True if webhook_url else None)
        loop.run_until_complete(_serve(app, holder, timing, webhook_url))
        log.info("stopped cleanly")
    finally:
        with suppress(Exception):  # e.g. stopped before serving (SQLite took it at once)
            services.store.leases.release(LEADER, holder)
        if not loop.is_closed():
            loop.close()
        stop_ops()
        services.store.close()


async def _serve(app: NewsApplication, holder: str, timing: LeaseTiming, webhook_url: str) -> None:
    """Every instance: the outbox and (webhook mode) the webhook; the leader's duties
    while the lease is ours. Returns after SIGINT or SIGTERM, everything stopped."""
    services = app.bot_data.services
    assert services is not None and app.job_queue is not None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    webhook: WebhookServer | None = None
    telegram = services.config.telegram
    if webhook_url:
        webhook = WebhookServer(
            app,
            telegram.webhook_listen,
            telegram.webhook_port,
            urlsplit(webhook_url).path or "/",
            telegram.webhook_secret,
        )

    async def promote() -> None:
        await _lead(app, webhook_url)

    async def demote() -> None:
        await _stop_leading(app)

    def on_role(role: str) -> None:
        services.role = role

    leadership = Leadership(services.store.leases, holder, promote, demote, on_role, timing)
    await app.initialize()
    try:
        await _start_outbox(app)
        await app.start()
        app.job_queue.scheduler.pause()  # no jobs until this process leads
        if webhook is not None:
            await webhook.start()
        await leadership.run(stop)
    finally:
        await leadership.close()
        if webhook is not None:
            await webhook.stop()
        if app.running:
            await app.stop()
        await _post_stop(app)
        await app.shutdown()


async def _lead(app: NewsApplication, webhook_url: str) -> None:
    """This process won the lease: the seed store, the schedule and the jobs, then
    Telegram's updates (polling, or the webhook registered)."""
    services = app.bot_data.services
    assert services is not None and app.job_queue is not None and app.updater is not None
    config = services.config
    seeds = Path(config.seeds.dir)
    if seeds.is_dir():
        await asyncio.to_thread(
            ingest, services.store, [seeds], max_bytes=int(config.seeds.max_file_mb * 1_000_000)
        )
    else:
        log.warning("seed store %s does not exist; starting with what the database holds", seeds)
    await _take_lead(app)
    app.job_queue.scheduler.resume()
    if webhook_url:
        # Only the leader tells Telegram where updates go; every instance serves them.
        await app.bot.set_webhook(
            webhook_url,
            secret_token=config.telegram.webhook_secret or None,
            allowed_updates=Update.ALL_TYPES,
        )
        log.info("webhook registered with Telegram")
        return

    def polling_error(exc: Exception) -> None:
        app.create_task(app.process_error(error=exc, update=None))

    # bootstrap_retries=-1: should the network drop, PTB retries (with growing pauses).
    await app.updater.start_polling(
        allowed_updates=Update.ALL_TYPES,
        drop_pending_updates=False,
        bootstrap_retries=-1,
        error_callback=polling_error,
    )


async def _stop_leading(app: NewsApplication) -> None:
    """The lease is lost (or we stop): no more polling, no jobs."""
    assert app.job_queue is not None and app.updater is not None
    if app.updater.running:
        await app.updater.stop()
    if app.job_queue.scheduler.running:
        app.job_queue.scheduler.pause()
