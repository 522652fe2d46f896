"""The one jinja2 Environment: views -> Telegram-HTML messages of at most 4096 units.

Templates live in ``templates/`` (a configured folder may override any file) and
render with autoescape and StrictUndefined, so every article string is escaped
and a misspelt variable is an error, not an empty string. Where a template may be
split across messages it emits ``{{ BREAK }}``; the renderer packs the pieces into
as few messages as fit and never cuts inside a piece, so no tag is ever split and
nothing is dropped (a single piece longer than a message, which bounded article
fields rule out, is cut with ``…`` rather than refused). A split marker inside a
value is removed, so article text can never split a message. Reader-facing
wording comes from ``messages.toml`` (Chinese and English), also editable.
"""

from __future__ import annotations

import logging
import re
import tomllib
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from newsbot.errors import ConfigError
from newsbot.nlp import generate_summary
from newsbot.telegram_text import MESSAGE_LIMIT, cut_html, visible_len

__all__ = ["BREAK", "LANGUAGES", "SHIPPED_TEMPLATES", "Renderer", "hashtag", "split_text"]

log = logging.getLogger(__name__)

# The repository's templates/, shipped inside the package: newsbot/templates is a link
# to it in a checkout and a copy of it in an installed wheel.
SHIPPED_TEMPLATES = Path(__file__).resolve().parent / "templates"
LANGUAGES = ("zh", "en")
BREAK = "\x1e"  # record separator: never in article text (ingest drops control chars)
_BREAK_MARK = Markup(BREAK)  # the one value that may carry it into the output
_HASHTAG_JUNK = re.compile(r"[^\w]+")


def hashtag(tag: str) -> str:
    """``#tag`` as Telegram recognises hashtags: letters, digits and underscores only."""
    cleaned = _HASHTAG_JUNK.sub("_", tag).strip("_")
    if not cleaned or cleaned.isdigit():
        cleaned = f"t_{cleaned}" if cleaned else "tag"
    return f"#{cleaned}"


def split_text(text: str, limit: int) -> list[str]:
    """Split plain text into pieces of at most ``limit`` UTF-16 units, at sentence ends
    where possible, else at the limit; the pieces joined give the text back."""
    pieces: list[str] = []
    rest = text
    while len(rest.encode("utf-16-le")) // 2 > limit:
        window = rest[:limit]
        while len(window.encode("utf-16-le")) // 2 > limit:  # astral characters count twice
            window = window[:-1]
        cut = max(window.rfind(mark) for mark in ("。", "！", "？", "!", "?", ". ", "\n", "；"))
        if cut < limit // 3:
            cut = max(window.rfind("，"), window.rfind(" "), window.rfind(","))
        end = cut + 1 if cut >= limit // 3 else len(window)
        pieces.append(rest[:end])
        rest = rest[end:]
    if rest:
        pieces.append(rest)
    return pieces


class Renderer:
    """Renders documented view objects through the templates, in the reader's language."""

    def __init__(
        self,
        timezone: ZoneInfo,
        override_dir: str | Path | None = None,
        shipped_dir: Path = SHIPPED_TEMPLATES,
        limit: int = MESSAGE_LIMIT,
    ) -> None:
        folders = [Path(override_dir)] if override_dir else []
        for folder in folders:
            if not folder.is_dir():
                raise ConfigError(f"bot.templates_dir {folder} is not a folder")
        folders.append(shipped_dir)
        self.timezone = timezone
        self.limit = limit
        self.env = Environment(
            loader=ChoiceLoader([FileSystemLoader(str(f)) for f in folders]),
            autoescape=select_autoescape(default=True, default_for_string=True),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
            finalize=_without_break,
        )
        self.env.filters["date"] = self.format_date
        self.env.filters["hashtag"] = hashtag
        self.env.filters["cut"] = _cut
        self.env.globals["BREAK"] = _BREAK_MARK
        self.messages = _load_messages(folders)

    # -------------------------------------------------------------- public API

    def render(self, template: str, view: Any, lang: str) -> list[str]:
        """Render ``template`` with ``view``; the result is one or more messages."""
        html = self.env.get_template(template).render(view=view, t=self._translator(lang))
        return self.pack(html.split(BREAK))

    def text(self, key: str, lang: str, **params: Any) -> str:
        """One catalogue message with its parameters escaped (safe Telegram HTML)."""
        return str(self._translator(lang)(key, **params))

    def pack(self, pieces: Sequence[str]) -> list[str]:
        """Join pieces into as few messages as fit the limit; a piece is cut (with …)
        only when it alone exceeds the limit."""
        messages: list[str] = []
        current = ""
        for piece in pieces:
            if not piece.strip():
                continue
            candidate = current + piece
            if current and visible_len(candidate) > self.limit:
                messages.append(current.strip())
                candidate = piece
            if visible_len(candidate) > self.limit:
                # Fields are bounded at ingest, so only a template or data from before
                # that gets here; a cut message beats no message at all.
                log.warning(
                    "a message piece of %d units was cut to %d", visible_len(candidate), self.limit
                )
                candidate = cut_html(candidate, self.limit)
            current = candidate
        if current.strip():
            messages.append(current.strip())
        return messages

    def format_date(
        self, value: datetime | None, precision: str = "minute", tz: str | None = None
    ) -> str:
        """A date in the configured timezone (or ``tz``), as precise as ``precision``."""
        if value is None:
            return ""
        local = value.astimezone(ZoneInfo(tz) if tz else self.timezone)
        return (
            local.strftime("%Y-%m-%d") if precision == "day" else local.strftime("%Y-%m-%d %H:%M")
        )

    # -------------------------------------------------------------- internals

    def _translator(self, lang: str) -> Any:
        catalogue = self.messages.get(lang) or self.messages["zh"]
        fallback = self.messages["zh"]

        def t(key: str, **params: Any) -> Markup:
            template = catalogue.get(key, fallback.get(key))
            if template is None:
                raise KeyError(f"message {key!r} is missing from messages.toml")
            return Markup(template).format(**{k: _plain(v) for k, v in params.items()})

        return t


def _plain(value: Any) -> Any:
    if isinstance(value, int | float):
        return value
    if isinstance(value, Markup):
        return Markup(value.replace(BREAK, ""))
    return escape(str(value).replace(BREAK, ""))


def _without_break(value: Any) -> Any:
    """Every ``{{ … }}`` output except ``{{ BREAK }}`` itself loses split markers."""
    if value is _BREAK_MARK or not isinstance(value, str) or BREAK not in value:
        return value
    cleaned = value.replace(BREAK, "")
    return Markup(cleaned) if isinstance(value, Markup) else cleaned


def _cut(text: str, limit: int = 150) -> str:
    """A summary cut at a sentence end near ``limit`` characters."""
    return text if len(text) <= limit else generate_summary([text], limit=limit)


def _load_messages(folders: Sequence[Path]) -> dict[str, dict[str, str]]:
    merged: dict[str, dict[str, str]] = {lang: {} for lang in LANGUAGES}
    for folder in reversed(folders):  # shipped first, overrides on top
        path = folder / "messages.toml"
        if not path.is_file():
            continue
        try:
            data: Mapping[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from None
        for lang, table in data.items():
            if lang not in merged or not isinstance(table, dict):
                raise ConfigError(f"{path}: unknown language table [{lang}]")
            merged[lang].update({str(k): str(v) for k, v in table.items()})
    if not merged["zh"]:
        raise ConfigError("templates: messages.toml with a [zh] table is missing")
    return merged
