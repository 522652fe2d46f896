"""Start the real newsbot Application against the fake Bot API, with a filled store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from newsbot.bot.app import NewsApplication, build_application, build_services
from newsbot.config import BotConfig, Config, DatabaseConfig, SeedsConfig, TelegramConfig
from newsbot.store import Store
from tests.factories import fill, make_article
from tests.fakebotapi import FakeBotApi

__all__ = ["Running", "bot_config", "fill", "running_bot"]


@dataclass
class Running:
    api: FakeBotApi
    app: NewsApplication
    store: Store
    config: Config


def bot_config(api: FakeBotApi, tmp_path: Path, url: str, admins: tuple[int, ...] = ()) -> Config:
    return Config(
        database=DatabaseConfig(url=url),
        seeds=SeedsConfig(dir=str(tmp_path / "seeds"), ingest_interval_minutes=0),
        telegram=TelegramConfig(token=api.token, base_url=api.base_url),
        bot=BotConfig(admins=admins),
    )


@asynccontextmanager
async def running_bot(api: FakeBotApi, config: Config) -> AsyncIterator[Running]:
    """The composition root's Application, initialised, post-init run, polling."""
    services = build_services(config)
    app = build_application(services)
    try:
        async with app:
            assert app.post_init is not None
            await app.post_init(app)
            await app.start()
            assert app.updater is not None
            await app.updater.start_polling(timeout=5)
            try:
                yield Running(api, app, services.store, config)
            finally:
                await app.updater.stop()
                await app.stop()
                if app.post_stop is not None:
                    await app.post_stop(app)
    finally:
        services.store.close()


def two_article_store(path: Path) -> str:
    """An SQLite store at ``path`` holding two articles (tags 财经 and 体育); its URL."""
    url = f"sqlite:///{path}"
    store = Store.open(url)
    fill(store, [make_article(1, tags=("财经",)), make_article(2, tags=("体育",))])
    store.close()
    return url
