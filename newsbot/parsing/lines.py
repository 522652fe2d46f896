"""What a line of a dump is: prose, caption, chrome, teaser, a label that ends the body.

:func:`make_lines` splits a page into classified :class:`Line` objects; the predicates
here answer questions about one line at a time. Where the article is on the page is
decided by :mod:`newsbot.parsing.page`.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from newsbot.parsing.dates import find_date
from newsbot.parsing.text import (
    ENDS_SENTENCE,
    NOT_WORDISH,
    SENTENCE_PUNCT,
    SPACES,
    ZERO_WIDTH,
    fold,
    has_cjk,
    squash,
)

__all__ = [
    "Line",
    "dated_label_end",
    "is_bracketed_note",
    "is_caption",
    "is_dateline",
    "is_prose",
    "is_stop",
    "is_teaser",
    "is_update_line",
    "make_lines",
    "skip_label",
    "strip_trailing_widgets",
]

_BULLET = re.compile(r"^(?:[•□■◆◇●○▪▫◦·*›»]|\d{1,2}\.)\s+")


_PLACEHOLDER = re.compile(
    r"^(?:\[[^\]]*\]\s*)+$"  # [image], [INS::INS], [        ] form fields
    r"|^\S+\.(?:png|jpe?g|gif|webp|bmp|svg)$"  # image.png
    r"|^[━─—=\-_*·•~+|]{3,}$"  # rules
    r"|^[*+\-_|\d\s.]{0,6}$"  # "+1", "9 70", "*", "_"
    r"|^\d{1,2}:\d{2}(?::\d{2})?$"  # a time on its own line (a live blog's entry stamp)
    r"|^\d{1,3}\s*/\s*\d{1,3}$",  # a gallery counter: 1/6
    re.IGNORECASE,
)


_GALLERY_COUNTER = re.compile(r"^\d{1,3}\s*/\s*\d{1,3}$")


# An image or ad marker inside a line of text: a bracketed file-name-like token.
_INLINE_PLACEHOLDER = re.compile(r"\[[A-Za-z0-9_\-.:/]{1,40}\]|\[\s*\]")


# Words of a page's own interface (loading, retry, submit), never of an article.
_UI_TEXT = re.compile(
    r"加载中|请稍候|请稍后|刷新本页|刷新页面|点击加载|暂无评论|浏览器不支持|请升级浏览器|请使用.{0,8}浏览器"
)


class Line(NamedTuple):
    """One line of the page: its clean text, its NFKC key and what kind of line it is.

    A named tuple rather than a frozen dataclass: pages have hundreds of lines and
    tuple construction is several times cheaper.
    """

    pos: int  # 0-based line number in the page
    text: str  # squashed, bullet marker removed
    key: str  # text with full-width forms folded (see fold), for label matching
    indent: int
    bullet: bool
    blank: bool
    chrome: bool  # image placeholder, form field, rule, lone number
    prose: bool  # reads like running text (see is_prose)
    caption: bool  # an image caption (see is_caption)
    stop: bool  # a label that ends the body (see is_stop)
    skip: bool  # metadata to skip inside the body (see skip_label)
    after_image: bool = False  # the text followed an image (an avatar before a byline)
    first_cell: str = ""  # the key's text before a wide gap (cells of a table row), or ""
    columns: int = 1  # cells set apart by runs of spaces: 3 or more is a row of a table
    under_picture: bool = False  # a short phrase set right under an image (a caption in text)

    @property
    def compact(self) -> str:
        """The text without any whitespace: for comparing repeated lines."""
        return "".join(self.key.split())


def make_lines(text: str) -> list[Line]:
    """Split a page into classified :class:`Line` objects (``\n`` line ends expected)."""
    text = ZERO_WIDTH.sub("", text)
    raws = text.split("\n")
    squashed = _LINE_SPACES.sub(" ", text)  # one pass for the page, line breaks kept
    cleans = squashed.split("\n")
    keys = fold(squashed).split("\n")
    lines: list[Line] = []
    append = lines.append
    for index, raw in enumerate(raws):
        stripped = raw.lstrip(" \t\u00a0\u3000\u2002\u2003")
        indent = len(raw) - len(stripped)
        if not stripped:
            append(Line(index, "", "", indent, False, True, *_NO_FLAGS))
            continue
        clean = cleans[index].strip()
        key = keys[index].strip()
        after_image = False
        if "[" in key and _PLACEHOLDER.match(key) is None:  # text with images glued in
            after_image = _INLINE_PLACEHOLDER.match(key) is not None
            clean = squash(_INLINE_PLACEHOLDER.sub(" ", clean)) or clean
            key = squash(_INLINE_PLACEHOLDER.sub(" ", key)) or key
        bullet = False
        match = _BULLET.match(clean)
        if match:
            bullet = True
            clean = clean[match.end() :]
            key = _BULLET.sub("", key, count=1)
        if not clean or clean == "•":
            append(Line(index, "", "", indent, bullet, not bullet, *_NO_FLAGS))
            continue
        chrome = _PLACEHOLDER.match(key) is not None or _UI_TEXT.search(key) is not None
        short = len(key) < 5
        append(
            Line(
                index,
                clean,
                key,
                indent,
                bullet,
                False,
                chrome,
                not (chrome or short) and _prose_key(key),
                not (chrome or short) and _caption_key(key),
                _STOP.match(key) is not None or _is_notice(key),
                _SKIP_LABEL.match(key) is not None,
                after_image,
                _first_cell(fold(raw)) if "        " in raw or "\u3000" * 4 in raw else "",
                _columns(stripped) if "   " in raw or "\u3000\u3000" in raw else 1,
            )
        )
    return _mark_gallery_captions(lines)


def _mark_gallery_captions(lines: list[Line]) -> list[Line]:
    """The text under a gallery counter (``1/6``) is that picture's caption.

    A short phrase set right under a picture, with no blank line between (the same
    block), is its caption too; after a blank line it is as often a sub-heading."""
    for index, line in enumerate(lines):
        if not line.chrome:
            continue
        nxt = next((j for j in range(index + 1, len(lines)) if not lines[j].blank), None)
        if nxt is None or lines[nxt].chrome:
            continue
        under = lines[nxt]
        if _GALLERY_COUNTER.match(line.key):
            lines[nxt] = under._replace(caption=True, prose=False)
        elif nxt == index + 1 and _IMAGE.match(line.key) and _is_phrase(under):
            # set in the picture's own block (no blank line between): inside an article,
            # its caption (above one, a logo over the headline: left to the header)
            lines[nxt] = under._replace(under_picture=True)
    return lines


# A picture's placeholder: a file-name-like token (digits or underscores), not a button
# label such as [SUBMIT] or [搜索].
_IMAGE = re.compile(
    r"^\[[A-Za-z0-9.\-]*[\d_][A-Za-z0-9_.\-]*\]$|^\S+\.(?:png|jpe?g|gif|webp)$", re.IGNORECASE
)
_PHRASE = 30  # characters: a caption phrase, not a paragraph


def _is_phrase(line: Line) -> bool:
    return (
        not line.prose
        and not line.bullet
        and len(line.key) <= _PHRASE
        and ENDS_SENTENCE.search(line.key) is None
        and has_cjk(line.key)
    )


_NO_FLAGS = (False, False, False, False, False)
_TAIL = 24  # characters at the end of a line that end-anchored patterns need (x1-3)
_LINE_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u3000\u2000-\u200a\u202f\u205f]+")


_COLUMN_GAP = re.compile(r"(?<=\S)(?: {3,}|\u3000{2,})(?=\S)")


_CELL_GAP = re.compile(r"\S(?: {8,}|\u3000{4,})\S")  # how a text browser sets table cells apart


def _columns(text: str) -> int:
    return len(_COLUMN_GAP.findall(text.rstrip())) + 1


def _first_cell(key: str) -> str:
    gap = _CELL_GAP.search(key.strip())
    return SPACES.sub(" ", key.strip()[: gap.start() + 1]) if gap else ""


_ENGLISH_CREDIT = re.compile(
    r"[(\[](?:Photo|Photos|Image|Picture)s?\s*(?:by|:|/)[^()\[\]]{1,40}[)\]]\s*$", re.I
)


_CREDIT_TAIL = re.compile(
    r"[(（][^()（）]{0,30}(?:摄|截图|供图|资料图|图源|图片来源|视觉中国|新华社发|网络图片)[^()（）]{0,10}[)）]\s*$"
)


# A photo credit after the caption's last sentence: "…现场。山东女子学院供图",
# "…座谈会。新华社记者 谢环驰 摄".
_CREDIT_AFTER = re.compile(
    r"[。！？!?]\s*[^。！？!?，,]{2,24}?\s*(?:摄|供图|/摄|摄影|图源[^。]{0,12}|资料图)\s*$"
)


# Captions that say they are: "图为…", "图：…", "上图：…", "（图）…".
_CAPTION_START = re.compile(
    r"^(?:[(（]?(?:上|下|左|右|组)?图[)）]?\s*[:：]|图为|图片[:：]|图注[:：]|视频\s*[:：])"
    r"|^(?:附)?表\s*\d{0,2}\s*[:：]|^注\s*[:：]"  # a table's title and its footnote
    r"|^[▲△↑]"  # "▲ 新车官图": a caption under its picture
    r"|(?:^|[(\[])(?:Photo|Photos|Image|Picture)\s*(?:by|:|/)",
    re.IGNORECASE,
)


def is_caption(line: Line) -> bool:
    """Image captions: text printed twice in a row, or ending with a photo credit."""
    return line.caption


# Every caption rule needs one of these: a quick test before the four patterns.
_CAPTION_HINT = re.compile(r"[摄图表注视截供▲△↑频]|新华社|photo|image|picture", re.IGNORECASE)


def _caption_key(key: str) -> bool:
    text = key.replace(" ", "")
    half = len(text) // 2
    if len(text) >= 8 and len(text) % 2 == 0 and text[:half] == text[half:]:
        return True
    if len(key) >= 160 or not _CAPTION_HINT.search(key):
        return False
    tail = key[-_TAIL * 3 :]  # the credit patterns are anchored at the end and bounded
    return bool(
        _CREDIT_TAIL.search(tail)
        or _CREDIT_AFTER.search(tail)
        or _CAPTION_START.match(key)
        or _ENGLISH_CREDIT.search(tail)
    )


def is_prose(line: Line) -> bool:
    """A line that reads like a paragraph of running text."""
    return line.prose


# A teaser cut short by a list page: "...", a lone "…", or either before a link label.
_TRUNCATED = re.compile(
    r"(?:\.{3,}|(?<!…)…)\s*(?:[【\[][^】\]]{1,6}[】\]]|>>|»|更多|详细|全文)?$"
    r"|[【\[](?:详细|全文|更多|阅读全文)[】\]]$"
)


def is_teaser(key: str) -> bool:
    """A teaser paragraph of a news list, truncated by the page (``……将于...``)."""
    return _TRUNCATED.search(key[-_TAIL:]) is not None  # the pattern is anchored at the end


def _prose_key(key: str) -> bool:
    if len(key) < 5 or is_teaser(key):
        return False
    has_punct = SENTENCE_PUNCT.search(key) is not None
    ends = ENDS_SENTENCE.search(key) is not None
    if not has_punct and not ends:
        return False
    words = len(NOT_WORDISH.sub("", key))
    return (words >= 12 and has_punct) or (words >= 4 and ends)


# Labels whose line is metadata to skip when it sits in the body area.
_SKIP_LABEL = re.compile(
    r"^[(\[【]?\s*(?:原标题|原题|摘要|内容摘要|内容提要|提要|导语|核心提示|划重点)\s*[\]】)]?\s*[:：]?"
    r"|^[(\[【]?\s*(?:本文|此文|原文)(?:首发|首刊|刊发|转载|转自|原载|发表|摘编|编译)(?:于|自)"
    r"|^[(\[【]?\s*编者按\s*[\]】)]?\s*[:：]"  # an editor's note: neither summary nor body
)


# Lines that end the article body.
_STOP = re.compile(
    r"^[(\[【]?\s*(?:"
    r"(?:责任编辑|责编|值班编辑|编辑|来源|信息来源|本文来源|文章来源|稿件来源|新闻来源|出处|"
    r"关键字|关键词|标签|相关热词(?:搜索)?|上一篇|下一篇|上一条|下一条|分享到|原文链接|本文链接)"
    r"\s*[:：]"
    r"|(?:责任编辑|责编)|上一篇|下一篇|相关阅读|相关新闻|相关文章|相关推荐|相关报道|推荐阅读|"
    r"延伸阅读|热门推荐|猜你喜欢|为你推荐|作者最新文章|更多(?:精彩|快讯|新闻|资讯|报道|文章|阅读)|"
    r"分享到|扫一扫|打印|关闭窗口|"
    r"正文已结束|纠错|网友评论|我要评论|发表评论|热门评论|版权声明|免责声明|原创版权|反侵权|"
    r"(?:本文|本作品|本稿|本文章)(?:为|系|是)?.{0,24}原创|未经.{0,12}(?:许可|授权|允许)|版权所有|"
    r"转载.{0,12}(?:注明|联系|请|须|务必)|copyright|©|关键字|关键词|标签\s|"
    r"(?:题图|头图|封面图)(?:来自|来源|[:：])|广告声明|参考文献|参考资料\s*[:：]|风险提示|免责条款|"
    r"本文来自|"
    r"相关热词|(?:标签|关键字|关键词)$)",
    re.IGNORECASE,
)


# A rights notice anywhere in a short line ends the body too:
# "39健康网(www.39.net)专稿,未经书面授权请勿转载。"
_NOTICE = re.compile(
    r"未经.{0,12}(?:许可|授权|允许).{0,12}(?:转载|使用|复制)|(?:转载|转发).{0,8}请?注明出处"
    r"|仅代表.{0,10}(?:作者|本人|个人).{0,4}(?:观点|立场)|不代表.{0,12}(?:观点|立场)"
    r"|仅提供信息(?:发布|存储)|经授权转载|转载请联系"
    r"|(?:欢迎|请|扫码|长按).{0,16}关注.{0,12}(?:公众号|官方微信|微信号)"  # promotion
)


def _is_notice(key: str) -> bool:
    return len(key) < 120 and _NOTICE.search(key) is not None


_COMMENTS = re.compile(
    r"^[(\[【]?\s*(?:网友评论|热门评论|最新评论|全部评论|精彩评论|用户评论|读者评论|评论区|"
    r"发表评论|我要评论|网友留言|留言板)"
)


def is_comments_heading(line: Line) -> bool:
    """The heading of a page's comment section: what follows is readers', not the article."""
    return _COMMENTS.match(line.key) is not None


def skip_label(line: Line) -> bool:
    """Metadata inside the body area (原标题, 摘要 …): skipped, not a paragraph."""
    return line.skip


def is_stop(line: Line) -> bool:
    """A footer label or widget that ends the article body."""
    return line.stop


_BRACKETED = re.compile(r"^\s*(?:[(（][^()（）]*[)）]|【[^【】]*】|\[[^\[\]]*\])\s*$")


def is_bracketed_note(paragraph: str) -> bool:
    """A short paragraph wholly in brackets under the text: an editor's note or ``（完）``."""
    return len(paragraph) <= 80 and _BRACKETED.match(fold(paragraph)) is not None


_WIDGET_TAIL = re.compile(
    r"(?<=[。！？!?”\"])\s*[●◆■▲►▶>»]?\s*(?:返回|点击|查看|进入|更多)[^。！？!?，,]{0,20}$"
)


def strip_trailing_widgets(text: str) -> str:
    """Drop link text glued after the last sentence (``……持续。●返回腾讯网首页>>``)."""
    head, tail = text[: -_TAIL * 2], text[-_TAIL * 2 :]  # the pattern is anchored at the end
    return (head + _WIDGET_TAIL.sub("", tail)).rstrip()


_DATED_LABEL = re.compile(r"^(?:发布时间|发表时间|发布日期|更新时间|日期|时间)\s*[:：]")


def is_dateline(line: Line) -> bool:
    """A short line printing a date, not a sentence that mentions one."""
    if line.blank or len(line.key) > 100 or skip_label(line):
        return False
    found = find_date(line.key)
    if found is None:
        return False
    rest = line.key[: found.start] + line.key[found.end :]  # "May 6, 2023" has its own comma
    return not re.search(r"[，。！？；,!?;]", rest)


_UPDATED = re.compile(
    r"^(?:最后|最近)?(?:更新|修改|编辑)(?:时间|日期|于)?\s*[:：]"
    r"|^本(?:帖|文)最后由.{0,30}编辑"  # forum software: "本帖最后由 X 于 <date> 编辑"
)


def is_update_line(line: Line) -> bool:
    """``最后更新：…``: when the page was changed, not when it was published."""
    return _UPDATED.match(line.key) is not None


_DATED_LABEL_INSIDE = re.compile(
    r"(?:^|(?<=[\s|｜丨]))(?:发布时间|发表时间|发布日期|更新时间|日期|时间)\s*[:：]"
)


def dated_label_end(line: Line) -> int | None:
    """Where the date after a 发布时间/日期 label starts on the line (anywhere on a
    meta line: ``来源：某报 | 发布时间：2024年05月21日``), or None."""
    match = _DATED_LABEL_INSIDE.search(line.key)
    return match.end() if match else None
