"""Issue 8, item 20: search finds an article by its reporter's or editor's name and its source.

`/search 杨皓` found nothing for the seed: only the title, summary and body were
indexed. On both engines, through the store, the bot and the CLI, and in a database
made before the change (migration 0008 indexes its articles again).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import Text

import newsbot.store.store as store_module
from newsbot.models import ArticleIn
from newsbot.store import Store
from newsbot.store.engine import _alembic_config, create_store_engine, migrate
from newsbot.store.grams import index_grams, normalize
from tests.bot_harness import bot_config, running_bot
from tests.factories import fill, make_article
from tests.fakebotapi import FakeBotApi
from tests.old_layouts import grams_before_0012

ROOT = Path(__file__).resolve().parents[1]
READER = 3001


def _credited(n: int, author: str, editor: str, source: str) -> ArticleIn:
    """An article whose people and source appear nowhere in its title, summary or body."""
    return replace(make_article(n), author=author, editor=editor, source=source)


ARTICLES = [
    _credited(1, "杨皓", "周立波", "南方都市报"),
    _credited(2, "陈静", "吴敏", "北京青年报"),
    make_article(3),
]


def _titles(store: Store, *words: str) -> list[str]:
    return [a.title for a in store.search(list(words), limit=10).articles]


def test_the_store_finds_reporter_editor_and_source(db_url: str) -> None:
    store = Store.open(db_url)
    try:
        fill(store, ARTICLES)
        first, second = ARTICLES[0].title, ARTICLES[1].title
        assert _titles(store, "杨皓") == [first]
        assert _titles(store, "周立波") == [first]
        assert _titles(store, "南方都市报") == [first]
        assert _titles(store, "都市") == [first]  # part of a name, as of any text
        assert _titles(store, "吴敏") == [second]
        assert _titles(store, "杨皓", "地铁") == [first]  # with a word of the body
        assert _titles(store, "杨皓", "吴敏") == []
        # A changed credit line is searched by its new name only.
        fill(store, [replace(ARTICLES[0], editor="郑小龙")])
        assert _titles(store, "郑小龙") == [first]
        assert _titles(store, "周立波") == []
    finally:
        store.close()


def _old_search_text(article: ArticleIn) -> str:
    """What the store indexed before the change: title, summary and body only."""
    return normalize("\n".join([article.title, article.summary, *article.body]))


def _indexed(engine: Engine, word: str) -> int:
    """Articles whose indexed grams hold the word's, read as revision 0007 laid them out."""
    grams = sorted(index_grams(normalize(word)) - set(normalize(word)))  # its pairs
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            query = text("SELECT count(*) FROM article_search WHERE grams @> :g").bindparams(
                bindparam("g", type_=ARRAY(Text))
            )
            return int(conn.execute(query, {"g": grams}).scalar_one())
        match = " AND ".join(f'"{gram}"' for gram in grams)
        query = text("SELECT count(*) FROM article_fts WHERE article_fts MATCH :m")
        return int(conn.execute(query, {"m": match}).scalar_one())


def _downgrade(engine: Engine, revision: str) -> None:
    cfg = _alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def test_a_database_made_before_the_change_is_indexed_again(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = create_store_engine(db_url)
    try:
        migrate(engine, "0007")
        with monkeypatch.context() as old_code:
            old_code.setattr(store_module, "_search_text", _old_search_text)
            with grams_before_0012(old_code):
                fill(Store(engine), ARTICLES)
        assert _indexed(engine, "杨皓") == 0  # as it was
        assert _indexed(engine, "联合国") == 3
        migrate(engine)
        store = Store(engine)
        first = ARTICLES[0].title
        assert _titles(store, "杨皓") == [first]
        assert _titles(store, "周立波") == [first]
        assert _titles(store, "南方都市报") == [first]
        assert len(_titles(store, "联合国")) == 3  # the text as before
        assert _titles(store, "第2号", "陈静") == [ARTICLES[1].title]  # title hits too
        # The old grams were replaced, not added to: an update removes them cleanly.
        fill(store, [replace(ARTICLES[0], author="林海")])
        assert _titles(store, "林海") == [first]
        assert _titles(store, "杨皓") == []
        _downgrade(engine, "0007")  # and back: the names are no longer searched
        assert _indexed(engine, "林海") == 0
        assert _indexed(engine, "联合国") == 3
    finally:
        engine.dispose()


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    with FakeBotApi() as server:
        server.add_private_chat(READER, "读者", language_code="zh-hans")
        yield server


async def test_search_command_finds_a_reporter(
    api: FakeBotApi, tmp_path: Path, db_url: str
) -> None:
    config = bot_config(api, tmp_path, db_url)
    store = Store.open(db_url)
    fill(store, ARTICLES)
    store.close()
    async with running_bot(api, config):
        before = len(api.sent(READER))
        api.push_message(READER, None, "/search 杨皓")
        (reply,) = (await api.wait_for(before + 1, chat_id=READER))[before:]
    assert "搜索「杨皓」" in reply.plain and ARTICLES[0].title in reply.plain
    assert ARTICLES[1].title not in reply.plain


def test_cli_search_finds_a_source(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    store = Store.open(url)
    fill(store, ARTICLES)
    store.close()
    env = {**os.environ, "NEWSBOT_DATABASE_URL": url, "NEWSBOT_CONFIG": ""}
    done = subprocess.run(
        [sys.executable, "-m", "newsbot", "search", "北京青年报"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert ARTICLES[1].title in done.stdout and ARTICLES[0].title not in done.stdout
