"""Dates as news pages print them, with the precision they show. Pure.

``2022-01-20 08:05:09``, ``2022年1月20日``, ``2022.01.20``, ``DD/MM/YYYY``, ``May 6, 2023``,
``下午3:20`` / ``2:20 PM``, ISO offsets, and dates without a year (``10-08 12:00``),
which :class:`ParsedDate` keeps open until the page supplies one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from newsbot.models import Precision
from newsbot.parsing.text import fold

__all__ = [
    "CHINA_TZ",
    "ParsedDate",
    "find_date",
]

CHINA_TZ = timezone(timedelta(hours=8))


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
