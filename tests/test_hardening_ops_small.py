"""Issue 8, item 20 (the smaller defects of the terminal twins and reader lists).

- `newsbot search "高新区 服务"` (one argument) or with an ideographic space (U+3000)
  finds what the bot finds for the same words;
- `newsbot search 高新区 -服务`: a `-word` is a word, not an unknown option;
- a tag shown as `#测试_标签` can be looked up as `/tag 测试_标签` (and `newsbot tag`);
- paging past the end says there is nothing more, not "还没有文章".
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from newsbot.bot.app import build_services
from newsbot.bot.reading import build_list_reply
from newsbot.config import Config, DatabaseConfig
from newsbot.queries import ListRequest, list_page, parse_list_args
from newsbot.store import Store
from tests.factories import fill, make_article


@pytest.fixture
def url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'small.db'}"
    store = Store.open(url)
    fill(
        store,
        [
            make_article(1, title="高新区优化营商环境服务企业", tags=("测试 标签", "城市")),
            make_article(2, tags=("a&b",)),
            make_article(3),
        ],
    )
    store.close()
    return url


def cli(url: str, *args: str) -> tuple[int, str]:
    from newsbot.cli import cli as command

    env = {"NEWSBOT_DATABASE_URL": url, "NEWSBOT_CONFIG": "", "NEWSBOT_TELEGRAM_TOKEN": ""}
    result = CliRunner().invoke(command, list(args), env=env)
    return result.exit_code, result.output


@pytest.mark.parametrize("words", [["高新区 服务"], ["高新区\u3000服务"], ["高新区", "服务"]])
def test_cli_search_splits_words_like_the_bot(url: str, words: list[str]) -> None:
    code, out = cli(url, "search", *words)
    assert code == 0, out
    assert "高新区优化营商环境服务企业" in out


def test_search_words_are_split_for_the_bot_too() -> None:
    request = parse_list_args("search", ["高新区\u3000服务", " 企业 "])
    assert request.words == ("高新区", "服务", "企业")


def test_cli_search_takes_minus_word_as_a_word(url: str) -> None:
    code, out = cli(url, "search", "高新区", "-火星", "--lang", "en")
    assert "No such option" not in out and code != 2, out
    assert "高新区 -火星" in out


@pytest.mark.parametrize(("typed", "real"), [("测试_标签", "测试 标签"), ("#a_b", "a&b")])
def test_tag_as_shown_in_a_hashtag_finds_its_articles(url: str, typed: str, real: str) -> None:
    store = Store.open(url)
    try:
        view = list_page(store, parse_list_args("tag", [typed]), None)
    finally:
        store.close()
    assert view.items, f"/tag {typed} found nothing"
    assert view.subject == real
    code, out = cli(url, "tag", typed)
    assert code == 0 and "第" in out, out


def test_cli_paging_past_the_end_says_no_more(url: str) -> None:
    code, out = cli(url, "latest", "--offset", "50")
    assert "还没有文章" not in out
    assert "没有更多" in out and code == 1
    code, out = cli(url, "search", "城市", "--offset", "50", "--lang", "en")
    assert "No more" in out and "Nothing found" not in out


def test_bot_paging_past_the_end_says_no_more(url: str) -> None:
    services = build_services(Config(database=DatabaseConfig(url=url)))
    try:
        request = ListRequest("latest", (), 5, 50)
        chunks, markup = build_list_reply(services, "newsbot_test_bot", request, "zh")
        assert "还没有文章" not in chunks[0] and "没有更多" in chunks[0]
        assert markup is not None  # a way back to the articles
        back = markup.inline_keyboard[0][0].callback_data
        assert isinstance(back, tuple) and back[1].offset < 50
    finally:
        services.store.close()
