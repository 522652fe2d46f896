"""parse_page on the reference seed, on our own fixture pages, and on single rules."""

from __future__ import annotations

import codecs
import json
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from newsbot.errors import NoArticleError
from newsbot.models import ArticleIn, format_published
from newsbot.parsing import parse_page
from newsbot.parsing.dates import find_date
from newsbot.parsing.fields import breadcrumb_in, source_in, split_keywords, summary_in
from newsbot.parsing.lines import Line, is_caption, make_lines
from newsbot.parsing.people import author_in, editor_in, trailing_credit
from newsbot.textio import decode_seed

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "seeds" / "000_e48cb64ca35cbbeb.txt"
PAGES = Path(__file__).resolve().parent / "fixtures" / "pages"
CST = timezone(timedelta(hours=8))

# --------------------------------------------------------------------------
# The reference seed.
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seed() -> ArticleIn:
    if not SEED.exists():
        pytest.skip(f"reference seed not found at {SEED}")
    return parse_page(decode_seed(SEED.read_bytes()))


def test_seed_header_fields(seed: ArticleIn) -> None:
    assert seed.title == "以最好的服务助力企业高质量发展 西安高新区全力打造“四最”营商环境"
    assert seed.published == datetime(2021, 5, 20, 13, 49, 1, tzinfo=CST)
    assert seed.published_precision == "second"
    assert format_published(seed.published, seed.published_precision) == "2021-05-20T13:49:01+08:00"
    assert seed.source == "高新区"
    assert seed.editor == "张梦洁"
    assert seed.author == "杨皓"
    assert seed.breadcrumb == ("新闻", "政企快线", "开发区报道", "高新区")
    assert seed.keywords == ()
    assert seed.url is None


def test_seed_summary(seed: ArticleIn) -> None:
    assert seed.summary == (
        "“哪里营商环境好,人才就往哪里走、资金就往哪里流、项目就在哪里落户。”"
        "营商环境对于区域发展的重要性不言而喻。近些年来,各区域之间营商环境的比拼也在不断升级。"
        "但归根到底,营商环境的比拼最终比的还是服务。"
    )
    assert seed.summary_generated is False


def test_seed_tags(seed: ArticleIn) -> None:
    assert "高新区" in seed.tags
    assert "营商环境" in seed.tags
    assert 5 <= len(seed.tags) <= 8
    assert len(set(seed.tags)) == len(seed.tags)


def test_seed_body(seed: ArticleIn) -> None:
    assert seed.body[0].startswith("“哪里营商环境好")
    assert seed.body[-1].endswith("为西安高质量发展提供坚强保障。")
    assert "面对面服务 点对点解决难题" in seed.body
    text = seed.body_text
    for chrome in ("image.png", "杨皓", "来源", "编辑", "上一篇", "表达看法", "首页", "[摘要]"):
        assert chrome not in text
    assert all(p == p.strip() and not p.startswith("\u3000") for p in seed.body)
    assert len(seed.body) == 14


# --------------------------------------------------------------------------
# Our own fixture pages, each with an expected-fields JSON file next to it.
# --------------------------------------------------------------------------

FIXTURES = sorted(p for p in PAGES.glob("*.txt") if p.with_suffix(".json").exists())


def _variants() -> list[tuple[Path, str]]:
    cases: list[tuple[Path, str]] = []
    for page in FIXTURES:
        expected = json.loads(page.with_suffix(".json").read_text(encoding="utf-8"))
        cases += [(page, v) for v in ["utf8", *expected.get("variants", [])]]
    return cases


def _encode(text: str, variant: str) -> bytes:
    """The page as a seed file would hold it: GBK, CRLF, with a BOM, UTF-16 ..."""
    if variant == "gbk":
        return text.encode("gbk")
    if variant == "crlf":
        return text.replace("\n", "\r\n").encode("utf-8")
    if variant == "utf8-bom":
        return codecs.BOM_UTF8 + text.encode("utf-8")
    if variant == "utf16":
        return text.encode("utf-16")
    return text.encode("utf-8")


def test_there_are_enough_fixtures() -> None:
    assert len(FIXTURES) >= 6


@pytest.mark.parametrize(
    ("page", "variant"), _variants(), ids=lambda v: v.stem if isinstance(v, Path) else v
)
def test_fixture_page(page: Path, variant: str) -> None:
    expected: dict[str, Any] = json.loads(page.with_suffix(".json").read_text(encoding="utf-8"))
    text = decode_seed(_encode(page.read_text(encoding="utf-8"), variant))
    article = parse_page(text)
    assert article.title == expected["title"]
    assert format_published(article.published, article.published_precision) == expected["published"]
    assert article.published_precision == expected["published_precision"]
    for field in ("source", "author", "editor", "url", "summary_generated"):
        assert getattr(article, field) == expected[field], field
    if "summary" in expected:
        assert article.summary == expected["summary"]
    else:
        assert 0 < len(article.summary) <= 150
    assert list(article.breadcrumb) == expected["breadcrumb"]
    assert list(article.keywords) == expected["keywords"]
    for tag in expected.get("tags_include", []):
        assert tag in article.tags
    assert 3 <= len(article.tags) <= 8
    assert article.body[0].startswith(expected["body_first"])
    assert article.body[-1].endswith(expected["body_last"])
    # "known_gaps": checks the parser is known to miss on this page, each with the
    # reason; they are reported, and they must still be misses (a fix removes them).
    gaps: dict[str, str] = expected.get("known_gaps", {})
    count_ok = len(article.body) == expected["body_count"]
    excludes_ok = all(c not in article.body_text for c in expected.get("body_excludes", []))
    for check, ok in (("body_count", count_ok), ("body_excludes", excludes_ok)):
        if check in gaps:
            assert not ok, f"{check} now passes: drop it from known_gaps"
        else:
            assert ok, check


def test_page_without_an_article() -> None:
    with pytest.raises(NoArticleError, match="no body"):
        parse_page((PAGES / "no_article.txt").read_text(encoding="utf-8"))


@pytest.mark.parametrize("text", ["", "\n\n\n", "只有一行字"])
def test_no_article_in_trivial_text(text: str) -> None:
    with pytest.raises(NoArticleError):
        parse_page(text)


def test_body_without_a_title_still_yields_the_article() -> None:
    paragraph = "这是一段没有标题的正文，写了很多内容，但页面上没有任何标题。"
    article = parse_page("\n\n".join([paragraph, "第二段也写了一些内容，说明了事情的经过。"]))
    assert article.body[0] == paragraph
    assert article.title == "这是一段没有标题的正文，写了很多内容，但页面上没有任何标题。"
    assert article.published is None
    assert set(article.uncertain) >= {"title", "published"}


def test_parse_is_fast() -> None:
    page = (PAGES / "repeated_article.txt").read_text(encoding="utf-8")
    chrome = "\n".join(f"  • 栏目链接{i} 更多新闻" for i in range(400))
    big = chrome + "\n" + page + "\n" + chrome  # about 30 KB of UTF-8
    assert len(big.encode("utf-8")) > 25_000
    parse_page(big)  # jieba is loaded on the first call
    start = time.perf_counter()
    for _ in range(5):
        parse_page(big)
    assert (time.perf_counter() - start) / 5 < 0.05  # generous: shared CI machines


# --------------------------------------------------------------------------
# Single rules.
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "iso", "precision"),
    [
        ("2021-05-20 13:49:01", "2021-05-20T13:49:01+08:00", "second"),
        ("2019年11月25日 16:04:30", "2019-11-25T16:04:30+08:00", "second"),
        ("2019年11月25日16:04", "2019-11-25T16:04+08:00", "minute"),
        ("2022.01.20", "2022-01-20T00:00+08:00", "day"),
        ("2022/02/13", "2022-02-13T00:00+08:00", "day"),
        ("2022-02-11 09:52", "2022-02-11T09:52+08:00", "minute"),
        ("发表于2014-08-24 21:30| 1164次阅读", "2014-08-24T21:30+08:00", "minute"),
        ("２０２２－０２－１１　０９：５２", "2022-02-11T09:52+08:00", "minute"),
        ("2022-02-11 09:52 GMT+1", "2022-02-11T09:52+01:00", "minute"),
    ],
)
def test_find_date(text: str, iso: str, precision: str) -> None:
    parsed = find_date(text)
    assert parsed is not None
    assert format_published(parsed.resolve(), parsed.precision) == iso
    assert parsed.precision == precision


def test_find_date_without_a_year() -> None:
    parsed = find_date("发布时间：10-0812:00优质原创作者")
    assert parsed is not None and parsed.year is None
    assert parsed.resolve() is None
    assert parsed.resolve(2019) == datetime(2019, 10, 8, 12, 0, tzinfo=CST)


@pytest.mark.parametrize(
    "text", ["今天是2022年2月13日 星期日", "2022-13-45 10:00", "共有1000人参加"]
)
def test_find_date_rejects(text: str) -> None:
    assert find_date(text, allow_yearless=False) is None


def _line(text: str) -> Line:
    return make_lines(text)[0]


@pytest.mark.parametrize(
    ("text", "items"),
    [
        ("首页 > 新闻 > 政企快线 > 正文", ["首页", "新闻", "政企快线", "正文"]),
        ("[homemm]  首页>动态信息>政务动态", ["首页", "动态信息", "政务动态"]),
        ("当前位置:洛阳", ["洛阳"]),
        ("当前位置： 首页/要闻动态/今日关注", ["首页", "要闻动态", "今日关注"]),
        ("您所在的位置 首页 专题频道 国内专题", ["首页", "专题频道", "国内专题"]),
        ("新华网  正文", ["新华网", "正文"]),
        ("订阅业界RSS CSDN首页> 业界", ["CSDN首页", "业界"]),
        ("网站首页 | 新闻中心 | 财经 | 正文", ["网站首页", "新闻中心", "财经", "正文"]),
    ],
)
def test_breadcrumb_lines(text: str, items: list[str]) -> None:
    assert breadcrumb_in(_line(text)) == items


@pytest.mark.parametrize(
    "text", ["更多>>", "返回腾讯网首页>>", "他说：我们 > 他们。", "上一篇：标题"]
)
def test_not_breadcrumbs(text: str) -> None:
    assert breadcrumb_in(_line(text)) is None


@pytest.mark.parametrize(
    ("text", "source"),
    [
        ("来源:高新区", "高新区"),
        ("来源：太原晚报 2021-11-25 16:26:07", "太原晚报"),
        ("2022-02-13 07:00:00来源:央广网", "央广网"),
        ("信息来源： 内蒙古日报", "内蒙古日报"),
        ("2019-09-09 19:32:27 字号:A- A A+ 来源:中新网", "中新网"),
        ("发表于2014-08-24 21:30| 1164次阅读| 来源CSDN| 0 条评论", "CSDN"),
        ("来源：巴彦淖尔日报    编辑：苏亮", "巴彦淖尔日报"),
        ("本文来源：江城日报 举报", "江城日报"),
        ("来源：滨海发布 分享到", "滨海发布"),
    ],
)
def test_source_labels(text: str, source: str) -> None:
    assert source_in(_line(text)) == source


@pytest.mark.parametrize(
    ("text", "editor"),
    [
        ("编辑:张梦洁", "张梦洁"),
        ("责任编辑：尹世杰", "尹世杰"),
        ("□ 责任编辑: 于文凯", "于文凯"),
        ("(松花江网编辑 孙桂芳)", "孙桂芳"),
        ("【责编：许琳】", "许琳"),
    ],
)
def test_editor_labels(text: str, editor: str) -> None:
    assert editor_in(_line(text)) == editor


@pytest.mark.parametrize(
    ("text", "author"),
    [
        ("(高新融媒记者  杨皓)", "杨皓"),
        ("光明日报记者 王建宏 张文攀", "王建宏 张文攀"),
        ("记者 刘涛", "刘涛"),
        ("新华社巴黎12月9日电（记者唐霁）法国9日再次爆发全国跨行业大罢工。", "唐霁"),
        ("《棱镜》作者 周纯", "周纯"),
        ("发表于2014-08-24 21:30| 来源CSDN| 0 条评论| 作者魏星", "魏星"),
        ("（记者 林一舟 通讯员 赵可）", "林一舟"),
        ("作者：李四、王五", "李四、王五"),
    ],
)
def test_author_lines(text: str, author: str) -> None:
    assert author_in(_line(text)) == author


@pytest.mark.parametrize(
    "text", ["作者最新文章", "发布时间：10-0812:00优质原创作者", "记者了解到，该项目已经开工。"]
)
def test_not_authors(text: str) -> None:
    assert author_in(_line(text)) is None


def test_trailing_credit() -> None:
    paragraph, names = trailing_credit("过一个廉洁的新春佳节。(常书香 马丹阳 )")
    assert (paragraph, names) == ("过一个廉洁的新春佳节。", "常书香 马丹阳")
    assert trailing_credit("全文到此结束。（完）") == ("全文到此结束。（完）", None)


@pytest.mark.parametrize(
    ("text", "summary"),
    [
        ("[摘要]这是摘要的内容，写得足够长。", "这是摘要的内容，写得足够长。"),
        ("【摘要】这是摘要的内容，写得足够长。", "这是摘要的内容，写得足够长。"),
        ("摘要：这是摘要的内容，写得足够长。", "这是摘要的内容，写得足够长。"),
        ("摘要: 这是摘要的内容，写得足够长。", "这是摘要的内容，写得足够长。"),
    ],
)
def test_summary_labels(text: str, summary: str) -> None:
    assert summary_in(_line(text)) == summary


@pytest.mark.parametrize("text", ["首页 > 中国之声 > 新闻和报纸摘要", "摘要新闻回顾"])
def test_not_summaries(text: str) -> None:
    assert summary_in(_line(text)) is None


@pytest.mark.parametrize(
    ("value", "vocabulary", "keywords"),
    [
        (
            "现金贷爬虫棱镜套路贷",
            "现金贷平台用爬虫……《棱镜》……套路贷",
            ["现金贷", "爬虫", "棱镜", "套路贷"],
        ),
        ("苹果劳动维权中国", "苹果公司违反中国劳动法", ["苹果", "劳动维权", "中国"]),
        ("公园", "", ["公园"]),
        ("夜间公交, 旅游专线，滨海新区", "", ["夜间公交", "旅游专线", "滨海新区"]),
        ("KconZoomEyeXSS", "Kcon 大会上 ZoomEye 与 XSS", ["Kcon", "ZoomEye", "XSS"]),
    ],
)
def test_split_keywords(value: str, vocabulary: str, keywords: list[str]) -> None:
    assert split_keywords(value, vocabulary) == keywords


def test_captions() -> None:
    assert is_caption(_line("BBC报道截图BBC报道截图"))
    assert is_caption(_line("湖面上觅食的野鸭（新华社记者 张三 摄）"))
    assert not is_caption(_line("他说：“好好好。”"))


def test_full_width_and_odd_spaces_fold() -> None:
    line = _line("\u3000\u3000来源：\u00a0新华网\u3000\u3000责任编辑：\u2002张三")
    assert line.text == "来源： 新华网 责任编辑： 张三"  # the text keeps what the page printed
    assert line.key == "来源: 新华网 责任编辑: 张三"
    assert source_in(line) == "新华网"
    assert editor_in(line) == "张三"


@pytest.mark.parametrize(
    "title",
    [
        "碑林区：北斗导航举措助力发展",
        "全民阅读1708项活动启动",
        "注册制改革稳步推进",
        "时事评论：城市更新怎么做",
    ],
)
def test_titles_with_widget_words_are_titles(title: str) -> None:
    from tests.factories import make_page_text

    page = make_page_text(5).replace("第5号测试新闻：城市交通持续改善", title)
    assert parse_page(page).title == title
