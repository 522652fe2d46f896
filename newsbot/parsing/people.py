"""Who wrote and who edited: bylines, reporter credits, editors, names. Pure.

Editors are ranked as pages rank them (责任编辑 > 编辑 > 选稿); reporters come from
labelled lines (作者, 记者, By), wire datelines (``新华社北京5月19日电（刘某、杨某）``),
bracketed credits under the text and account names beside the date. Several names keep
the separator the page printed.
"""

from __future__ import annotations

import re

from newsbot.parsing.dates import find_date
from newsbot.parsing.lines import Line
from newsbot.parsing.text import ENDS_SENTENCE, LABEL_WORD, WIDGET_WORD, fold

__all__ = [
    "author_before_date",
    "author_in",
    "credit_in",
    "credit_line",
    "editor_in",
    "editors_in",
    "english_byline_outlet",
    "is_byline",
    "looks_like_name_line",
    "looks_like_person",
    "trailing_credit",
]

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


_EDITOR_BEFORE = re.compile(r"(?:^|[\s|｜丨(\[【•□])$")
# An outlet's name before a role at the start of a credit: "每经记者：", "界面新闻编辑 |".
_OUTLET_PREFIX = re.compile(r"(?:^|\s)[\u3400-\u9fff]{2,6}$")
_CREDIT_ROLE = r"(?:[\u3400-\u9fff]{0,6}记者|编辑|责编|校对|审核|统筹|监制|摄影|摄像|制图|美编)"
# A line of credits only: "编辑 彭某 校对 卢某", "新京报记者 蓝某 编辑 王某".
_CREDIT_PAIRS = re.compile(
    r"^(?:" + _CREDIT_ROLE + r"\s*[:：|｜]?\s*[\u3400-\u9fff·]{2,4}"
    r"(?:[\s、]+[\u3400-\u9fff·]{2,4})?\s*){2,}$"
)


# A line that is one role and its names: "编辑 刘某禾" under the story.
_LONE_CREDIT = re.compile(
    r"^(?:编辑|责编|责任编辑)\s+[\u3400-\u9fff·]{2,4}(?:[\s、][\u3400-\u9fff·]{2,4})?$"
)


def is_credit_line(line: Line) -> bool:
    """A line that only lists roles and names (编辑 X 校对 Y): the credits under a story."""
    return len(line.key) <= 60 and _CREDIT_PAIRS.match(line.key) is not None


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
        before = key[: match.start()]
        in_brackets = re.search(r"[(（\[【][^()（）\[\]【】]{0,12}$", before)
        outlet = _OUTLET_PREFIX.search(before) and match["sep"]  # 界面新闻编辑 | 孔某
        if not (_EDITOR_BEFORE.search(before) or in_brackets or outlet):
            continue
        credits = is_credit_line(line) or _LONE_CREDIT.match(key) is not None
        labelled = match["sep"] or in_brackets or credits
        if role in ("编辑", "选稿", "Editor", "editor") and not labelled:
            continue
        if role.lower() == "editor" and not match["sep"]:
            continue
        stop = labels[i + 1].start() if i + 1 < len(labels) else len(key)
        value = re.split(r"[()（）\[\]【】]", key[match.end() : stop], maxsplit=1)[0]
        names = _editor_names(value.strip())
        if names:
            rank = next(r for r, roles in enumerate(_EDITOR_ROLES) if role in roles)
            found.append((rank, names))
    return found


_STAFF_CODE = re.compile(r"_?[A-Z]{2,}[0-9]{2,}$|^[A-Z]{2,}[0-9]{2,}$")


def _editor_names(raw: str) -> str | None:
    """Cut what follows the names (another label, a date, a staff code such as
    ``_NBJS7368`` or ``PF077``) and keep their separators."""
    raw = re.sub(r"_[A-Z]{2,}[0-9]{2,}", "", raw)
    code_only = _STAFF_CODE.match(raw.split(" ")[0]) if raw else None
    if code_only and len(raw.split()) == 1:
        return raw  # only a code is printed: keep it, as printed
    names: list[str] = []
    for part in re.split(r"(\s+|[、,，]\s*)", raw):
        if not part or part.isspace() or re.fullmatch(r"[、,，]\s*", part):
            if names and part:
                names.append(part.strip() or " ")
            continue
        if (
            LABEL_WORD.search(part)
            or len(part) > 12
            or not _NAME_PART.match(part)
            or _STAFF_CODE.match(part)
        ):
            break
        names.append(part)
    while names and (names[-1] == " " or names[-1] in "、,，"):
        names.pop()
    value = "".join(names).strip()
    return value or None


_NAME_PART = re.compile(r"^[\u3400-\u9fffA-Za-z0-9_·•]{2,20}$|^[A-Z][a-z]{0,15}$")


def editor_in(line: Line) -> str | None:
    """The most responsible editor credited on the line (责任编辑 before 编辑)."""
    found = editors_in(line)
    return min(found)[1] if found else None


# Not a name: a role word, or a word glued to one ("南方周末实习生": the outlet).
_ROLE = (
    r"(?!通讯员|实习生|见习|摄影|摄像|编辑|报道|发自)"
    r"(?![\u3400-\u9fff]{1,6}(?:实习生|通讯员|记者))"
)


_NAME_CJK = r"(?:[\u3400-\u9fff]{1,6}·[\u3400-\u9fff]{1,8}|[\u3400-\u9fff·]{2,4})"  # 艾力·买买提
_NAMES = _ROLE + _NAME_CJK + r"(?:(?:\s+|[、,，]\s*)" + _ROLE + _NAME_CJK + r"){0,3}"


_REPORTER_PAREN = re.compile(
    r"[(【\[][^()【】\[\]]{0,20}?记者\s*[:：]?\s*(?P<n>" + _NAMES + r")\s*"
    r"(?:(?:通讯员|实习生)[^()【】]*)?[)】\]]"
)


_REPORTER_LINE = re.compile(
    r"^[(\[]?(?:[^\s,。()]{1,8}\s)?[^\s,。()]{0,12}?记者\s*[:：|｜]?\s*(?P<n>" + _NAMES + r")\s*"
    r"(?:[|｜/]?\s*[\u3400-\u9fff]{0,8}?(?:通讯员|实习生|见习记者|摄影|摄像).*)?[)\]]?"
    r"(?:\s*(?:发自|报道|摄影报道)\S{0,8})?"  # 本报记者 石磊 发自南岭
    # more credits on the line: "… 来源：某报", "… 每经编辑：某某"
    r"(?:\s+[\u3400-\u9fff]{0,6}?(?:来源|编辑|责任编辑|责编|摄影|通讯员)\s*[:：|｜].*)?$"
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
_REPORTER_TAIL = re.compile(
    r"(?<=\s)(?:本报|本台|本网)?记者\s*[:：]?\s*(?P<n>" + _NAMES + r")"
    r"\s*(?:(?:通讯员|实习生|见习记者|摄影|摄像)\S*(?:\s+\S{2,4}){0,3}\s*)?"
    r"(?:\s*(?:字号|分享|打印|收藏|评论)\b.*)?$"  # widgets set after the byline
)


# A wire dateline names its reporters in brackets, with or without 记者:
# 新华社北京5月19日电（刘艺、杨吉）.
_WIRE_REPORTERS = re.compile(
    r"(?:社|台|网|报)[\u3400-\u9fff]{0,8}\d{1,2}月\d{1,2}日(?:电|讯)\s*\((?:记者\s*)?(?P<n>"
    + _NAMES
    + r")\)"
)


_AUTHOR_LABEL = re.compile(
    r"(?:^|(?<=[\s|｜丨(\[【》•□]))(?:(?:本文作者|作者|撰文|撰稿|执笔|采写)\s*[:：︱|丨]?|"
    r"(?:文\s*/\s*图|图\s*/\s*文|文|图|记者)\s*[:：/|｜])\s*"
    # 作者：记者 谭某, 作者：某报·某网记者 卢某
    r"(?:[\u3400-\u9fff·]{0,12}?(?:特约|见习)?记者\s*)?"
    r"(?P<n>[\u3400-\u9fffA-Za-z·]{2,20}"
    r"(?:(?:\s|[、,，]\s*)(?![\u3400-\u9fff]{0,4}(?:通讯员|实习生|记者|摄影))[\u3400-\u9fff]{2,4}){0,2})"
)


_NOT_A_NAME = re.compile(r"文章|最新|更多|简介|主页|专栏|推荐|介绍|信息|原创|声明|链接|来源")


def _before_label(names: str) -> str:
    """``曹磊 来源`` -> ``曹磊``: a name list ends where the next label starts."""
    kept: list[str] = []
    for token in names.split(" "):
        if LABEL_WORD.search(token):
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
    if match and LABEL_WORD.search(match["n"]):
        return None  # "(编辑 邵蓓)" credits an editor, not the author
    if not match or _NOT_CREDIT.search(match["n"]):
        return None
    return _names(match["n"])


def trailing_credit(paragraph: str) -> tuple[str, str | None]:
    """Split ``……新春佳节。(常书香 马丹阳 )`` into the paragraph and the names in the credit."""
    if not ENDS_SENTENCE.search(paragraph[: max(paragraph.rfind("("), paragraph.rfind("（"))]):
        return paragraph, None
    match = _TRAILING_CREDIT.search(fold(paragraph))
    if not match or _NOT_CREDIT.search(match["n"]):
        return paragraph, None
    return paragraph[: match.start()].rstrip(), _names(match["n"])


_NAME_LINE = re.compile(r"^[\u3400-\u9fffA-Za-z·_]{2,12}$")


def looks_like_name_line(line: Line) -> bool:
    """A lone short name (an author or account name), not a widget label."""
    return not line.bullet and bool(_NAME_LINE.match(line.key)) and not WIDGET_WORD.search(line.key)


_OUTLET_END = re.compile(
    r"(?:网|报|社|台|刊|志|号|视|闻|端|站|部|局|厅|办|会|院|委|室|中心|频道|日报|新闻)$"
)


_PERSON = re.compile(r"^[\u3400-\u9fff]{2,3}$")


def looks_like_person(token: str) -> bool:
    """A 2-3 character CJK token that is not an outlet (网, 报, 社, 频道 …) or a widget word."""
    return (
        bool(_PERSON.match(token))
        and not _OUTLET_END.search(token)
        and not WIDGET_WORD.search(token)
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
        and not WIDGET_WORD.search(token)
        and not LABEL_WORD.search(token)
        and not re.search(r"[:：\d]", token)
    )


def is_byline(text: str) -> bool:
    """A line that is only a byline: ``本报记者 石某 发自南岭``."""
    return _REPORTER_LINE.match(text) is not None
