"""Labelled values of a page: headline shape, breadcrumb, source, summary, tags, URL.

Each extractor reads one line (or one value) and returns the field or None; which
lines to ask is decided by :mod:`newsbot.parsing.page`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from newsbot.parsing.dates import find_date
from newsbot.parsing.lines import Line, is_stop, skip_label
from newsbot.parsing.people import (
    author_before_date,
    author_in,
    editors_in,
    is_byline,
    looks_like_person,
)
from newsbot.parsing.text import CJK, LABEL_WORD, SENTENCE_PUNCT, URL, WIDGET_WORD

__all__ = [
    "breadcrumb_in",
    "clean_breadcrumb",
    "glued_keyword_line",
    "is_title_like",
    "keyword_label_value",
    "segment_glued",
    "source_around_date",
    "source_in",
    "split_keywords",
    "strip_title_marks",
    "summary_in",
    "tag_strip",
    "url_in",
]

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
    if line.blank or line.chrome or line.caption:
        return False
    text = strip_title_marks(line.key)
    if "[" in text:
        return False
    if not 4 <= len(text) <= 100 or (len(CJK.findall(text)) < 2 and len(text.split()) < 3):
        return False
    if text.endswith(("。", ":", ":")) or URL.search(text) or find_date(text) is not None:
        return False
    if _TITLE_CHROME.search(text) or _SHORT_WIDGET.match(text) or breadcrumb_in(line) is not None:
        return False
    if is_byline(text) or editors_in(line) or author_in(line, labelled_only=True):
        return False  # a byline: 本报记者 石磊 发自南岭
    if len(re.findall(r"\d", text)) > _DIGIT_SHARE * len(text):
        return False  # counters and ids: "UID 102934 主题 218 帖子 3311"
    return not skip_label(line) and not is_stop(line)


_CRUMB_LABEL = re.compile(
    r"(?<![\u4e00-\u9fff])(?:当前位置|您的位置|你的位置|您现在的位置|你现在的位置|您所在的位置|你所在的位置|所在位置|"
    r"您当前所在位置|你当前所在位置|当前所在位置|您当前的位置|你当前的位置|您当前位置|当前的位置|位置导航|导航|(?<![\u4e00-\u9fff])位置(?=\s*[:：]))\s*[:：]?\s*(?:>>?|»|›|→)?\s*(?P<rest>.*)$"
)


_CRUMB_SEP = re.compile(r"\s*(?:-{1,2}>|=>|>>?|»|›|→|＞|/|\||｜)\s*")


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
        if items and len(items) >= 2 and not SENTENCE_PUNCT.search(key):
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


_VALUE_CUT = re.compile(
    r"\s|[|｜丨,，;；【\[(（)）】\]]|责任编辑|编辑|作者|记者|发布时间|(?:时间|日期)[:：]|字号|点击|浏览|阅读|举报|"
    r"分享|打印|收藏|"
    r"\d{4}[-年/.]"
)


_SOURCE = re.compile(
    r"(?:^|(?<=[\s|｜丨(（\[【•□\d]))"
    r"(?:信息来源|本文来源于|本文来源|文章来源|稿件来源|新闻来源|来源于|来源|出处)\s*[:：]?\s*"
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


_SUMMARY = re.compile(
    r"^[\[【(]?\s*(?:摘要|内容摘要|内容提要|提要|导语|核心提示)\s*[\]】)]?\s*[:：|｜]?\s*"
)


def summary_in(line: Line) -> str | None:
    """The text of a labelled summary line (``[摘要]…``, ``【摘要】…``, ``摘要：…``)."""
    match = _SUMMARY.match(line.key)
    if not match or match.end() == 0:
        return None
    label = line.key[: match.end()]
    if not re.search(r"[\]】):：|｜]", label):
        return None
    # Cut the same number of characters from the original text (NFKC keeps CJK lengths).
    value = line.text[len(label) :] if len(line.text) == len(line.key) else line.key[match.end() :]
    value = value.strip()
    return value if len(value) >= 10 else None


_KEYWORD_LABEL = re.compile(
    r"^[(\[【]?\s*(?:相关热词搜索|相关热词|相关关键词|相关标签|文章标签|文章关键词|关键字|关键词|标签|tags?)"
    r"\s*[\]】)]?\s*[:：]?\s*",
    re.IGNORECASE,
)


_KEYWORD_LABEL_INSIDE = re.compile(
    r"(?<=\s)(?:文章标签|文章关键词|标签|关键词|关键字|tags?)\s*[:：]\s*", re.IGNORECASE
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
    return bool(re.search(r"[A-Za-z]", text)) and bool(CJK.search(text))


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
        label, token = re.split(r"[:：]", token, maxsplit=1)  # "原创：39健康网": label, outlet
        if LABEL_WORD.search(label):
            return None  # "作者:周某": a person's label, not an outlet's
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


def _plausible_outlet(token: str) -> bool:
    return (
        2 <= len(token) <= 20
        and len(CJK.findall(token)) >= 2  # "39健康网" is an outlet, "2019" or "10:30" not
        and not re.search(r"\d\s*[年月日时分:]", token)
        and not WIDGET_WORD.search(token)
        and not SENTENCE_PUNCT.search(token)
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


_HASHTAGS = re.compile(r"(?:#\s*[^#\s，。,;；:：]{1,12}#?\s*){1,8}")


def tag_strip(key: str, vocabulary: str) -> list[str] | None:
    """Words of a strip of tag links, when most of them are words of the article.

    2-8 short tokens separated by spaces or bars, no punctuation; a leading token the
    article does not use (the block's own label, ``相关资讯``) is dropped.
    """
    hashtags = _HASHTAGS.fullmatch(key)
    if hashtags:  # "#城市更新 #老旧街区": topic links, whatever the article's words
        return list(dict.fromkeys(re.findall(r"#\s*([^#\s]+)", key)))
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
    if any(len(p) > _MAX_TAG_CJK and CJK.search(p) for p in pieces):
        return None  # a clause of a sub-headline, not a tag
    return pieces
