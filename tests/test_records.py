"""JSON / JSON Lines seed records."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from newsbot.errors import InvalidRecordError
from newsbot.records import looks_like_json, parse_json_records

CST = timezone(timedelta(hours=8))
BODY = [
    "高新区持续优化营商环境，推出帮办代办服务。",
    "去年全区新增市场主体一万余户，营商环境满意度持续提升。",
]


def record(**fields: object) -> dict[str, object]:
    return {"title": "高新区优化营商环境", "body": BODY, **fields}


def test_json_lines_with_blank_lines_and_line_numbers() -> None:
    text = "\n".join(
        [
            json.dumps(record(), ensure_ascii=False),
            "",
            json.dumps(record(title="第二篇"), ensure_ascii=False),
        ]
    )
    parsed = parse_json_records(text, name="store.jsonl")
    assert [line for line, _ in parsed] == [1, 3]
    assert parsed[1][1].title == "第二篇"


def test_all_fields() -> None:
    obj = record(
        summary="页面自带的摘要。",
        source="高新区",
        author="杨皓",
        editor="张梦洁",
        url="https://example.cn/a/1.html",
        published="2021-05-20T13:49:01",
        breadcrumb=["新闻", "高新区"],
        keywords=["营商环境"],
        tags=["高新区", "ＡＩ", "高新区"],
    )
    [(line, article)] = parse_json_records(json.dumps(obj), name="one.json")
    assert line == 1
    assert article.summary == "页面自带的摘要。" and article.summary_generated is False
    assert article.published == datetime(2021, 5, 20, 13, 49, 1, tzinfo=CST)
    assert article.published_precision == "second"
    assert (article.source, article.author, article.editor) == ("高新区", "杨皓", "张梦洁")
    assert article.url == "https://example.cn/a/1.html"
    assert article.breadcrumb == ("新闻", "高新区")
    assert article.keywords == ("营商环境",)
    assert article.tags == ("高新区", "ai")
    assert article.body == tuple(BODY)


def test_defaults_summary_and_tags_are_built() -> None:
    [(_, article)] = parse_json_records(json.dumps(record()), name="x.jsonl")
    assert article.summary_generated is True
    assert article.summary.startswith("高新区持续优化营商环境")
    assert article.tags and "营商环境" in article.tags
    assert article.published is None and article.source is None


def test_body_as_a_string_with_blank_lines() -> None:
    obj = record(body="第一段，内容。\n\n第二段\n继续。\n   \n第三段。")
    [(_, article)] = parse_json_records(json.dumps(obj), name="x.json")
    assert article.body == ("第一段，内容。", "第二段\n继续。", "第三段。")


@pytest.mark.parametrize(
    ("published", "iso", "precision"),
    [
        ("2022-01-20", "2022-01-20T00:00:00+08:00", "day"),
        ("2022-02-11T09:52", "2022-02-11T09:52:00+08:00", "minute"),
        ("2022-02-11 09:52:30", "2022-02-11T09:52:30+08:00", "second"),
        ("2022-02-11T09:52:30Z", "2022-02-11T09:52:30+00:00", "second"),
        ("2022-02-11T09:52+01:00", "2022-02-11T09:52:00+01:00", "minute"),
    ],
)
def test_published(published: str, iso: str, precision: str) -> None:
    [(_, article)] = parse_json_records(json.dumps(record(published=published)), name="x.json")
    assert article.published is not None
    assert article.published.isoformat() == iso
    assert article.published_precision == precision


def test_json_array_line_numbers() -> None:
    text = (
        "[\n  "
        + json.dumps(record())
        + ',\n\n  {\n    "title": "二",\n    "body": "正文。"\n  }\n]\n'
    )
    parsed = parse_json_records(text, name="many.json")
    assert [line for line, _ in parsed] == [2, 4]


def test_empty_array_is_invalid() -> None:
    with pytest.raises(InvalidRecordError):
        parse_json_records("[]", name="x.json")


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        ({"body": BODY}, "title"),
        ({"title": "  ", "body": BODY}, "title"),
        ({"title": "t"}, "body"),
        ({"title": "t", "body": []}, "body"),
        ({"title": "t", "body": [1, 2]}, "body"),
        (record(published="yesterday"), "published"),
        (record(published=20220101), "published"),
        (record(tags="a,b"), "tags"),
        (record(breadcrumb=["a", 1]), "breadcrumb"),
        (record(source=3), "source"),
        (["not", "an", "object"], "object"),
    ],
)
def test_bad_record_names_its_line(obj: object, message: str) -> None:
    good = json.dumps(record())
    text = "\n".join([good, good, json.dumps(obj)])
    with pytest.raises(InvalidRecordError, match=message) as info:
        parse_json_records(text, name="bad.jsonl")
    assert info.value.line == 3
    assert str(info.value).startswith("line 3:")


def test_broken_json_line() -> None:
    with pytest.raises(InvalidRecordError) as info:
        parse_json_records(json.dumps(record()) + "\n{not json", name="x.jsonl")
    assert info.value.line == 2


def test_broken_json_document() -> None:
    with pytest.raises(InvalidRecordError) as info:
        parse_json_records('[\n{"title": "t",\n "body": ]\n]', name="x.json")
    assert info.value.line == 3


def test_unknown_extension_tries_document_then_lines() -> None:
    one = json.dumps(record())
    assert len(parse_json_records(one, name="seed")) == 1
    assert len(parse_json_records(one + "\n" + one, name="seed")) == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"title": "t"}', True),
        ('  \n[\n {"title": "t"}]', True),
        ("[]", True),
        ("\ufeff{}", True),
        ("[logo]\n首页 > 新闻", False),
        ("[                    ] 搜索", False),
        ("Top\n首页 > 新闻", False),
    ],
)
def test_looks_like_json(text: str, expected: bool) -> None:
    assert looks_like_json(text) is expected
