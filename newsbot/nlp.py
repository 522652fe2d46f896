"""Chinese text helpers built on jieba: sentences, keywords, tags and fallback summaries.

Everything here is pure. jieba loads its dictionary on first use (about a second);
that happens once per process, under a lock, with jieba's own logger silenced.
Keyword extraction is the dominant cost of ingesting a page, so callers run it
once per article (:func:`build_tags` does exactly one call).
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from types import ModuleType

__all__ = [
    "GENERIC_SECTIONS",
    "build_tags",
    "extract_keywords",
    "generate_summary",
    "normalise_tag",
    "split_sentences",
]

_init_lock = threading.Lock()
# Keywords come from the start of long articles: TF-IDF cost grows with the text,
# and the lead paragraphs carry the topic.
_MAX_KEYWORD_INPUT = 3000
_analyse: ModuleType | None = None

# A sentence ends at 。！？!? (or an ellipsis), possibly followed by closing quotes or
# brackets, which belong to the sentence they close.
_SENTENCE_END = re.compile(r"(?:[。！？!?]+|…{1,2}|\.{3,6})(?:\s*[”’」』)）\"'])*")
_NUMERIC = re.compile(r"^[\d.,%％·:：\-/+]+$|^\d+[年月日号时分秒个万亿元]?$")

# Words that TF-IDF likes but that say nothing about a story.
_JUNK_TEXT = """
记者 编辑 责任编辑 来源 表示 介绍 认为 进行 目前 已经 今年 去年 明年 今天 昨天 日前
近日 此前 同时 此外 其中 以及 一个 一些 这个 这些 那些 我们 他们 你们 她们 自己
没有 可以 还是 就是 因为 所以 如果 但是 通过 相关 有关 方面 情况 问题 工作 进一步
指出 强调 称为 成为 发现 开始 继续 需要 能够 可能 据悉 报道 消息 新闻 正文 首页
图片 视频 原标题 本报 本网 全文 点击 查看 更多 分享 转载 版权 责编 作者 文章 小时
"""
_JUNK_WORDS = frozenset(_JUNK_TEXT.split())

# Section names that carry no topic of their own; kept out of tags.
_GENERIC_TEXT = """
首页 正文 新闻 新闻中心 资讯 频道 要闻 首页新闻 正文页 内容 详情 文章 当前位置 网站首页
news home
"""
GENERIC_SECTIONS = frozenset(_GENERIC_TEXT.split())


def _jieba_analyse() -> ModuleType:
    """Import and initialise jieba once, thread-safely, with its logger quiet."""
    global _analyse
    if _analyse is None:
        with _init_lock:
            if _analyse is None:
                import jieba
                import jieba.analyse

                jieba.setLogLevel(logging.WARNING)
                jieba.initialize()
                _analyse = jieba.analyse
    return _analyse


def split_sentences(text: str) -> list[str]:
    """Split Chinese (or mixed) text into sentences, keeping the end punctuation.

    Closing quotes after the end mark stay with their sentence:
    ``他说：“好。”然后走了。`` -> ``['他说：“好。”', '然后走了。']``.
    """
    sentences: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        piece = text[start : match.end()].strip()
        if piece:
            sentences.append(piece)
        start = match.end()
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences


def _is_junk(word: str) -> bool:
    word = word.strip()
    return (
        len(word) < 2
        or word.lower() in _JUNK_WORDS
        or word in _JUNK_WORDS
        or bool(_NUMERIC.match(word))
        or not any(ch.isalpha() for ch in word)
    )


def extract_keywords(text: str, topk: int = 8, *, weight_text: str = "") -> list[str]:
    """Top TF-IDF keywords of ``text`` (jieba), without numbers, single characters or junk.

    ``weight_text`` (the title, say) is added to the input once more, so its words
    weigh more.
    """
    if not text.strip() or topk <= 0:
        return []
    analyse = _jieba_analyse()
    tfidf_input = f"{weight_text}\n{text}" if weight_text else text
    tfidf_input = tfidf_input[:_MAX_KEYWORD_INPUT]
    candidates = [w for w in analyse.extract_tags(tfidf_input, topK=topk * 3) if not _is_junk(w)]
    keywords: list[str] = []
    merged = _merge_compounds(candidates[: topk * 2], tfidf_input)
    for word in merged + candidates[topk * 2 :]:
        if word not in keywords:
            keywords.append(word)
            if len(keywords) == topk:
                break
    return keywords


def _merge_compounds(words: list[str], text: str) -> list[str]:
    """Join keyword pairs the text nearly always prints together (营商 + 环境 -> 营商环境).

    jieba cuts many compound terms into two dictionary words; when ``a + b`` occurs
    at least three times and accounts for most uses of one of them, the compound is the
    better tag. A part is dropped when most of its own uses are inside the compound.
    """
    counts = {w: text.count(w) for w in words}
    result = list(words)
    for a in words:
        for b in words:
            if a == b or (a not in result and b not in result):
                continue
            joined = a + b
            together = text.count(joined)
            if together < 3 or together < 0.6 * max(counts[a], counts[b]) or len(joined) > 8:
                continue
            position = min(result.index(w) for w in (a, b) if w in result)
            result.insert(position, joined)
            for part in (a, b):
                if part in result and together >= 0.7 * counts[part]:
                    result.remove(part)
    return result


def normalise_tag(tag: str) -> str:
    """NFKC, trimmed, latin letters lowercased, inner whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", tag).lower().split())


def build_tags(
    breadcrumb: Iterable[str],
    keywords: Iterable[str],
    title: str,
    body: Sequence[str] | str,
    *,
    limit: int = 8,
) -> tuple[str, ...]:
    """Tags for browsing: specific sections, the page's keywords, then extracted words.

    At most the two most specific breadcrumb sections (generic ones such as 首页 or
    新闻 are skipped), up to four of the page's own keywords, then keywords jieba
    finds in the title and body, until ``limit`` tags. Tags are normalised
    (:func:`normalise_tag`) and de-duplicated. jieba runs once.
    """
    tags: list[str] = []

    def add(candidates: Iterable[str], room: int) -> None:
        added = 0
        for raw in candidates:
            tag = normalise_tag(raw)
            if added >= room or len(tags) >= limit:
                return
            if tag and tag not in tags and tag not in GENERIC_SECTIONS and not tag.endswith("首页"):
                tags.append(tag)
                added += 1

    sections = [s for s in breadcrumb if normalise_tag(s) not in GENERIC_SECTIONS]
    add(sections[-2:], 2)
    add(keywords, 4)
    body_text = body if isinstance(body, str) else "\n".join(body)
    # The title counts twice: it is the densest statement of what the story is about.
    extracted = extract_keywords(body_text, topk=limit, weight_text=title)
    add(extracted, limit)
    return tuple(tags)


_LATIN_END = re.compile(r"(?<=[A-Za-z0-9)\"'][.!?])\s+(?=[A-Z\"'(])")


def _needs_space(before: str, after: str) -> bool:
    """Sentences of Latin-script text are joined with a space; Chinese ones are not."""
    return bool(before) and before[-1] in ".!?;:\"')" and after[:1].isascii()


def _summary_sentences(text: str) -> list[str]:
    """Sentences for a summary: Chinese ends, and ``. `` between English sentences."""
    return [part for piece in split_sentences(text) for part in _LATIN_END.split(piece) if part]


def generate_summary(paragraphs: Sequence[str], limit: int = 150) -> str:
    """The leading sentences of the body, at most ``limit`` characters, cut at a sentence end.

    Paragraphs without a sentence end (sub-headings, captions) are skipped. If the
    first sentence alone is longer than ``limit`` it is cut and ends with ``…``.
    """
    sentences: list[str] = []
    for paragraph in paragraphs:
        text = paragraph.strip()
        if not text or not (_SENTENCE_END.search(text) or text.endswith(".")):
            continue
        sentences.extend(_summary_sentences(text))
    if not sentences:
        sentences = [p.strip() for p in paragraphs if p.strip()]
    if not sentences:
        return ""
    summary = ""
    for sentence in sentences:
        glue = " " if _needs_space(summary, sentence) else ""
        if len(summary) + len(glue) + len(sentence) > limit:
            break
        summary += glue + sentence
    if not summary:
        summary = sentences[0][: max(limit - 1, 1)].rstrip() + "…"
    return summary
