"""Line-level rules of the page parser: what a line is, and what a labelled line says.

:mod:`newsbot.parsing.page` decides *where* the title, header and body of a page are;
this module answers questions about single lines (is it chrome, prose, a caption,
a breadcrumb?) and pulls values out of labelled lines (来源, 编辑, 记者, dates,
keywords). Label matching works on the NFKC form of a line, so full- and
half-width punctuation (``：``/``:``, ``（``/``(``) and odd spaces all match alike.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import NamedTuple

from newsbot.models import Precision

__all__ = [
    "Line",
    "ParsedDate",
    "author_in",
    "breadcrumb_in",
    "editor_in",
    "find_date",
    "is_caption",
    "is_prose",
    "is_stop",
    "is_title_like",
    "keyword_label_value",
    "make_lines",
    "skip_label",
    "source_in",
    "split_keywords",
    "squash",
    "summary_in",
    "trailing_credit",
    "url_in",
]

CHINA_TZ = timezone(timedelta(hours=8))

_SPACES = re.compile(r"[\s\u00a0\u3000\u2000-\u200a\u202f\u205f]+")
_ZERO_WIDTH = re.compile(r"[\u200b-\u200d\u2060\ufeff]")
_BULLET = re.compile(r"^(?:[•□■◆◇●○▪▫◦·*]|\d{1,2}\.)\s+")
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
_UI_TEXT = re.compile(r"加载中|请稍候|请稍后|刷新本页|刷新页面|点击加载|暂无评论")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_NOT_WORDISH = re.compile(r"[^\u3400-\u9fff\uf900-\ufaffA-Za-z0-9]+")
_SENTENCE_PUNCT = re.compile(r"[，。！？；,!?;]")
_ENDS_SENTENCE = re.compile(r"[。！？!?…][”’」』)）\"']*$")
_URL = re.compile(r"https?://[^\s<>\"'）)】\]]+|www\.[a-z0-9-]+\.[a-z.]+", re.IGNORECASE)


def squash(text: str) -> str:
    """Strip a line and collapse every run of (NBSP, ideographic, ...) spaces to one space."""
    return _SPACES.sub(" ", _ZERO_WIDTH.sub("", text)).strip()


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


# Full NFKC of a whole page costs about a millisecond; label matching only needs the
# full-width ASCII forms, small form variants and odd spaces folded, which a regex
# finds in C and a table maps.
_FOLDABLE = "".join(
    chr(c) for c in (*range(0xFF01, 0xFF5F), *range(0xFE50, 0xFE6C), 0x3000, 0x00A0, 0xFE30)
)
# Traditional characters of the labels and widgets the rules look for, mapped one to
# one onto their simplified forms, so a 繁體 page's 責任編輯 / 記者 / 來源 / 標籤 match.
# (Only keys are mapped; field values are restored from the page's own text.)
_TRADITIONAL = dict(
    zip(
        "責編輯記來頁標籤簽關鍵詞時間發佈聞後攝訊報導語閱讀點擊覽據熱門當現轉載權聲圖為題網號專欄"
        "論評錄註內簡體臺電視廣員實習選審寫採執筆數薦華國際區態頻動傳遞",
        "责编辑记来页标签签关键词时间发布闻后摄讯报导语阅读点击览据热门当现转载权声图为题网号专栏"
        "论评录注内简体台电视广员实习选审写采执笔数荐华国际区态频动传递",
        strict=True,
    )
)
_FOLD_TABLE = {ch: unicodedata.normalize("NFKC", ch) for ch in _FOLDABLE} | _TRADITIONAL
_FOLD = re.compile("[" + re.escape(_FOLDABLE + "".join(_TRADITIONAL)) + "]")
_HAS_TRADITIONAL = re.compile("[" + "".join(_TRADITIONAL) + "]")


def has_traditional(text: str) -> bool:
    return _HAS_TRADITIONAL.search(text) is not None


def fold(text: str) -> str:
    """Fold full-width punctuation, letters and digits to ASCII (a cheap, partial NFKC)."""
    return _FOLD.sub(lambda m: _FOLD_TABLE[m.group()], text)


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

    @property
    def compact(self) -> str:
        """The text without any whitespace: for comparing repeated lines."""
        return "".join(self.key.split())


def make_lines(text: str) -> list[Line]:
    """Split a page into classified :class:`Line` objects (``\n`` line ends expected)."""
    text = _ZERO_WIDTH.sub("", text)
    raws = text.split("\n")
    keys = fold(text).split("\n")  # one pass for the page; folding keeps line breaks
    lines: list[Line] = []
    append = lines.append
    for index, raw in enumerate(raws):
        stripped = raw.lstrip(" \t\u00a0\u3000\u2002\u2003")
        indent = len(raw) - len(stripped)
        if not stripped:
            append(Line(index, "", "", indent, False, True, *_NO_FLAGS))
            continue
        clean = _SPACES.sub(" ", stripped).rstrip()
        key = _SPACES.sub(" ", keys[index]).strip()
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
                _first_cell(keys[index]),
                len(_COLUMN_GAP.findall(stripped.rstrip())) + 1,
            )
        )
    return _mark_gallery_captions(lines)


def _mark_gallery_captions(lines: list[Line]) -> list[Line]:
    """The text under a gallery counter (``1/6``) is that picture's caption."""
    for index, line in enumerate(lines):
        if line.chrome and _GALLERY_COUNTER.match(line.key):
            nxt = next((j for j in range(index + 1, len(lines)) if not lines[j].blank), None)
            if nxt is not None and not lines[nxt].chrome:
                lines[nxt] = lines[nxt]._replace(caption=True, prose=False)
    return lines


_NO_FLAGS = (False, False, False, False, False)
_COLUMN_GAP = re.compile(r"(?<=\S)(?: {3,}|\u3000{2,})(?=\S)")
_CELL_GAP = re.compile(r"\S(?: {8,}|\u3000{4,})\S")  # how a text browser sets table cells apart


def _first_cell(key: str) -> str:
    gap = _CELL_GAP.search(key.strip())
    return _SPACES.sub(" ", key.strip()[: gap.start() + 1]) if gap else ""


# --------------------------------------------------------------------------
# What a line is.
# --------------------------------------------------------------------------

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
    r"^(?:[(（]?(?:上|下|左|右|组)?图[)）]?\s*[:：]|图为|图片[:：]|图注[:：])"
    r"|^(?:附)?表\s*\d{0,2}\s*[:：]|^注\s*[:：]"  # a table's title and its footnote
    r"|(?:^|[(\[])(?:Photo|Photos|Image|Picture)\s*(?:by|:|/)",
    re.IGNORECASE,
)


def is_caption(line: Line) -> bool:
    """Image captions: text printed twice in a row, or ending with a photo credit."""
    return line.caption


def _caption_key(key: str) -> bool:
    text = key.replace(" ", "")
    half = len(text) // 2
    if len(text) >= 8 and len(text) % 2 == 0 and text[:half] == text[half:]:
        return True
    if len(key) >= 160:
        return False
    return bool(
        _CREDIT_TAIL.search(key)
        or _CREDIT_AFTER.search(key)
        or _CAPTION_START.match(key)
        or _ENGLISH_CREDIT.search(key)
    )


def is_prose(line: Line) -> bool:
    """A line that reads like a paragraph of running text."""
    return line.prose


# A teaser cut short by a list page: "...", a lone "…", or either before a link label.
_TRUNCATED = re.compile(
    r"(?:\.{3,}|(?<!…)…)\s*(?:[【\[][^】\]]{1,6}[】\]]|>>|»|更多|详细|全文)?$"
    r"|[【\[](?:详细|全文|更多|阅读全文)[】\]]$"
)


def ends_sentence(text: str) -> bool:
    """Does ``text`` end with a sentence end (。！？!? …, closing quotes allowed)?"""
    return _ENDS_SENTENCE.search(fold(text)) is not None


def has_cjk(text: str) -> bool:
    return _CJK.search(text) is not None


def is_teaser(key: str) -> bool:
    """A teaser paragraph of a news list, truncated by the page (``……将于...``)."""
    return _TRUNCATED.search(key) is not None


def _prose_key(key: str) -> bool:
    if len(key) < 5 or is_teaser(key):
        return False
    has_punct = _SENTENCE_PUNCT.search(key) is not None
    ends = _ENDS_SENTENCE.search(key) is not None
    if not has_punct and not ends:
        return False
    words = len(_NOT_WORDISH.sub("", key))
    return (words >= 12 and has_punct) or (words >= 5 and ends)


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
    r"(?:题图|头图|封面图)(?:来自|来源|[:：])|"
    r"相关热词|(?:标签|关键字|关键词)$)",
    re.IGNORECASE,
)


# A rights notice anywhere in a short line ends the body too:
# "39健康网(www.39.net)专稿,未经书面授权请勿转载。"
_NOTICE = re.compile(
    r"未经.{0,12}(?:许可|授权|允许).{0,12}(?:转载|使用|复制)|(?:转载|转发).{0,8}请?注明出处"
    r"|仅代表.{0,10}(?:作者|本人|个人).{0,4}(?:观点|立场)|不代表.{0,12}(?:观点|立场)"
    r"|仅提供信息(?:发布|存储)|经授权转载|转载请联系"
)


def _is_notice(key: str) -> bool:
    return len(key) < 120 and _NOTICE.search(key) is not None


def skip_label(line: Line) -> bool:
    """Metadata inside the body area (原标题, 摘要 …): skipped, not a paragraph."""
    return line.skip


def is_stop(line: Line) -> bool:
    """A footer label or widget that ends the article body."""
    return line.stop


# Page widgets that never sit in a headline...
_TITLE_CHROME_STRONG = (
    r"分享到|字号\s*[:：\]】大中小]|【字号|扫一扫|首页|当前位置|您的位置|所在位置|"
    r"来源[:：]|作者[:：]|编辑[:：]|发布时间|发表于"
)
# ...and words that do (全民阅读, 注册制, 时事评论) unless they carry a count.
_WIDGET_WORDS = "打印|收藏|登录|注册|搜索|评论|客户端|返回|阅读|浏览|点击|查看|回复"
_TITLE_CHROME_WEAK = rf"(?:{_WIDGET_WORDS})(?:数|量)?\s*[:：(（]?\s*\d+\s*(?:次|人|[)）]|$|\s)"
_TITLE_CHROME = re.compile(f"{_TITLE_CHROME_STRONG}|{_TITLE_CHROME_WEAK}")
_SHORT_WIDGET = re.compile(rf"^(?:{_WIDGET_WORDS}|[\s|/]){{2,}}$")


_DIGIT_SHARE = 0.4
# A category before a headline and a link after it: "[新闻转载] 标题 [复制链接]".
_TITLE_MARKS = re.compile(r"^\s*[\[【][^\]】]{1,8}[\]】]\s*|\s*\[[^\]]{1,6}\]\s*$")


def strip_title_marks(text: str) -> str:
    """A headline without the bracketed category before it or link label after it."""
    stripped = _TITLE_MARKS.sub("", text).strip()
    return stripped if len(stripped) >= 4 else text


def is_title_like(line: Line) -> bool:
    """Could this line be (part of) a headline?"""
    if line.blank or line.chrome:
        return False
    text = strip_title_marks(line.key)
    if "[" in text:
        return False
    if not 4 <= len(text) <= 100 or (len(_CJK.findall(text)) < 2 and len(text.split()) < 3):
        return False
    if text.endswith(("。", ":", ":")) or _URL.search(text) or find_date(text) is not None:
        return False
    if _TITLE_CHROME.search(text) or _SHORT_WIDGET.match(text) or breadcrumb_in(line) is not None:
        return False
    if _REPORTER_LINE.match(text):
        return False  # a byline: 本报记者 石磊 发自南岭
    if len(re.findall(r"\d", text)) > _DIGIT_SHARE * len(text):
        return False  # counters and ids: "UID 102934 主题 218 帖子 3311"
    return not skip_label(line) and not is_stop(line)


# --------------------------------------------------------------------------
# Dates.
# --------------------------------------------------------------------------

_TIME = (
    r"(?:\s*(?:T|\s)?\s*(?P<ampm>上午|下午|中午|晚上|早上|凌晨|AM|PM|am|pm)?\s*"
    r"(?P<H>\d{1,2})\s*[:时]\s*(?P<M>\d{2})(?:\s*[:分]\s*(?P<S>\d{2}))?)?"
)
_FULL_DATE = re.compile(
    r"(?<!\d)(?P<y>(?:19|20)\d{2})\s*(?:[-/.]|年)\s*(?P<m>\d{1,2})\s*(?:[-/.]|月)\s*"
    r"(?P<d>\d{1,2})(?!\d)\s*日?" + _TIME
)
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
# English pages: "May 6, 2023 14:20", "Updated: Nov 03, 2022".
_ENGLISH_DATE = re.compile(
    r"\b(?P<mon>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s+(?P<d>\d{1,2}),?\s+"
    r"(?P<y>(?:19|20)\d{2})(?!\d)" + _TIME.replace("(?:\\s*(?:T|\\s)?", "(?:,?\\s*(?:T|\\s)?", 1)
)
# Day first, as European and some Hong Kong pages print it: 06/05/2023, 06.05.2023 14:20.
_DAY_FIRST = re.compile(
    r"(?<![\d./\-])(?P<a>\d{1,2})\s*(?P<sep>[/.\-])\s*(?P<b>\d{1,2})\s*(?P=sep)\s*"
    r"(?P<y>(?:19|20)\d{2})(?!\d)" + _TIME
)
_YEARLESS = re.compile(
    r"(?<![\d./\-年])(?P<m>\d{1,2})\s*(?:[-/]|月)\s*(?P<d>\d{1,2})\s*日?\s*"
    r"(?P<H>\d{1,2})\s*:\s*(?P<M>\d{2})(?::(?P<S>\d{2}))?(?!\d)"
)
_YEARLESS_LABELLED = re.compile(
    r"(?:发布时间|发表时间|发布日期|发表于|时间|日期)\s*[:：]?\s*"
    r"(?P<m>\d{1,2})\s*(?:[-/]|月)\s*(?P<d>\d{1,2})\s*日?" + _TIME
)
_OFFSET = re.compile(
    r"(?:GMT|UTC)\s*(?P<sign>[+-])\s*(?P<h>\d{1,2})(?::?(?P<m>\d{2}))?(?!\d)"
    r"|(?<=\d)\s?(?P<isign>[+-])(?P<ih>[01]\d):(?P<im>[0-5]\d)(?!\d)"  # ISO: +08:00
)
_NOT_A_DATELINE = re.compile(r"今天是|农历|天气")  # the site-wide date bar


@dataclass(frozen=True, slots=True)
class ParsedDate:
    """A date as printed: ``year`` is None when the page left it out."""

    year: int | None
    month: int
    day: int
    hour: int
    minute: int
    second: int
    precision: Precision
    tz: timezone
    start: int
    end: int

    def resolve(self, year: int | None = None) -> datetime | None:
        use = self.year if self.year is not None else year
        if use is None:
            return None
        try:
            return datetime(
                use, self.month, self.day, self.hour, self.minute, self.second, tzinfo=self.tz
            )
        except ValueError:
            return None


def find_date(text: str, *, allow_yearless: bool = True) -> ParsedDate | None:
    """The first plausible date (with optional time) printed in ``text``."""
    key = fold(text)
    if _NOT_A_DATELINE.search(key):
        return None
    match = _FULL_DATE.search(key) or _ENGLISH_DATE.search(key)
    year: int | None = None
    day_first = None if match else _DAY_FIRST.search(key)
    if match:
        year = int(match["y"])
    elif day_first:
        return _day_first(day_first, key)
    elif allow_yearless:
        match = _YEARLESS_LABELLED.search(key) or _YEARLESS.search(key)
    if match is None:
        return None
    hour, minute, second = match["H"], match["M"], match["S"]
    precision: Precision = "day" if hour is None else ("minute" if second is None else "second")
    tz = _offset_after(key, match.end()) if hour is not None else CHINA_TZ
    month = (
        _MONTHS.index(match["mon"][:3].lower()) + 1
        if match.groupdict().get("mon")
        else int(match["m"])
    )
    parsed = ParsedDate(
        year,
        month,
        int(match["d"]),
        _hour24(hour, match.groupdict().get("ampm") or _ampm_after(key, match.end())),
        int(minute or 0),
        int(second or 0),
        precision,
        tz,
        match.start(),
        match.end(),
    )
    if parsed.resolve(2000) is None:  # 2000 is a leap year: only checks month/day/time ranges
        return None
    return parsed


_AMPM_AFTER = re.compile(r"\s*(?P<x>AM|PM|am|pm|a\.m\.|p\.m\.)(?![A-Za-z])")


def _ampm_after(key: str, end: int) -> str | None:
    found = _AMPM_AFTER.match(key, end)
    return found["x"].replace(".", "").upper() if found else None


def _hour24(hour: str | None, ampm: str | None) -> int:
    """``下午3:20`` is 15:20; ``上午12:05`` and ``凌晨12:05`` are 00:05."""
    value = int(hour or 0)
    if ampm in ("下午", "晚上", "PM", "pm") and value < 12:
        return value + 12
    if ampm in ("上午", "凌晨", "早上", "AM", "am") and value == 12:
        return 0
    return value


def _day_first(match: re.Match[str], key: str) -> ParsedDate | None:
    """``DD/MM/YYYY`` (or ``MM/DD/YYYY`` when only that reading is a date)."""
    a, b = int(match["a"]), int(match["b"])
    day, month = (b, a) if b > 12 >= a else (a, b)
    hour, minute, second = match["H"], match["M"], match["S"]
    precision: Precision = "day" if hour is None else ("minute" if second is None else "second")
    parsed = ParsedDate(
        int(match["y"]),
        month,
        day,
        _hour24(hour, match.groupdict().get("ampm") or _ampm_after(key, match.end())),
        int(minute or 0),
        int(second or 0),
        precision,
        _offset_after(key, match.end()),
        match.start(),
        match.end(),
    )
    return parsed if parsed.resolve() is not None else None


def _offset_after(key: str, end: int) -> timezone:
    """The zone printed right after a time (``GMT+1``, ``UTC+08:00``, ``+08:00``), else +08:00."""
    offset = _OFFSET.search(key, end)
    if offset is None or offset.start() - end >= 8:
        return CHINA_TZ
    sign, hours, minutes = (
        (offset["sign"], offset["h"], offset["m"])
        if offset["sign"]
        else (offset["isign"], offset["ih"], offset["im"])
    )
    delta = timedelta(hours=int(hours), minutes=int(minutes or 0))
    if delta > timedelta(hours=14):
        return CHINA_TZ
    return timezone(delta if sign == "+" else -delta)


# --------------------------------------------------------------------------
# Breadcrumbs.
# --------------------------------------------------------------------------

_CRUMB_LABEL = re.compile(
    r"(?<![\u4e00-\u9fff])(?:当前位置|您的位置|你的位置|您现在的位置|你现在的位置|您所在的位置|你所在的位置|所在位置|"
    r"您当前的位置|你当前的位置|您当前位置|当前的位置|位置导航|导航)\s*[:：]?\s*(?:>>?|»|›|→)?\s*(?P<rest>.*)$"
)
_CRUMB_SEP = re.compile(r"\s*(?:>>?|»|›|→|＞|/|\||｜)\s*")
_CRUMB_ARROWS = re.compile(r">|»|›|→|＞")
_DROP_CRUMBS = frozenset({"首页", "网站首页", "正文", "正文页", "返回首页", "home", "Home"})


_LONG_CRUMB = 16  # a trail's last item this long is the article's headline, not a section


def _crumb_items(rest: str, *, whitespace: bool) -> list[str] | None:
    rest = re.sub(r"\[[^\]]*\]", " ", rest).strip()
    if not rest:
        return None
    parts = (
        _CRUMB_SEP.split(rest)
        if _CRUMB_SEP.search(rest)
        else (rest.split() if whitespace else [rest])
    )
    items = [p.strip() for p in parts]
    while len(items) > 1 and not items[-1]:
        items.pop()  # a trailing separator: "中国科普网 > 时政新闻 >"
    if items and items[0] and " " in items[0]:
        items[0] = items[0].split()[-1]  # "订阅业界RSS CSDN首页" -> "CSDN首页"
    if len(items) >= 2 and (len(items[-1]) > _LONG_CRUMB or items[-1].endswith(("...", "…"))):
        items.pop()  # the trail ends with the headline itself (often cut short)
    if not items or any(not i or len(i) > 20 for i in items) or len(items) > 9:
        return None
    return items


def breadcrumb_in(line: Line) -> list[str] | None:
    """The items of a breadcrumb line (首页 and 正文 still in), or None.

    A trail set in a table row with other cells (``汽车 >> 业界新闻      新闻排行榜``)
    is read from its own cell.
    """
    if line.first_cell:
        found = _breadcrumb_key(line.first_cell)
        if found is not None:
            return found
    return None if line.blank else _breadcrumb_key(line.key)


def _breadcrumb_key(key: str) -> list[str] | None:
    if len(key) > 120:
        return None
    label = _CRUMB_LABEL.search(key)
    if label and label.start() < 20:
        return _crumb_items(label["rest"], whitespace=True)
    if _CRUMB_ARROWS.search(key):
        items = _crumb_items(key, whitespace=False)
        if items and len(items) >= 2 and not _SENTENCE_PUNCT.search(key):
            return items
        return None
    if (" | " in key or " / " in key) and (
        "正文" in key or key.startswith(("首页 /", "Home /", "home /", "首页 >"))
    ):
        return _crumb_items(key, whitespace=False)
    tokens = key.split()
    if 2 <= len(tokens) <= 8 and tokens[-1] == "正文" and all(len(t) <= 12 for t in tokens):
        return tokens
    return None


def clean_breadcrumb(items: list[str]) -> tuple[str, ...]:
    return tuple(i for i in items if i not in _DROP_CRUMBS)


# --------------------------------------------------------------------------
# Labelled values: source, editor, author, summary, keywords, url.
# --------------------------------------------------------------------------

_VALUE_CUT = re.compile(
    r"\s|[|｜,，;；【\[(（]|责任编辑|编辑|作者|记者|发布时间|(?:时间|日期)[:：]|字号|点击|浏览|阅读|举报|"
    r"分享|打印|收藏|"
    r"\d{4}[-年/.]"
)
_SOURCE = re.compile(
    r"(?:^|(?<=[\s|｜(（\[【•□\d]))(?:信息来源|本文来源于|本文来源|文章来源|稿件来源|新闻来源|来源于|来源|出处)\s*[:：]?\s*"
)
_BAD_VALUE = re.compile(r"^[\d\W_]*$|^(?:网络|未知|本站)$")


def _value_after(key: str, start: int) -> str | None:
    rest = key[start:].lstrip()
    cut = _VALUE_CUT.search(rest, 1) if rest else None
    value = (rest[: cut.start()] if cut else rest).strip(" :：-—·")
    if not value or _BAD_VALUE.match(value) or len(value) > 30:
        return None
    return value


def source_in(line: Line) -> str | None:
    for match in _SOURCE.finditer(line.key):
        value = _value_after(line.key, match.end())
        if value:
            return value
    return None


_NAME = r"[\u3400-\u9fffA-Za-z0-9_·•]{2,20}"
_EDITOR_ROLES = (  # most responsible first: the truth of a page is its 责任编辑
    ("责任编辑", "责编"),
    ("值班编辑", "本文编辑"),
    ("编辑", "Editor", "editor"),
    ("选稿",),
)
_EDITOR = re.compile(
    r"(?P<role>责任编辑|责编|值班编辑|本文编辑|编辑|选稿|Editor|editor)\s*(?P<sep>[:：︱|丨/])?\s*"
)
_EDITOR_BEFORE = re.compile(r"(?:^|[\s|｜(\[【•□])$")


def editors_in(line: Line) -> list[tuple[int, str]]:
    """Every editor credit on the line as ``(rank, names)``; rank 0 is 责任编辑.

    Each label's value runs to the next label, so ``编辑：甲   责任编辑：乙`` gives both.
    A bare ``编辑`` counts with a separator after it or inside brackets
    (``(松花江网编辑 孙桂芳)``), not in running text (``编辑部``).
    """
    key = line.key
    labels = list(_EDITOR.finditer(key))
    found: list[tuple[int, str]] = []
    for i, match in enumerate(labels):
        role = match["role"]
        in_brackets = re.search(r"[(（\[【][^()（）\[\]【】]{0,12}$", key[: match.start()])
        if not (_EDITOR_BEFORE.search(key[: match.start()]) or in_brackets):
            continue
        if role in ("编辑", "选稿", "Editor", "editor") and not match["sep"] and not in_brackets:
            continue
        if role.lower() == "editor" and not match["sep"]:
            continue
        stop = labels[i + 1].start() if i + 1 < len(labels) else len(key)
        value = re.split(r"[)）\]】]", key[match.end() : stop], maxsplit=1)[0]
        names = _editor_names(value.strip())
        if names:
            rank = next(r for r, roles in enumerate(_EDITOR_ROLES) if role in roles)
            found.append((rank, names))
    return found


def _editor_names(raw: str) -> str | None:
    """Cut what follows the names (another label, a date) and keep their separators."""
    names: list[str] = []
    for part in re.split(r"(\s+|[、,，]\s*)", raw):
        if not part or part.isspace() or re.fullmatch(r"[、,，]\s*", part):
            if names and part:
                names.append(part.strip() or " ")
            continue
        if _LABEL_WORD.search(part) or len(part) > 12 or not _NAME_PART.match(part):
            break
        names.append(part)
    while names and (names[-1] == " " or names[-1] in "、,，"):
        names.pop()
    value = "".join(names).strip()
    return value or None


_NAME_PART = re.compile(r"^[\u3400-\u9fffA-Za-z0-9_·•]{2,20}$|^[A-Z][a-z]{0,15}$")
_LABEL_WORD = re.compile(
    r"编辑|责编|来源|作者|记者|时间|日期|选稿|校对|审核|监制|出品|通讯员|实习生|摄影|摄像|"
    r"点击|浏览|阅读|评论|\d{4}"
)


def editor_in(line: Line) -> str | None:
    """The most responsible editor credited on the line (责任编辑 before 编辑)."""
    found = editors_in(line)
    return min(found)[1] if found else None


_ROLE = r"(?!通讯员|实习生|见习|摄影|摄像|编辑|报道|发自)"
_NAMES = (
    _ROLE + r"[\u3400-\u9fff·]{2,4}(?:(?:\s+|[、,，]\s*)" + _ROLE + r"[\u3400-\u9fff·]{2,4}){0,3}"
)
_REPORTER_PAREN = re.compile(
    r"\([^()]{0,20}?记者\s*[:：]?\s*(?P<n>" + _NAMES + r")\s*(?:通讯员[^()]*)?\)"
)
_REPORTER_LINE = re.compile(
    r"^[(\[]?[^\s,。()]{0,12}?记者\s*[:：]?\s*(?P<n>" + _NAMES + r")\s*"
    r"(?:[|｜/]?\s*通讯员.*)?[)\]]?"
    r"(?:\s*(?:发自|报道|摄影报道)\S{0,8})?"  # 本报记者 石磊 发自南岭
    r"(?:\s+(?:来源|编辑|责任编辑|责编|摄影|通讯员)\s*[:：].*)?$"  # more credits on the line
)
# An English byline: "By ZHOU LIN | Haiyan Daily", "By Li Qing and Wang Fang".
_ENGLISH_BYLINE = re.compile(
    r"(?:^|[|｜]\s*)By\s+(?P<n>[A-Z][A-Za-z'.\-]*(?:\s+(?:and\s+)?[A-Z][A-Za-z'.\-]*){0,5})"
    r"\s*(?:[|｜]\s*(?P<o>[A-Za-z][A-Za-z&.\- ]{1,40}?)\s*(?=[|｜]|$)|,|$)"
)


def english_byline_outlet(line: Line) -> str | None:
    """The outlet between the byline and the date: ``By X | Haiyan Daily | Updated: …``."""
    match = _ENGLISH_BYLINE.search(line.key)
    outlet = match["o"] if match else None
    return outlet if outlet and not re.match(r"(?i)updated|published|posted", outlet) else None
# A meta line ending with the reporters: "来源：溪城日报　记者 方立诚".
_REPORTER_TAIL = re.compile(r"(?<=\s)(?:本报|本台|本网)?记者\s*[:：]?\s*(?P<n>" + _NAMES + r")\s*$")
# A wire dateline names its reporters in brackets, with or without 记者:
# 新华社北京5月19日电（刘艺、杨吉）.
_WIRE_REPORTERS = re.compile(
    r"(?:社|台|网|报)[\u3400-\u9fff]{0,8}\d{1,2}月\d{1,2}日(?:电|讯)\s*\((?:记者\s*)?(?P<n>"
    + _NAMES
    + r")\)"
)
_AUTHOR_LABEL = re.compile(
    r"(?:^|(?<=[\s|｜(\[【》•□]))(?:(?:作者|撰文|撰稿|执笔|采写)\s*[:：︱|丨]?|"
    r"(?:文\s*/\s*图|图\s*/\s*文|文|图|记者)\s*[:：/])\s*"
    r"(?:(?:本报|本台|本网|本刊)?(?:特约|见习)?记者\s*)?"  # 作者：记者 谭思远
    r"(?P<n>[\u3400-\u9fffA-Za-z·]{2,20}(?:(?:\s|[、,，]\s*)[\u3400-\u9fff]{2,4}){0,2})"
)
_NOT_A_NAME = re.compile(r"文章|最新|更多|简介|主页|专栏|推荐|介绍|信息|原创|声明|链接|来源")


def _before_label(names: str) -> str:
    """``曹磊 来源`` -> ``曹磊``: a name list ends where the next label starts."""
    kept: list[str] = []
    for token in names.split(" "):
        if _LABEL_WORD.search(token):
            break
        kept.append(token)
    return " ".join(kept)


def _names(raw: str) -> str:
    """Several names as printed: their separator (``、``) kept, space runs made one space."""
    return re.sub(r"\s*([、,，])\s*", r"\1", re.sub(r"\s+", " ", raw.strip()))


def author_in(line: Line, *, labelled_only: bool = False) -> str | None:
    """A reporter/author named on this line (作者:, 文/图, 记者 ...), without the word 记者."""
    key = line.key
    english = _ENGLISH_BYLINE.search(key) if not labelled_only else None
    if english and len(key) < 120:
        return english["n"].strip()
    if line.prose and not labelled_only:  # running text: only a （记者 X） dateline counts
        reporter = _REPORTER_PAREN.search(key) or _WIRE_REPORTERS.search(key[:60])
        return _names(reporter["n"]) if reporter else None
    for match in _AUTHOR_LABEL.finditer(key):
        name = _before_label(match["n"].strip())
        if name and not _NOT_A_NAME.search(name) and "摄" not in name:
            return _names(name)
    if labelled_only:
        return None
    reporter = (
        _REPORTER_PAREN.search(key) or _REPORTER_LINE.match(key) or _REPORTER_TAIL.search(key)
    )
    return _names(reporter["n"]) if reporter else None


_TRAILING_CREDIT = re.compile(
    r"[(（]\s*(?:文\s*/\s*图|文|图)?\s*[:：/]?\s*"
    r"(?P<n>[\u3400-\u9fff]{2,3}(?:\s+[\u3400-\u9fff]{2,3}){0,3}|[\u3400-\u9fff]{2,4}(?:\s+[\u3400-\u9fff]{2,4}){1,3})"
    r"\s*[)）]\s*$"
)
_NOT_CREDIT = re.compile(r"完|待续|未完|本报|新闻|日报|晚报|网$|社$|图$|摄")


_CREDIT_LINE = re.compile(
    r"^[(（]\s*(?:文\s*[/:：]\s*)?(?P<n>[\u3400-\u9fff]{2,4}(?:(?:\s+|、)[\u3400-\u9fff]{2,4}){0,3})"
    r"\s*[)）]$"
)


def credit_line(line: Line) -> str | None:
    """A line that is only a bracketed byline printed under the article: ``（袁源）``."""
    return credit_in(line.key)


def credit_in(text: str) -> str | None:
    """The names of a bracketed byline (``（袁源）``, ``(文/李四 王五)``), if that is all."""
    match = _CREDIT_LINE.match(fold(text).strip())
    if match and _LABEL_WORD.search(match["n"]):
        return None  # "(编辑 邵蓓)" credits an editor, not the author
    if not match or _NOT_CREDIT.search(match["n"]):
        return None
    return _names(match["n"])


_BRACKETED = re.compile(r"^\s*(?:[(（][^()（）]*[)）]|【[^【】]*】|\[[^\[\]]*\])\s*$")


def is_bracketed_note(paragraph: str) -> bool:
    """A short paragraph wholly in brackets under the text: an editor's note or ``（完）``."""
    return len(paragraph) <= 80 and _BRACKETED.match(fold(paragraph)) is not None


def trailing_credit(paragraph: str) -> tuple[str, str | None]:
    """Split ``……新春佳节。(常书香 马丹阳 )`` into the paragraph and the names in the credit."""
    if not _ENDS_SENTENCE.search(paragraph[: max(paragraph.rfind("("), paragraph.rfind("（"))]):
        return paragraph, None
    match = _TRAILING_CREDIT.search(fold(paragraph))
    if not match or _NOT_CREDIT.search(match["n"]):
        return paragraph, None
    return paragraph[: match.start()].rstrip(), _names(match["n"])


_SUMMARY = re.compile(
    r"^[\[【(]?\s*(?:摘要|内容摘要|内容提要|提要|导语|核心提示)\s*[\]】)]?\s*[:：]?\s*"
)


def summary_in(line: Line) -> str | None:
    """The text of a labelled summary line (``[摘要]…``, ``【摘要】…``, ``摘要：…``)."""
    match = _SUMMARY.match(line.key)
    if not match or match.end() == 0:
        return None
    label = line.key[: match.end()]
    if not re.search(r"[\]】):：]", label):
        return None
    # Cut the same number of characters from the original text (NFKC keeps CJK lengths).
    value = line.text[len(label) :] if len(line.text) == len(line.key) else line.key[match.end() :]
    value = value.strip()
    return value if len(value) >= 10 else None


_KEYWORD_LABEL = re.compile(
    r"^[(\[【]?\s*(?:相关热词搜索|相关热词|相关关键词|关键字|关键词|标签|tags?)\s*[\]】)]?\s*[:：]?\s*",
    re.IGNORECASE,
)


_KEYWORD_LABEL_INSIDE = re.compile(
    r"(?<=\s)(?:文章标签|标签|关键词|关键字|tags?)\s*[:：]\s*", re.IGNORECASE
)
_NEXT_LABEL = re.compile(r"\s\S{1,6}[:：]")


def keyword_label_value(line: Line) -> str | None:
    """``""`` for a bare keyword label, the listed text after one, None for other lines.

    The label may also follow other labelled text on the line
    (``分类专栏: 后端架构 文章标签: Rust 日志采集``).
    """
    match = _KEYWORD_LABEL.match(line.key) or _KEYWORD_LABEL_INSIDE.search(line.key)
    if not match:
        return None
    rest = line.key[match.end() :]
    following = _NEXT_LABEL.search(rest)
    return (rest[: following.start()] if following else rest).strip()


_SCRIPT_RUN = re.compile(r"[A-Za-z0-9][A-Za-z0-9.+#_\-]*|[^\sA-Za-z0-9]+")


_TAG_SEPARATORS = re.compile(r"\s*[,，、;；|｜/·•]\s*")
_TAG_SEPARATORS_OR_SPACE = re.compile(r"[\s,，、;；|｜/·•]+")


def split_keywords(value: str, vocabulary: str) -> list[str]:
    """Split a keyword list; keywords glued together are cut where the article's words fit.

    Text browsers print adjacent tag links without a separator (``现金贷爬虫棱镜套路贷``),
    so a long run without separators is segmented into the fewest pieces that occur
    in ``vocabulary`` (the title and body), allowing short unknown pieces.
    """
    keywords: list[str] = []
    # An explicit separator (· , 、 | ;) means spaces are inside tags ("Open Source").
    splitter = _TAG_SEPARATORS if _TAG_SEPARATORS.search(value) else _TAG_SEPARATORS_OR_SPACE
    for part in splitter.split(value):
        part = part.strip("#＃ ")
        if not part:
            continue
        if (len(part) <= 6 and not _mixed_scripts(part)) or " " in part:
            keywords.append(part)
        else:
            keywords.extend(segment_glued(part, vocabulary) or [part])
    seen: list[str] = []
    for k in keywords:
        if k not in seen:
            seen.append(k)
    return seen


def _mixed_scripts(text: str) -> bool:
    return bool(re.search(r"[A-Za-z]", text)) and bool(_CJK.search(text))


def segment_glued(text: str, vocabulary: str, *, allow_unknown: bool = True) -> list[str] | None:
    """Fewest-pieces segmentation of ``text`` into words found in ``vocabulary``.

    Known pieces (length >= 2, present in the vocabulary) cost 1; unknown pieces of
    2-6 characters cost 1.5 + length²/16 when allowed. Returns None when no
    segmentation exists. Dynamic programming over at most ~100 characters.
    """
    n = len(text)
    if n == 0 or n > 120:
        return None
    inf = float("inf")
    best: list[float] = [0.0] + [inf] * n
    back: list[int] = [0] * (n + 1)
    for end in range(2, n + 1):
        for start in range(max(0, end - 24), end - 1):
            if best[start] == inf:
                continue
            piece = text[start:end]
            if not _piece_boundary_ok(text, start, end):
                continue
            if piece in vocabulary:
                cost = 1.0
            elif allow_unknown and end - start <= 6:
                # Convex in the length: one 4-character unknown beats a known
                # 2-character word plus an unknown one, but not a 6-character blob.
                cost = 1.5 + (end - start) ** 2 / 16
            else:
                continue
            if best[start] + cost <= best[end]:  # ties: the later cut, a known tail
                best[end] = best[start] + cost
                back[end] = start
    if best[n] == inf:
        return None
    pieces: list[str] = []
    end = n
    while end > 0:
        pieces.append(text[back[end] : end])
        end = back[end]
    return pieces[::-1]


def _piece_boundary_ok(text: str, start: int, end: int) -> bool:
    """Do not cut inside a latin word unless the case changes (``KconZoomEye``)."""
    for pos in (start, end):
        if 0 < pos < len(text):
            left, right = text[pos - 1], text[pos]
            inside_word = left.isascii() and left.isalnum() and right.isascii() and right.isalnum()
            case_change = right.isupper() and (left.islower() or left.isdigit() or left.isupper())
            if inside_word and not case_change:
                return False
    return True


_URL_LABEL = re.compile(
    r"(?:原文链接|本文链接|原文地址|本文地址|文章链接|文章地址|链接地址|原文网址|网址|url)\s*[:：]?\s*"
    r"(?P<u>https?://[^\s<>\"'）)】\]]+)",
    re.IGNORECASE,
)
_ARTICLE_URL = re.compile(
    r"^https?://[^\s/]+/\S*(?:\d{4,}|\.s?html?|/content_|/article)\S*$", re.IGNORECASE
)


def url_in(line: Line, *, bare: bool) -> str | None:
    """The article URL on a labelled line, or (``bare``) a line that is only an article URL."""
    if "http" not in line.key:
        return None
    match = _URL_LABEL.search(line.key)
    if match:
        return match["u"].rstrip(".,;，。")
    if bare and _ARTICLE_URL.match(line.key):
        return line.key
    return None


Extractor = Callable[[Line], "str | None"]

_WIDGET_TAIL = re.compile(
    r"(?<=[。！？!?”\"])\s*[●◆■▲►▶>»]?\s*(?:返回|点击|查看|进入|更多)[^。！？!?，,]{0,20}$"
)


def strip_trailing_widgets(text: str) -> str:
    """Drop link text glued after the last sentence (``……持续。●返回腾讯网首页>>``)."""
    return _WIDGET_TAIL.sub("", text).rstrip()


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


def is_dated_label(line: Line) -> bool:
    return bool(_DATED_LABEL.match(line.key))


_NAME_LINE = re.compile(r"^[\u3400-\u9fffA-Za-z·_]{2,12}$")
_WIDGET_WORD = re.compile(
    r"分享|字号|阅读|浏览|评论|收藏|打印|作者|原创|点击|关注|举报|纠错|朗读|发布|发表|时间|日期|来源|"
    r"登录|注册|首页|客户端|订阅|微信|微博|次|人参与"
)


def looks_like_name_line(line: Line) -> bool:
    """A lone short name (an author or account name), not a widget label."""
    return (
        not line.bullet and bool(_NAME_LINE.match(line.key)) and not _WIDGET_WORD.search(line.key)
    )


def source_around_date(line: Line, title: str, page: str) -> str | None:
    """An unlabelled outlet printed on the dateline: ``2019年11月25日 18:57 参考消息``."""
    dateline = line.key
    parsed = find_date(dateline)
    if parsed is None:
        return None
    after = dateline[parsed.end :].split()
    if after:
        token = after[0]
        if _plausible_outlet(token):
            return token
    before = re.sub(
        r"(?:发布时间|发表时间|发布日期|发表于|日期|时间)\s*[:：]?\s*$",
        "",
        dateline[: parsed.start],
    ).split()
    if not before or author_before_date(line):
        return None  # the name before the date is the author's
    token = before[0]
    if re.match(r"^[\u3400-\u9fff]{2,4}[:：].", token):
        token = re.split(r"[:：]", token, maxsplit=1)[1]  # "原创：39健康网": label, outlet
    if len(before) == 1 and looks_like_person(token):
        return None  # an avatar's name glued to the date: the author (see author_before_date)
    if len(before) == 1:
        # Glued to a column name ("金融市场棱镜"): prefer the tail the page names elsewhere.
        for cut in range(1, len(token) - 1):
            tail = token[cut:]
            if f"《{tail}》" in page or title.startswith((f"{tail}|", f"{tail}｜")):
                token = tail
                break
    return token if _plausible_outlet(token) else None


_OUTLET_END = re.compile(
    r"(?:网|报|社|台|刊|志|号|视|闻|端|站|部|局|厅|办|会|院|委|室|中心|频道|日报|新闻)$"
)
_PERSON = re.compile(r"^[\u3400-\u9fff]{2,3}$")


def looks_like_person(token: str) -> bool:
    """A 2-3 character CJK token that is not an outlet (网, 报, 社, 频道 …) or a widget word."""
    return (
        bool(_PERSON.match(token))
        and not _OUTLET_END.search(token)
        and not _WIDGET_WORD.search(token)
    )


def author_before_date(dateline: Line) -> str | None:
    """A person's name printed right before the date (``谢若含2017-03-01``), or the
    account name after an avatar image (``[avatar] 老K在折腾 于 2023-06-12 发布``)."""
    parsed = find_date(dateline.key)
    if parsed is None:
        return None
    before = dateline.key[: parsed.start].split()
    if len(before) == 1 and looks_like_person(before[0]):
        return before[0]
    if dateline.after_image and before and _account_name(before[0]):
        return before[0]
    return None


def _account_name(token: str) -> bool:
    return (
        2 <= len(token) <= 16
        and not _WIDGET_WORD.search(token)
        and not _LABEL_WORD.search(token)
        and not re.search(r"[:：\d]", token)
    )


def _plausible_outlet(token: str) -> bool:
    return (
        2 <= len(token) <= 20
        and len(_CJK.findall(token)) >= 2  # "39健康网" is an outlet, "2019" or "10:30" not
        and not re.search(r"\d\s*[年月日时分:]", token)
        and not _WIDGET_WORD.search(token)
        and not _SENTENCE_PUNCT.search(token)
        and not token.startswith(("[", "(", "|"))
        and not token.endswith((":", "："))
    )


_MAX_TAG_CJK = 6  # a tag printed as a link is a word or two, not a clause
_NAV_WORDS = frozenset(
    re.findall(
        r"\S+",
        "首页 主页 新闻 要闻 国内 国际 财经 体育 娱乐 科技 军事 社会 视频 图片 "
        "评论 专题 更多 登录 注册 搜索 教育 健康 汽车 房产 旅游 文化 时政 地方 "
        "回复 举报 分享 收藏 支持 反对 点赞 打印 关注",
    )
)
_FUNCTION_WORDS = frozenset(
    re.findall(
        r"\w+", "a an the to of in on at for and or is are was be by with from as into after over"
    )
)
_BLOCK_LABEL = re.compile(r"(?:资讯|搜索|阅读|推荐|标签|关键词|专题|新闻|热词)$")
_TAG_SPLIT = re.compile(r"\s*[|｜]\s*|\s+")
_NOT_TAGS = re.compile(r"[，。！？；,!?;:：、()（）《》“”\"@#]")


def tag_strip(key: str, vocabulary: str) -> list[str] | None:
    """Words of a strip of tag links, when most of them are words of the article.

    2-8 short tokens separated by spaces or bars, no punctuation; a leading token the
    article does not use (the block's own label, ``相关资讯``) is dropped.
    """
    if _NOT_TAGS.search(key) or len(key) > 80:
        return None
    tokens = [t for t in _TAG_SPLIT.split(key) if t]
    if tokens and tokens[0] not in vocabulary and _BLOCK_LABEL.search(tokens[0]):
        tokens = tokens[1:]
    if not 2 <= len(tokens) <= 8 or any(len(t) > 10 for t in tokens):
        return None
    if sum(t in _NAV_WORDS for t in tokens) >= 2:
        return None  # a menu: 首页 新闻 财经 …
    if any(t.lower() in _FUNCTION_WORDS for t in tokens):
        return None  # an English headline, not tags
    known = sum(t in vocabulary and len(t) >= 2 and not t.isdigit() for t in tokens)
    if known < min(2, len(tokens) - 1) or known < 0.5 * len(tokens):
        return None
    return list(dict.fromkeys(tokens))


def glued_keyword_line(line: Line, vocabulary: str) -> list[str] | None:
    """Keywords from an unlabelled strip of tag links printed without separators."""
    key = line.key
    if line.bullet or len(key) < 8 or re.search(r"[，。！？；,!?;:：、()（）《》“”\"]", key):
        return None
    pieces: list[str] = []
    for part in key.split():
        found = segment_glued(part, vocabulary, allow_unknown=False)
        if not found:
            return None
        pieces.extend(found)
    if len(pieces) < 4 or sum(map(len, pieces)) / len(pieces) < 2.5:
        return None
    if any(len(p) > _MAX_TAG_CJK and _CJK.search(p) for p in pieces):
        return None  # a clause of a sub-headline, not a tag
    return pieces
