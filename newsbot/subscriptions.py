"""Subscription commands' arguments -> specs, and specs -> plain words; pure.

``/subscribe [#tag ...] [word ...] [-word ...] [at HH:MM[,HH:MM]] [tz Area/City]
[weekdays] [max N] [nosummary]`` and ``/set <id> key=value ...`` share this code
with the server's ``newsbot subs`` commands.
"""

from __future__ import annotations

from dataclasses import replace
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from newsbot.models import Filters, SubscriptionSpec
from newsbot.queries import UsageError
from newsbot.schedule import parse_hhmm

__all__ = ["MAX_ITEMS", "MAX_TIMES", "apply_settings", "parse_subscribe", "same_spec"]

MAX_ITEMS = 30
MAX_TIMES = 6
MAX_FILTER_WORDS = 20
MAX_WORD_CHARS = 30
_ON = {"on", "yes", "true", "1", "开", "是"}
_OFF = {"off", "no", "false", "0", "关", "否"}


def _times(text: str) -> tuple[str, ...]:
    parts = [p for p in text.replace("，", ",").replace("、", ",").split(",") if p.strip()]
    if not parts:
        raise UsageError("sub.bad_time", value=text)
    times = []
    for part in parts:
        try:
            t = parse_hhmm(part)
        except ValueError:
            raise UsageError("sub.bad_time", value=part) from None
        times.append(t.strftime("%H:%M:%S" if t.second else "%H:%M"))
    unique = tuple(sorted(set(times)))
    if len(unique) > MAX_TIMES:
        raise UsageError("sub.too_many_times", max=MAX_TIMES)
    return unique


def _timezone(text: str) -> str:
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError("sub.bad_tz", value=text) from None
    return text


def _max_items(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise UsageError("sub.bad_max", max=MAX_ITEMS) from None
    if not 1 <= value <= MAX_ITEMS:
        raise UsageError("sub.bad_max", max=MAX_ITEMS)
    return value


def _bool(key: str, text: str) -> bool:
    if text.lower() in _ON:
        return True
    if text.lower() in _OFF:
        return False
    raise UsageError("sub.bad_bool", name=key)


def _word(text: str) -> str:
    word = text.strip()
    if len(word) > MAX_WORD_CHARS:
        raise UsageError("sub.word_too_long", max=MAX_WORD_CHARS)
    return word


def _add(words: list[str], word: str) -> None:
    if word and word not in words:
        words.append(word)
    if len(words) > MAX_FILTER_WORDS:
        raise UsageError("sub.too_many_words", max=MAX_FILTER_WORDS)


def parse_subscribe(args: list[str], default_timezone: str) -> SubscriptionSpec:
    """Arguments of /subscribe (and ``channel add`` after the channel name)."""
    tags: list[str] = []
    include: list[str] = []
    exclude: list[str] = []
    spec = SubscriptionSpec(timezone=default_timezone)
    tokens = list(args)
    while tokens:
        token = tokens.pop(0)
        lower = token.lower()
        if lower in {"at", "time", "times", "时间"}:
            if not tokens:
                raise UsageError("sub.bad_time", value="")
            spec = replace(spec, times=_times(tokens.pop(0)))
        elif lower in {"tz", "timezone", "时区"}:
            if not tokens:
                raise UsageError("sub.bad_tz", value="")
            spec = replace(spec, timezone=_timezone(tokens.pop(0)))
        elif lower in {"max", "size", "条数"}:
            if not tokens:
                raise UsageError("sub.bad_max", max=MAX_ITEMS)
            spec = replace(spec, max_items=_max_items(tokens.pop(0)))
        elif lower in {"weekdays", "工作日"}:
            spec = replace(spec, weekdays_only=True)
        elif lower in {"nosummary", "无摘要"}:
            spec = replace(spec, show_summary=False)
        elif token.startswith(("#", "＃")):
            _add(tags, _word(token[1:]))
        elif token.startswith(("-", "－")) and len(token) > 1:
            _add(exclude, _word(token[1:]))
        else:
            _add(include, _word(token))
    return replace(spec, filters=Filters(tuple(tags), tuple(include), tuple(exclude)))


def apply_settings(spec: SubscriptionSpec, pairs: list[str]) -> SubscriptionSpec:
    """``/set`` arguments (``key=value``) applied to a spec; unknown keys are errors.

    Keys: ``at``/``times``, ``tz``, ``max``/``size``, ``summary``, ``weekdays``,
    ``tags`` (``#a,#b`` or ``a,b``), ``words`` (include), ``exclude``. An empty value
    clears a filter list.
    """
    if not pairs:
        raise UsageError("usage.set")
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip().lower()
        value = value.strip()
        if not sep:
            raise UsageError("sub.bad_setting", setting=pair)
        if key in {"at", "time", "times"}:
            spec = replace(spec, times=_times(value))
        elif key in {"tz", "timezone"}:
            spec = replace(spec, timezone=_timezone(value))
        elif key in {"max", "size"}:
            spec = replace(spec, max_items=_max_items(value))
        elif key == "summary":
            spec = replace(spec, show_summary=_bool(key, value))
        elif key == "weekdays":
            spec = replace(spec, weekdays_only=_bool(key, value))
        elif key in {"tags", "words", "include", "exclude"}:
            words: list[str] = []
            for item in value.replace("，", ",").split(","):
                _add(words, _word(item.strip().lstrip("#＃-")))
            field = {"tags": "tags", "words": "include", "include": "include"}.get(key, "exclude")
            spec = replace(spec, filters=replace(spec.filters, **{field: tuple(words)}))
        else:
            raise UsageError("sub.bad_setting", setting=pair)
    return spec


def same_spec(a: SubscriptionSpec, b: SubscriptionSpec) -> bool:
    """True when two specs deliver the same digests: filter words in any order or case."""

    def words(items: tuple[str, ...]) -> frozenset[str]:
        return frozenset(w.casefold() for w in items)

    return (
        words(a.filters.tags) == words(b.filters.tags)
        and words(a.filters.include) == words(b.filters.include)
        and words(a.filters.exclude) == words(b.filters.exclude)
        and frozenset(a.times) == frozenset(b.times)
        and a.timezone == b.timezone
        and a.weekdays_only == b.weekdays_only
        and a.max_items == b.max_items
        and a.show_summary == b.show_summary
    )
