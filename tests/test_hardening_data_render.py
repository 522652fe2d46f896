"""Oversized and dirty article fields: bounded at ingest, and rendering never raises."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from newsbot import queries
from newsbot.digest.builder import DigestBuilder
from newsbot.ingest import ingest
from newsbot.limits import FIELD_LIMITS, bound_article, shorten
from newsbot.models import Filters, SubscriptionSpec
from newsbot.render import Renderer
from newsbot.store import Store
from newsbot.store.subscriptions import Actor
from newsbot.telegram_text import MESSAGE_LIMIT, cut_html, visible_len
from newsbot.views import article_view, list_view
from tests.factories import fill, make_article

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2024, 3, 1, 0, 0, tzinfo=UTC)
LONG_SOURCE = "某某市人民政府新闻办公室" * 350  # 4,200 characters


@pytest.fixture
def renderer() -> Renderer:
    return Renderer(TZ)


def _write_records(folder: Path, *records: dict[str, object]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "big.jsonl").write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in records), encoding="utf-8"
    )


def test_oversized_record_is_bounded_and_every_reply_renders(
    tmp_path: Path, store: Store, renderer: Renderer
) -> None:
    _write_records(
        tmp_path / "seeds",
        {
            "title": "超长来源的新闻",
            "body": ["第一段正文。", "第二段正文。"],
            "source": LONG_SOURCE,
            "author": "记" * 3000,
            "editor": "编" * 3000,
            "breadcrumb": ["栏" * 1000] * 30,
            "summary": "很长的摘要。" * 800,
            "tags": ["测试"],
        },
    )
    report = ingest(store, [tmp_path / "seeds"])
    assert (report.new, report.failed) == (1, 0)
    (stored,) = store.latest(5).articles
    assert stored.source is not None and len(stored.source) <= FIELD_LIMITS["source"]
    assert stored.source.endswith("…")
    assert stored.author is not None and len(stored.author) <= FIELD_LIMITS["author"]
    assert len(stored.summary) <= FIELD_LIMITS["summary"]
    assert len(stored.breadcrumb) <= FIELD_LIMITS["breadcrumb_items"]

    latest = queries.list_page(store, queries.ListRequest("latest"), "news_bot")
    read = queries.article(store, stored.id, "news_bot")
    assert read is not None
    for messages in (
        renderer.render("article_list.html.j2", latest, "zh"),
        renderer.render("article.html.j2", read, "zh"),
    ):
        assert messages and all(visible_len(m) <= MESSAGE_LIMIT for m in messages)

    sub = store.subscriptions.create(
        chat_id=1,
        chat_type="private",
        chat_title="me",
        spec=SubscriptionSpec(filters=Filters(tags=("测试",))),
        language="zh",
        actor=Actor(1, "me"),
        now=NOW,
    )
    record = DigestBuilder(store, renderer).build(sub, NOW, "manual", NOW, "news_bot")
    assert record is not None and record.items == 1 and record.messages == 1


def test_rendering_cuts_rather_than_raises(store: Store, renderer: Renderer) -> None:
    # Stored before fields were bounded: the store takes what it is given.
    fill(store, [make_article(1, source=LONG_SOURCE)])
    page = store.latest(5)
    view = list_view("latest", "", page.articles, 0, False, "news_bot")
    messages = renderer.render("article_list.html.j2", view, "zh")
    assert all(visible_len(m) <= MESSAGE_LIMIT for m in messages)
    assert "…</i>" in messages[-1]  # the item itself, cut inside its source line
    messages = renderer.render("article.html.j2", article_view(page.articles[0], None), "zh")
    assert all(visible_len(m) <= MESSAGE_LIMIT for m in messages)


def test_control_characters_never_split_a_message(tmp_path: Path, store: Store) -> None:
    renderer = Renderer(TZ)
    _write_records(
        tmp_path / "seeds",
        {"title": "上半\u001e下半\u0007标题", "body": "正文\u0000一段。\n\n第二\u001f段。"},
    )
    assert ingest(store, [tmp_path / "seeds"]).new == 1
    (stored,) = store.latest(5).articles
    assert stored.title == "上半下半标题"
    assert stored.body == ("正文一段。", "第二段。")
    # And data stored before ingest cleaned it cannot split a message either.
    fill(store, [make_article(2, title="旧的\u001e标题")])
    view = list_view("latest", "", store.latest(5).articles, 0, False, None)
    (message,) = renderer.render("article_list.html.j2", view, "zh")
    assert "旧的标题" in message


def test_shorten_cuts_at_a_sentence_or_word() -> None:
    assert shorten("短句。", 10) == "短句。"
    assert shorten("第一句话说完了。第二句话还没有说完就被截断", 14) == "第一句话说完了。…"
    assert shorten("alpha beta gamma delta", 15) == "alpha beta…"
    assert shorten("一" * 50, 10) == "一" * 9 + "…"
    assert len(shorten("x" * 500, 100)) == 100


def test_bound_article_keeps_a_normal_article() -> None:
    article = make_article(3)
    assert bound_article(article) == article


def test_cut_html_keeps_tags_balanced() -> None:
    markup = "<b>" + "标" * 50 + "</b> <i>" + "&lt;" * 50 + "</i>"
    cut = cut_html(markup, 60)
    assert visible_len(cut) <= 60
    assert cut.endswith("…</i>") and cut.count("<i>") == cut.count("</i>")
    assert cut_html("<b>ok</b>", 10) == "<b>ok</b>"
