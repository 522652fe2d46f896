"""nlp: sentences, summaries, keywords and tags."""

from __future__ import annotations

import threading

import pytest

from newsbot import nlp

BODY = (
    "营商环境是一个地区的软实力。近年来，高新区持续优化营商环境，推出帮办代办服务。",
    "优化营商环境没有终点。高新区将继续深化改革，让企业办事更方便。",
    "据统计，去年全区新增市场主体一万余户，营商环境满意度持续提升。",
)


def test_split_sentences_keeps_closing_quotes() -> None:
    text = "他说：“今天很好。”然后走了！真的吗？是的…… Fine."
    assert nlp.split_sentences(text) == [
        "他说：“今天很好。”",
        "然后走了！",
        "真的吗？",
        "是的……",
        "Fine.",
    ]


def test_split_sentences_space_before_closing_quote() -> None:
    text = "苹果公司表示，“大多数指控都是错误的。 ”记者联系了富士康。"
    assert nlp.split_sentences(text) == [
        "苹果公司表示，“大多数指控都是错误的。 ”",
        "记者联系了富士康。",
    ]


def test_split_sentences_ascii_quote_after_full_stop() -> None:
    text = '她说："我会帮助他们。"如果她赢了，她将去参加决赛。'
    assert nlp.split_sentences(text) == ['她说："我会帮助他们。"', "如果她赢了，她将去参加决赛。"]


def test_generate_summary_cuts_at_a_sentence_end() -> None:
    summary = nlp.generate_summary(BODY, limit=45)
    assert (
        summary == "营商环境是一个地区的软实力。近年来，高新区持续优化营商环境，推出帮办代办服务。"
    )
    assert len(summary) <= 45


def test_generate_summary_spans_paragraphs() -> None:
    summary = nlp.generate_summary(BODY, limit=150)
    assert summary.startswith("营商环境是一个地区的软实力。")
    assert "优化营商环境没有终点。" in summary
    assert summary.endswith("。")
    assert len(summary) <= 150


def test_generate_summary_long_first_sentence_gets_an_ellipsis() -> None:
    summary = nlp.generate_summary(["这是一个很长的句子" * 30 + "。"], limit=50)
    assert len(summary) == 50
    assert summary.endswith("…")


def test_generate_summary_skips_subheadings() -> None:
    summary = nlp.generate_summary(["面对面服务 点对点解决难题", "窗口前移后，群众办事更快了。"])
    assert summary == "窗口前移后，群众办事更快了。"


def test_generate_summary_empty() -> None:
    assert nlp.generate_summary([]) == ""


def test_extract_keywords_filters_junk() -> None:
    keywords = nlp.extract_keywords("\n".join(BODY), topk=6)
    assert 0 < len(keywords) <= 6
    assert "营商环境" in keywords  # 营商 + 环境 printed together: one compound keyword
    for word in keywords:
        assert len(word) >= 2
        assert not word.isdigit()
        assert word not in {"记者", "表示", "进行"}


def test_extract_keywords_empty_text() -> None:
    assert nlp.extract_keywords("   ") == []


def test_build_tags_order_normalisation_and_dedupe() -> None:
    tags = nlp.build_tags(
        ("首页", "新闻", "政企快线", "高新区"),
        ("ＡＩ", "营商环境", " 高新区 "),
        "高新区营商环境",
        BODY,
    )
    assert tags[:4] == ("政企快线", "高新区", "ai", "营商环境")
    assert len(tags) == len(set(tags)) <= 8
    assert "首页" not in tags and "新闻" not in tags


def test_build_tags_accepts_a_body_string() -> None:
    tags = nlp.build_tags((), (), "高新区优化营商环境", "\n\n".join(BODY))
    assert "营商环境" in tags


@pytest.mark.parametrize(
    ("raw", "tag"), [("  Python ", "python"), ("ＡＩ芯片", "ai芯片"), ("a  b", "a b")]
)
def test_normalise_tag(raw: str, tag: str) -> None:
    assert nlp.normalise_tag(raw) == tag


def test_jieba_initialises_once_across_threads() -> None:
    results: list[list[str]] = []

    def work() -> None:
        results.append(nlp.extract_keywords("高新区持续优化营商环境，营商环境满意度提升。"))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4
    assert all(r == results[0] for r in results)


def test_generated_summary_keeps_a_space_between_english_sentences() -> None:
    summary = nlp.generate_summary(["The bot sends a digest. It runs every morning.", "中文一句。"])
    assert summary.startswith("The bot sends a digest. It runs every morning.")
    assert "morning.中文一句。" in summary
