"""Per-field extractors of the parser, on lines written for these tests.

Each case imitates a pattern seen on real pages (the dev pages in ../shared and the
unseen-style fixtures) in our own words: one small extractor, one line or two.
"""

from __future__ import annotations

import pytest

from newsbot.parsing import layout, parse_page, read_page
from newsbot.parsing.dates import find_date
from newsbot.parsing.explain import explain
from newsbot.parsing.fields import (
    breadcrumb_in,
    clean_breadcrumb,
    is_title_like,
    keyword_label_value,
    source_around_date,
    source_in,
    summary_in,
    tag_strip,
)
from newsbot.parsing.lines import Line, is_bracketed_note, is_caption, is_teaser, make_lines
from newsbot.parsing.people import (
    author_before_date,
    author_in,
    credit_in,
    credit_line,
    editor_in,
    is_credit_line,
)


def line(text: str) -> Line:
    return make_lines(text)[0]


# ---------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("text", "iso", "precision"),
    [
        ("发布时间：2023-05-06 14:20:09", "2023-05-06T14:20:09+08:00", "second"),
        ("时间:2024.05.20 来源:某某网", "2024-05-20T00:00:00+08:00", "day"),
        ("2022年1月20日 08:05", "2022-01-20T08:05:00+08:00", "minute"),
        ("发布于 18/05/2023 21:47　来源：某报", "2023-05-18T21:47:00+08:00", "minute"),
        ("06/05/2023", "2023-05-06T00:00:00+08:00", "day"),
        ("05/13/2023", "2023-05-13T00:00:00+08:00", "day"),  # only the US reading is a date
        ("2024-05-13T12:03:10+08:00", "2024-05-13T12:03:10+08:00", "second"),
        ("2024-05-13 12:03 -05:00", "2024-05-13T12:03:00-05:00", "minute"),
        ("Posted 2023-05-06 14:20 GMT+1", "2023-05-06T14:20:00+01:00", "minute"),
        ("2021-01-20 04:29:4439健康网", "2021-01-20T04:29:44+08:00", "second"),
    ],
)
def test_dates_in_every_printed_format(text: str, iso: str, precision: str) -> None:
    parsed = find_date(text)
    assert parsed is not None
    resolved = parsed.resolve()
    assert resolved is not None and resolved.isoformat() == iso
    assert parsed.precision == precision


def test_a_year_less_date_takes_the_year_from_the_page_or_stays_open() -> None:
    parsed = find_date("发布时间：04-2210:15")
    assert parsed is not None and parsed.year is None
    assert (parsed.month, parsed.day, parsed.hour, parsed.minute) == (4, 22, 10, 15)
    page = "某地开通新线路\n\n发布时间：04-22 10:15\n\n{}\n\n相关：2024-04-20 旧闻"
    article = read_page(page.format("新线路开通后，日均客流达到十二万人次，超出此前预测。"))
    assert article.article.published is not None and article.article.published.year == 2024
    assert article.doubts["published"] == "the year is taken from elsewhere"


@pytest.mark.parametrize("text", ["今天是2024年5月6日 星期一", "电话：010-12345678", "第3/4页"])
def test_not_dates(text: str) -> None:
    assert find_date(text) is None


# ---------------------------------------------------------------- people


@pytest.mark.parametrize(
    ("text", "editor"),
    [
        ("编辑：甲乙丙   责任编辑：丁戊", "丁戊"),  # the most responsible one
        ("2024-05-13 12:03:10 作者：曹某 来源:东方某网 选稿：曾某某", "曾某某"),
        ("(松江网编辑 孙某芳)", "孙某芳"),
        ("【责任编辑：严某 王某】", "严某 王某"),
        ("责编：李某、张某", "李某、张某"),
    ],
)
def test_editor_extractor(text: str, editor: str) -> None:
    assert editor_in(line(text)) == editor


def test_editor_in_running_text_is_not_a_credit() -> None:
    assert editor_in(line("编辑部的同事们都说，这次采访非常顺利。")) is None


@pytest.mark.parametrize(
    ("text", "author"),
    [
        ("作者︱春某", "春某"),
        ("2023-09-14 07:32　来源：某日报　作者：记者 谭某远 通讯员 韩某", "谭某远"),
        ("来源：某博物馆　作者：苏某　点击数：2081", "苏某"),
        ("记者 何某满 王某 | 通讯员 谢某", "何某满 王某"),
        ("本报记者 石某 发自南岭", "石某"),
        ("中青报·中青网记者 魏某濛 来源:中国某报", "魏某濛"),
    ],
)
def test_author_extractor(text: str, author: str) -> None:
    assert author_in(line(text)) == author


def test_wire_dateline_names_reporters_with_or_without_the_word() -> None:
    first = "新华社北京5月19日电（刘某、杨某）某研究所专家19日介绍了项目进展情况。"
    assert author_in(line(first)) == "刘某、杨某"
    quoted = "新华社深圳5月12日电（记者戴某河、印某）某企业发布了新一代产品。"
    assert author_in(line(quoted)) == "戴某河、印某"


def test_bracketed_byline_line() -> None:
    assert credit_line(line("（袁某）")) == "袁某"
    assert credit_line(line("（完）")) is None
    assert credit_in("(文/李某 王某)") == "李某 王某"


def test_byline_is_never_a_headline() -> None:
    assert not is_title_like(line("本报记者 石某 发自南岭"))


def test_name_before_the_date_is_the_author_not_the_source() -> None:
    dated = line("谢某含2017-03-01 14:27:02")
    assert author_before_date(dated) == "谢某含"
    assert source_around_date(dated, "标题", "") is None
    avatar = line("[avatar_7e3c] 老K在折腾 于 2023-06-12 22:41:07 发布 阅读量2.3k")
    assert avatar.after_image and author_before_date(avatar) == "老K在折腾"
    outlet = line("2019年11月25日 18:57 参考某息")
    assert source_around_date(outlet, "标题", "") == "参考某息"


# ---------------------------------------------------------------- sources


@pytest.mark.parametrize(
    ("text", "source"),
    [
        ("本文来源于北京某报 2024-05-20 09:06", "北京某报"),
        ("来源： [64c77908a3] 中国某报网", "中国某报网"),
        ("来源：人民某报2024-05-13 08:49", "人民某报"),
    ],
)
def test_labelled_sources(text: str, source: str) -> None:
    assert source_in(line(text)) == source


@pytest.mark.parametrize(
    ("text", "source"),
    [
        ("2021-01-20 04:29:4439健康某网", "39健康某网"),
        ("原创：39健康某网2024-04-23 12:27:25", "39健康某网"),
    ],
)
def test_unlabelled_sources_next_to_the_date(text: str, source: str) -> None:
    assert source_around_date(line(text), "标题", "") == source


# ---------------------------------------------------------------- what a line is


@pytest.mark.parametrize(
    "text",
    [
        "图为比赛中，某队球员突破上篮。新华社记者 郝某 摄",
        "5月9日,某学院毕业生就业双选会现场。某学院供图",
        "图：某市街头的夜景",
    ],
)
def test_captions(text: str) -> None:
    assert is_caption(line(text))


@pytest.mark.parametrize(
    "text",
    [
        "近日,某地小麦进入成熟期,陆续开镰收割。【详细】",
        "日前,某电影定档,讲述了一位赛车手的故事,将于...",
    ],
)
def test_truncated_teasers_are_not_prose(text: str) -> None:
    assert is_teaser(text) and not line(text).prose


@pytest.mark.parametrize(
    "text",
    [
        "某健康网(www.example.net)专稿,未经书面授权请勿转载。",
        "版权所有，未经授权不得以任何形式转载及使用，违者必究。",
        "本文为某某号作者上传发布,仅代表该作者观点。某平台仅提供信息发布平台。",
        "本作品为“某某科普”原创,转载时务请注明出处。",
        "题图来自 某应用",
    ],
)
def test_notices_end_the_body(text: str) -> None:
    assert line(text).stop


def test_interface_text_is_chrome() -> None:
    assert line("调查问题加载中，请稍候。").chrome


def test_bracketed_notes() -> None:
    assert is_bracketed_note("（本文仅为健康科普，不能替代医生的诊断和治疗）")
    assert not is_bracketed_note("（记者 张某）他说，这是第一次。")


@pytest.mark.parametrize(
    ("text", "summary"),
    [
        ("摘要：某市出台新规，明确了十项便民措施。", "某市出台新规，明确了十项便民措施。"),
        ("【内容提要】某市出台新规，明确了十项便民措施。", "某市出台新规，明确了十项便民措施。"),
        (
            "核心提示:腊八节要吃腊八粥,但很多人并不知道怎么做。",
            "腊八节要吃腊八粥,但很多人并不知道怎么做。",
        ),
        (
            "导语：一年一度的春运今天开始，铁路部门加开列车。",
            "一年一度的春运今天开始，铁路部门加开列车。",
        ),
    ],
)
def test_labelled_summaries(text: str, summary: str) -> None:
    assert summary_in(line(text)) == summary


def test_editors_note_is_not_a_summary() -> None:
    assert summary_in(line("编者按：今年是某某工程建成二十周年，本报推出系列报道。")) is None


# ---------------------------------------------------------------- keywords, trail


@pytest.mark.parametrize(
    ("text", "vocabulary", "tags"),
    [
        ("子弹  相对论", "关于子弹的速度和相对论的讨论", ["子弹", "相对论"]),
        (
            "20190926|国贸|增长率|全球经济",
            "国贸会议称全球经济增长率下降",
            ["20190926", "国贸", "增长率", "全球经济"],
        ),
        ("相关资讯 营养成分 粥 冰糖", "粥里的营养成分和冰糖", ["营养成分", "粥", "冰糖"]),
    ],
)
def test_tag_strips(text: str, vocabulary: str, tags: list[str]) -> None:
    assert tag_strip(text, vocabulary) == tags


def test_a_menu_is_no_tag_strip() -> None:
    assert tag_strip("首页 新闻 财经 体育", "今天的体育新闻很多") is None
    assert tag_strip("3 女排联赛首周赛程出炉", "比赛第3节") is None


def test_keyword_label_after_another_label() -> None:
    value = keyword_label_value(line("分类专栏: 后端架构 文章标签: Rust 日志采集"))
    assert value == "Rust 日志采集"


@pytest.mark.parametrize(
    ("text", "items"),
    [
        ("中国某网 > 时政新闻 >", ["中国某网", "时政新闻"]),
        ("当前位置:主页 > 股市消息 >", ["主页", "股市消息"]),
    ],
)
def test_breadcrumbs_with_a_trailing_separator(text: str, items: list[str]) -> None:
    found = breadcrumb_in(line(text))
    assert found is not None and list(clean_breadcrumb(found)) == items


# ---------------------------------------------------------------- layout


def test_fixed_width_wrapping_is_undone() -> None:
    paragraph = ["　　甲" + "某" * 43 + "，", "乙" + "某" * 20 + "。", ""]
    wrapped = "\n".join(paragraph * 9)
    repaired = layout.repair(wrapped).split("\n")
    assert len(repaired) == len(wrapped.split("\n"))  # line numbers are kept
    assert repaired[0].endswith("，乙" + "某" * 20 + "。") and repaired[1] == ""


def test_modern_dumps_pass_unchanged() -> None:
    paragraphs = [f"第{i}段正文，内容完整，说明了事情的来龙去脉。" for i in range(9)]
    page = "标题\n\n2024-01-01 10:00\n\n" + "\n\n".join(paragraphs)
    assert layout.repair(page) == page


def _row(left: str, right: str, widths: tuple[int, int] = (12, 28)) -> str:
    """One row of a two-column box-drawn table, padded by display width."""
    pad = [w - layout.display_width(t) for t, w in zip((left, right), widths, strict=True)]
    return f"│{left}{' ' * pad[0]}│{right}{' ' * pad[1]}│"


def test_two_column_tables_are_unfolded() -> None:
    rows = [
        "┌" + "─" * 12 + "┬" + "─" * 28 + "┐",
        _row(" 栏目导航", " 某校学子获得佳绩"),
        _row("  · 学院", " 　　本届比赛共有四十余所高"),
        _row("  · 书院", " 校参加，我校代表队获团体一"),
        _row("", " 等奖。"),
        "└" + "─" * 12 + "┴" + "─" * 28 + "┘",
    ]
    out = [ln.strip() for ln in layout.repair("\n".join(rows)).split("\n") if ln.strip()]
    assert "本届比赛共有四十余所高校参加，我校代表队获团体一等奖。" in out
    assert out.index("栏目导航") < out.index("某校学子获得佳绩")


# ---------------------------------------------------------------- the page


def test_a_page_reads_with_roles_and_doubts() -> None:
    page = "\n\n".join(
        [
            "首页 > 要闻",
            "某市推出十项便民措施",
            "2024-03-01 09:00 来源：某市日报",
            "本报讯 某市今天发布十项便民措施，涉及交通、医疗和教育等领域。",
            "措施将于下月起实施，市民可通过政务平台查询详情。",
            "责任编辑：王某",
        ]
    )
    reading = read_page(page)
    roles = {reading.lines[pos].text: role for pos, role in reading.roles.items()}
    assert roles["某市推出十项便民措施"] == "title"
    assert roles["2024-03-01 09:00 来源：某市日报"] == "dateline"
    assert roles["责任编辑：王某"] == "meta"
    assert roles["首页 > 要闻"] == "breadcrumb"
    assert reading.doubts == {} and reading.article.uncertain == ()
    shown = explain(reading)
    assert "title" in shown and "某市推出十项便民措施" in shown and "uncertain" not in shown


def test_a_lead_box_the_article_repeats_is_the_summary() -> None:
    lead = "新片讲述了一个普通女孩成长为拳击手的故事，引发了观众的讨论。"
    page = "\n\n".join(
        [
            "一部电影带火了拳击馆",
            "2024-04-23 12:27",
            lead,
            "今年春节档，一部讲述拳击的电影上映后，各地拳击馆的咨询量明显增加。",
            "01 电影讲了什么",
            lead,
            "影片改编自一部海外作品，主角在拳击中找到了人生方向。",
        ]
    )
    article = parse_page(page)
    assert article.summary == lead and not article.summary_generated
    assert article.body[0].startswith("今年春节档")


def test_a_trail_in_a_table_row_is_read_from_its_own_cell() -> None:
    row = line("汽车 >> 车坛动态 >> 业界新闻" + " " * 40 + "新闻排行榜")
    found = breadcrumb_in(row)
    assert found == ["汽车", "车坛动态", "业界新闻"]


# ---------------------------------------------------------------- robustness


def _mangled(text: str, seed: int) -> list[str]:
    """Pages cut, shuffled, thinned and glued, as damaged saves and odd dumps come."""
    import random

    rng = random.Random(seed)
    lines = text.split("\n")
    shuffled = lines[:]
    rng.shuffle(shuffled)
    return [
        text[: rng.randrange(len(text) + 1)],
        text[rng.randrange(len(text) + 1) :],
        "\n".join(shuffled),
        "\n".join(ln for ln in lines if rng.random() < 0.5),
        "".join(lines),
        "│".join(lines[:40]) + "\n" + "\n".join(lines[40:]),
        text.replace("\n", "\n\n\n"),
    ]


def test_no_page_crashes_the_parser() -> None:
    from pathlib import Path

    from newsbot.errors import NoArticleError

    pages = sorted((Path(__file__).parent / "fixtures" / "pages").glob("*.txt"))
    assert pages
    for seed, page in enumerate(pages):
        for text in _mangled(page.read_text(encoding="utf-8"), seed):
            try:
                article = parse_page(text)
            except NoArticleError:
                continue
            assert article.title and article.body, page.name


# ---------------------------------------------------------------- portal conventions


def test_outlet_prefixed_credits() -> None:
    assert author_in(line("每经记者：郑某 吴某　每经编辑：陈某某")) == "郑某 吴某"
    assert editor_in(line("每经记者：郑某 吴某　每经编辑：陈某某")) == "陈某某"
    assert author_in(line("界面新闻记者 | 邱某安")) == "邱某安"
    assert editor_in(line("界面新闻编辑 | 孔某舟")) == "孔某舟"
    assert author_in(line("澎湃新闻记者 韩某秋 实习生 陶某欣")) == "韩某秋"


def test_credit_lines_under_the_story() -> None:
    assert is_credit_line(line("编辑 彭某夏 校对 卢某"))
    assert editor_in(line("编辑 彭某夏 校对 卢某")) == "彭某夏"
    assert not is_credit_line(line("编辑部的同事们都说，这次采访非常顺利。"))


@pytest.mark.parametrize(
    ("text", "editor"),
    [
        ("责任编辑：白某菲_NBJS7368", "白某菲"),
        ("[责任编辑：许某 PF077]", "许某"),
        ("责任编辑：骆某舟　图片编辑：沈某", "骆某舟"),
    ],
)
def test_editor_names_without_staff_codes_or_the_next_role(text: str, editor: str) -> None:
    assert editor_in(line(text)) == editor


def test_bracketed_reporter_opening_the_text() -> None:
    opening = line("【环球网报道 记者 邢某川】据外媒报道，某国议会昨日通过了新法案。")
    assert author_in(opening) == "邢某川"


def test_hashtag_lines_are_tags() -> None:
    assert tag_strip("#城市更新 #老旧街区", "") == ["城市更新", "老旧街区"]


def test_wire_end_mark_is_not_text() -> None:
    page = "\n\n".join(
        [
            "某地高铁站完成主体施工",
            "2024年05月20日 08:21　来源：某新闻网",
            "某地高铁站主体结构完工，下一步将开展联调联试，确保按期具备开通条件。(完)",
        ]
    )
    assert parse_page(page).body[-1].endswith("确保按期具备开通条件。")


def test_a_headline_stack_gives_the_middle_line() -> None:
    page = "\n\n".join(
        [
            "守护一江清水 共建美丽乡村",
            "小河变清了 日子更美了",
            "某县河长制推行八年 沿岸村庄人居环境持续改善",
            "2024年05月20日08:21 | 来源：某网",
            "某县推行河长制八年来，沿岸村庄的人居环境持续改善，群众的获得感不断增强。",
        ]
    )
    assert parse_page(page).title == "小河变清了 日子更美了"


def test_fields_read_without_a_label_are_marked_uncertain() -> None:
    page = "\n\n".join(
        [
            "某市举办首届读书节",
            "2019年11月25日 18:57 某某晚报",
            "某市首届读书节昨天开幕，活动将持续一个月，市民可在全市图书馆参加阅读活动。",
        ]
    )
    reading = read_page(page)
    assert reading.article.source == "某某晚报"
    assert "source" in reading.article.uncertain
    assert "title" not in reading.article.uncertain


@pytest.mark.parametrize(
    ("text", "author"),
    [
        ("天池网讯（记者 艾力·买某提 实习生 王某）近日，某地举办了文化节。", "艾力·买某提"),
        ("本文作者：[avatar_9] 韩某宁 2024-05-20 09:00", "韩某宁"),
        ("作者：某日报·某网记者 刘某禾 通讯员 赵某", "刘某禾"),
        ("南方周末记者 叶某秋 南方周末实习生 陈某", "叶某秋"),
    ],
)
def test_more_bylines(text: str, author: str) -> None:
    assert author_in(line(text)) == author


def test_a_persons_label_before_the_date_is_no_source() -> None:
    dated = line("作者:周某 王某 发布时间:2024-05-20 10:30:12")
    assert source_around_date(dated, "标题", "") is None


def test_summary_label_with_a_bar() -> None:
    assert summary_in(line("核心提示 | 黄河滩地成了稻香虾肥的聚宝盆，首季亩均增收两千余元。"))


def test_arrow_trails() -> None:
    found = breadcrumb_in(line("晋阳新闻网 -> 山西新闻 -> 经济"))
    assert found == ["晋阳新闻网", "山西新闻", "经济"]


def test_a_headline_keeps_its_deck_apart() -> None:
    page = "\n".join(
        [
            "一座县城图书馆的三十年：借书卡上的名字",
            "在人口外流的县城里，一座老图书馆如何留住读者",
            "",
            "文｜某报 叶某秋",
            "2024-05-16",
            "来源：某报",
            "",
            "每天早上八点半，六十一岁的管理员都会准时打开县图书馆二楼阅览室的门，迎接第一位读者。",
        ]
    )
    article = parse_page(page)
    assert article.title == "一座县城图书馆的三十年：借书卡上的名字"
    assert article.author == "叶某秋"  # the outlet before the name is the source's


def test_a_borderless_two_column_layout_is_unfolded() -> None:
    def row(left: str, right: str) -> str:
        return left + " " * (24 - layout.display_width(left)) + right

    rows = [row("·栏目一", "某镇茶园喜获丰收")]
    rows += [row(f"·栏目{i}", "茶叶品质提升带动增收致富") for i in range(2, 11)]
    out = [ln for ln in layout.repair("\n".join(rows)).split("\n") if ln.strip()]
    assert out[:2] == ["·栏目一", "·栏目2"]
    assert out[10] == "某镇茶园喜获丰收"
