"""Templates and the renderer: escaping, Telegram's length rule, splitting, languages."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from newsbot.models import Article, TagCount
from newsbot.render import BREAK, Renderer, hashtag, split_text
from newsbot.telegram_text import html_to_plain, utf16_len, visible_len
from newsbot.views import READER_COMMANDS, HelpView, TagsView, article_view, list_view
from tests.factories import make_article

TZ = ZoneInfo("Asia/Shanghai")


def stored(n: int = 0, **changes: object) -> Article:
    a = make_article(n)
    article = Article(
        id=f"abcd{n:04d}",
        title=a.title,
        body=a.body,
        summary=a.summary,
        summary_generated=a.summary_generated,
        source=a.source,
        published=a.published,
        published_precision=a.published_precision,
        author=a.author,
        editor=a.editor,
        breadcrumb=a.breadcrumb,
        keywords=a.keywords,
        tags=a.tags,
        url=a.url,
        ingested_at=datetime(2024, 1, 1, tzinfo=UTC),
    )
    return replace(article, **changes)  # type: ignore[arg-type]


@pytest.fixture
def renderer() -> Renderer:
    return Renderer(TZ)


def test_list_item_has_link_summary_source_date_tags(renderer: Renderer) -> None:
    view = list_view("latest", "", [stored(1)], 0, False, "news_bot")
    (message,) = renderer.render("article_list.html.j2", view, "zh")
    assert '<a href="https://t.me/news_bot?start=a_abcd0001">' in message
    assert "第1号新闻摘要。" in message
    assert "来源: 测试日报" in message
    assert "2024-01-01 09:00" in message
    assert "#城市 #交通" in message
    assert "最新文章" in message


def test_own_url_wins_over_deep_link(renderer: Renderer) -> None:
    view = list_view(
        "latest", "", [stored(1, url="https://example.com/a?b=1&c=2")], 0, False, "bot"
    )
    (message,) = renderer.render("article_list.html.j2", view, "en")
    assert 'href="https://example.com/a?b=1&amp;c=2"' in message
    assert "Latest articles" in message


def test_hostile_strings_are_escaped(renderer: Renderer) -> None:
    nasty = '<b>粗体</b> & "引号" <script>alert(1)</script> &amp; <a href="x">'
    article = stored(1, title=nasty, summary=nasty, source=nasty, tags=("<i>", "a&b"))
    (message,) = renderer.render(
        "article_list.html.j2", list_view("search", nasty, [article], 0, False, "b"), "zh"
    )
    assert "<script>" not in message and "<b>粗体" not in message
    assert "&lt;b&gt;粗体&lt;/b&gt; &amp; &#34;引号&#34;" in message
    assert nasty in html_to_plain(message)


def test_long_list_splits_between_items_only(renderer: Renderer) -> None:
    articles = [stored(n, summary="很长的摘要。" * 40, title="标题" * 60) for n in range(20)]
    view = list_view("latest", "", articles, 0, False, "bot")
    messages = renderer.render("article_list.html.j2", view, "zh")
    assert len(messages) > 1
    assert all(visible_len(m) <= 4096 for m in messages)
    joined = "\n".join(messages)
    for n in range(20):
        assert joined.count(f"abcd{n:04d}") == 2  # once in the link, once as the id: none lost
    for m in messages:
        assert m.count("<a ") == m.count("</a>")


def test_long_article_splits_at_paragraphs_and_loses_nothing(renderer: Renderer) -> None:
    paragraph = "这是一个相当长的段落，用来测试分段发送。" * 30
    huge = "没有标点的超长文字" * 900  # one paragraph far longer than a message
    article = stored(1, body=(paragraph,) * 12 + (huge,))
    messages = renderer.render("article.html.j2", article_view(article, "bot"), "zh")
    assert all(visible_len(m) <= 4096 for m in messages)
    text = "".join(html_to_plain(m) for m in messages)
    assert text.count("这是一个相当长的段落") == 30 * 12
    assert text.replace("\n", "").count("没有标点的超长文字") == 900


def test_emoji_and_long_runs_count_as_telegram_counts(renderer: Renderer) -> None:
    assert utf16_len("😀") == 2
    assert visible_len("<b>a&lt;b</b>") == 3
    pieces = split_text("😀" * 3000, 4096)
    assert all(utf16_len(p) <= 4096 for p in pieces) and "".join(pieces) == "😀" * 3000
    article = stored(1, title="😀" * 100, body=("x" * 9000,))
    messages = renderer.render("article.html.j2", article_view(article, "bot"), "en")
    assert all(visible_len(m) <= 4096 for m in messages)


def test_tags_and_help_templates(renderer: Renderer) -> None:
    (tags,) = renderer.render(
        "tags.html.j2", TagsView((TagCount("营商环境", 3), TagCount("a b", 1))), "zh"
    )
    assert "#营商环境 (3)" in tags and "#a_b (1)" in tags
    (empty,) = renderer.render("tags.html.j2", TagsView(()), "en")
    assert "No tags yet" in empty
    help_zh = "".join(renderer.render("help.html.j2", HelpView(READER_COMMANDS), "zh"))
    for command in READER_COMMANDS:
        assert f"/{command.name}" in help_zh
    assert "/search 高新区 服务" in help_zh


def test_hashtag() -> None:
    assert hashtag("营商环境") == "#营商环境"
    assert hashtag("5G") == "#5G"
    assert hashtag("2021") == "#t_2021"
    assert hashtag("a-b c") == "#a_b_c"


def test_override_folder_and_strict_undefined(tmp_path: Path) -> None:
    (tmp_path / "start.html.j2").write_text("自定义欢迎 {{ t('cmd.help') }}")
    (tmp_path / "messages.toml").write_text('[zh]\n"cmd.help" = "帮助在此"\n')
    renderer = Renderer(TZ, tmp_path)
    assert renderer.render("start.html.j2", None, "zh") == ["自定义欢迎 帮助在此"]
    (tmp_path / "tags.html.j2").write_text("{{ view.nope }}")
    with pytest.raises(Exception, match="nope"):
        renderer.render("tags.html.j2", TagsView(()), "zh")


def test_translation_params_escaped(renderer: Renderer) -> None:
    text = renderer.text("none.search", "zh", query="<b>x</b>")
    assert "&lt;b&gt;x&lt;/b&gt;" in text


def test_break_marker_not_in_output(renderer: Renderer) -> None:
    view = list_view("latest", "", [stored(1), stored(2)], 0, True, "bot")
    assert all(BREAK not in m for m in renderer.render("article_list.html.j2", view, "zh"))


def test_message_catalogue_is_complete_in_both_languages(renderer: Renderer) -> None:
    import re
    import string

    zh, en = renderer.messages["zh"], renderer.messages["en"]
    assert set(zh) == set(en)
    for key in zh:
        fields = {f for _, f, _, _ in string.Formatter().parse(zh[key]) if f}
        assert fields == {f for _, f, _, _ in string.Formatter().parse(en[key]) if f}, key
    # Every key the code asks for exists.
    used: set[str] = set()
    for path in (Path(__file__).parents[1] / "newsbot").rglob("*.py"):
        used |= set(
            re.findall(
                r'"((?:usage|error|none|note|subs|sub|perm|channel|stats|digest|button|list|start|help|cmd|tags|item|article)\.[a-z_]+)"',
                path.read_text(),
            )
        )
    used.discard("tags.pk")  # an SQL column, not a message
    assert used and used <= set(zh), sorted(used - set(zh))
