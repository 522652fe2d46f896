"""Subscription commands' arguments -> specs, and specs -> plain words; pure.

``/subscribe [#tag ...] [word ...] [+word ...] [-word ...] [at HH:MM[,HH:MM]]
[tz Area/City] [weekdays] [max N] [nosummary]`` and ``/set <id> key=value ...``
(or the /subscribe form of its options) share this code
with the server's ``newsbot subs`` commands.
"""

from __future__ import annotations

import difflib
from dataclasses import replace
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from newsbot.digest.schedule import parse_hhmm
from newsbot.models import Filters, SubscriptionSpec
from newsbot.queries import UsageError

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
    """Arguments of /subscribe (and ``channel add`` after the channel name).

    ``at`` may be given several times (all times count); ``key=value`` works as in
    ``/set``; ``+word`` is a keyword even if it looks like an option. A word that
    looks like a misspelt option is refused with a suggestion rather than taken as
    a keyword.
    """
    tags: list[str] = []
    include: list[str] = []
    exclude: list[str] = []
    spec = SubscriptionSpec(timezone=default_timezone)
    given: dict[str, object] = {}
    tokens = list(args)
    while tokens:
        token = tokens.pop(0)
        lower = token.lower()
        name, sep, value = token.partition("=")
        if sep and _is_option_like(name):
            spec = _apply(spec, name.strip().lower(), value.strip(), given)
        elif lower in _VALUE_OPTIONS:
            spec = _apply(spec, _VALUE_OPTIONS[lower], tokens.pop(0) if tokens else "", given)
        elif lower in _WEEKDAYS:
            spec = replace(spec, weekdays_only=True)
        elif lower in _NO_SUMMARY:
            spec = replace(spec, show_summary=False)
        elif token.startswith(("#", "＃")):
            _add(tags, _word(_marked(token)))
        elif token.startswith(("-", "－")):
            _add(exclude, _word(_marked(token)))
        elif token.startswith(("+", "＋")):
            _add(include, _word(_marked(token)))
        else:
            suggestion = _suggestion(token)
            if suggestion is not None:
                raise UsageError("sub.did_you_mean", word=token, option=suggestion)
            _add(include, _word(token))
    for earlier, words in (
        (spec.filters.tags, tags),
        (spec.filters.include, include),
        (spec.filters.exclude, exclude),
    ):
        for word in reversed(earlier):  # from tags=..., words=..., exclude=...
            if word not in words:
                words.insert(0, word)
        if len(words) > MAX_FILTER_WORDS:
            raise UsageError("sub.too_many_words", max=MAX_FILTER_WORDS)
    return replace(spec, filters=Filters(tuple(tags), tuple(include), tuple(exclude)))


def apply_settings(spec: SubscriptionSpec, pairs: list[str]) -> SubscriptionSpec:
    """``/set`` arguments applied to a spec; unknown keys are errors.

    Keys: ``at``/``times``, ``tz``, ``max``/``size``, ``summary``, ``weekdays``,
    ``tags`` (``#a,#b`` or ``a,b``), ``words`` (include), ``exclude``, as
    ``key=value``; an empty value clears a filter list. The /subscribe form works
    too: ``at 07:30``, ``tz UTC``, ``max 5``, ``weekdays``, ``nosummary``.
    """
    if not pairs:
        raise UsageError("usage.set")
    given: dict[str, object] = {}
    tokens = list(pairs)
    while tokens:
        token = tokens.pop(0)
        lower = token.strip().lower()
        key, sep, value = token.partition("=")
        if sep:
            spec = _apply(spec, key.strip().lower(), value.strip(), given)
        elif lower in _VALUE_OPTIONS:
            spec = _apply(spec, _VALUE_OPTIONS[lower], tokens.pop(0) if tokens else "", given)
        elif lower in _WEEKDAYS:
            spec = replace(spec, weekdays_only=True)
        elif lower in _NO_SUMMARY:
            spec = replace(spec, show_summary=False)
        elif lower == "summary":
            spec = replace(spec, show_summary=True)
        else:
            suggestion = _suggestion(token)
            if suggestion is not None:
                raise UsageError("sub.did_you_mean_setting", setting=token, option=suggestion)
            raise UsageError("sub.bad_setting", setting=token)
    return spec


# Options that take a value, by every spelling, and their canonical key.
_VALUE_OPTIONS = {
    **dict.fromkeys(("at", "time", "times", "时间"), "at"),
    **dict.fromkeys(("tz", "timezone", "时区"), "tz"),
    **dict.fromkeys(("max", "size", "条数"), "max"),
}
_WEEKDAYS = {"weekdays", "weekday", "工作日"}
_NO_SUMMARY = {"nosummary", "无摘要"}
_SETTING_KEYS = (
    "at",
    "time",
    "times",
    "tz",
    "timezone",
    "max",
    "size",
    "summary",
    "weekdays",
    "tags",
    "words",
    "include",
    "exclude",
)
# Long, distinctive option names: a word this close to one is a typo, not a keyword
# (short ones such as "at" or "max" are too close to ordinary words to guess).
_GUESSABLE = ("weekdays", "nosummary", "timezone")
_KNOWN_MISTAKES = {"weekend": "weekdays", "weekends": "weekdays", "workdays": "weekdays"}


def _is_option_like(name: str) -> bool:
    return name.strip().isascii() and name.strip().isalpha()


def _suggestion(word: str) -> str | None:
    """The option ``word`` was probably meant to be, or None for an ordinary word."""
    lower = word.strip().lower()
    key, sep, _ = lower.partition("=")
    if sep:
        close = difflib.get_close_matches(key.strip(), _SETTING_KEYS, n=1, cutoff=0.6)
        return close[0] if close else None
    if lower in _KNOWN_MISTAKES:
        return _KNOWN_MISTAKES[lower]
    if len(lower) < 6 or not _is_option_like(lower):
        return None
    close = difflib.get_close_matches(lower, _GUESSABLE, n=1, cutoff=0.75)
    return close[0] if close else None


def _marked(token: str) -> str:
    """The word after a ``#``, ``-`` or ``+`` mark; the mark alone is a mistake."""
    word = token[1:].strip()
    if not word:
        raise UsageError("sub.empty_word", mark=token[:1])
    return word


def _once(given: dict[str, object], key: str, value: object) -> None:
    """A setting given twice in one command must agree (``at`` is the exception)."""
    if key in given and given[key] != value:
        raise UsageError("sub.repeated", name=key)
    given[key] = value


def _apply(
    spec: SubscriptionSpec, key: str, value: str, given: dict[str, object]
) -> SubscriptionSpec:
    """One ``key=value`` setting; ``given`` holds what this command set so far."""
    if key in {"at", "time", "times"}:
        earlier = given.get("at", ())
        assert isinstance(earlier, tuple)
        times = tuple(sorted({*earlier, *_times(value)}))
        if len(times) > MAX_TIMES:
            raise UsageError("sub.too_many_times", max=MAX_TIMES)
        given["at"] = times
        return replace(spec, times=times)
    if key in {"tz", "timezone"}:
        timezone = _timezone(value)
        _once(given, "tz", timezone)
        return replace(spec, timezone=timezone)
    if key in {"max", "size"}:
        size = _max_items(value)
        _once(given, "max", size)
        return replace(spec, max_items=size)
    if key == "summary":
        return replace(spec, show_summary=_bool(key, value))
    if key in {"weekdays", "weekday"}:
        return replace(spec, weekdays_only=_bool(key, value))
    if key in {"tags", "words", "include", "exclude"}:
        words: list[str] = []
        for item in value.replace("，", ",").split(","):
            _add(words, _word(item.strip().lstrip("#＃-")))
        field = {"tags": "tags", "words": "include", "include": "include"}.get(key, "exclude")
        return replace(spec, filters=replace(spec.filters, **{field: tuple(words)}))
    setting = f"{key}={value}"
    suggestion = _suggestion(setting)
    if suggestion is not None:
        raise UsageError("sub.did_you_mean_setting", setting=setting, option=suggestion)
    raise UsageError("sub.bad_setting", setting=setting)


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
