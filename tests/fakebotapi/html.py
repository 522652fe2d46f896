"""Telegram's HTML parse mode, checked the way the Bot API checks it.

This is a port of the HTML parser Telegram runs on ``parse_mode=HTML`` text (TDLib's
``parse_html``): the same tags, the same attribute rules, the same error texts with
UTF-8 *byte* offsets, and entity offsets/lengths in UTF-16 code units.

One deliberate difference, on by default (``strict_entities=True``): Telegram shows a
``&`` that does not start ``&lt;``/``&gt;``/``&amp;``/``&quot;``/``&#NNN;``/``&#xHH;``
literally; the fake rejects it, because in newsbot it always means a string that was
not escaped (and the very same string with ``&lt`` in it would be silently mangled).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

__all__ = [
    "Entity",
    "HtmlParseError",
    "ParsedText",
    "parse_html",
    "strip_text",
    "utf16_len",
]

_SUPPORTED_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "tg-emoji",
        "code",
        "pre",
        "blockquote",
    }
)

_SIMPLE_TAG_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
}

_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_SPACES = frozenset(" \t\n\r\f\v")
_TRIMMED = " \t\n\r"


class HtmlParseError(ValueError):
    """Not valid Telegram HTML; ``reason`` is what follows ``can't parse entities: ``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Entity:
    """A MessageEntity; ``offset`` and ``length`` are in UTF-16 code units."""

    type: str
    offset: int
    length: int
    url: str | None = None
    language: str | None = None
    custom_emoji_id: str | None = None

    def to_api(self) -> dict[str, Any]:
        """The entity as the Bot API serialises it."""
        data: dict[str, Any] = {"type": self.type, "offset": self.offset, "length": self.length}
        if self.url is not None:
            data["url"] = self.url
        if self.language is not None:
            data["language"] = self.language
        if self.custom_emoji_id is not None:
            data["custom_emoji_id"] = self.custom_emoji_id
        return data

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Entity:
        """Read an entity sent by a client (``entities=[...]``)."""
        return cls(
            type=str(data["type"]),
            offset=int(data["offset"]),
            length=int(data["length"]),
            url=data.get("url"),
            language=data.get("language"),
            custom_emoji_id=data.get("custom_emoji_id"),
        )


@dataclass(frozen=True)
class ParsedText:
    """The visible text of a message and its entities."""

    text: str
    entities: tuple[Entity, ...] = ()

    @property
    def utf16_length(self) -> int:
        """Length as Telegram measures it (UTF-16 code units)."""
        return utf16_len(self.text)

    def slice(self, entity: Entity) -> str:
        """The part of :attr:`text` that ``entity`` covers."""
        units = self.text.encode("utf-16-le")
        start, end = entity.offset * 2, (entity.offset + entity.length) * 2
        return units[start:end].decode("utf-16-le")


def utf16_len(text: str) -> int:
    """Number of UTF-16 code units in ``text`` (characters outside the BMP count twice)."""
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def strip_text(parsed: ParsedText) -> ParsedText:
    """Trim leading/trailing whitespace like Telegram does, shifting and clipping entities."""
    text = parsed.text
    stripped = text.lstrip(_TRIMMED)
    shift = utf16_len(text) - utf16_len(stripped)
    stripped = stripped.rstrip(_TRIMMED)
    end = utf16_len(stripped)
    entities: list[Entity] = []
    for entity in parsed.entities:
        start = max(entity.offset - shift, 0)
        stop = min(entity.offset + entity.length - shift, end)
        if stop > start:
            entities.append(replace(entity, offset=start, length=stop - start))
    return ParsedText(stripped, tuple(entities))


@dataclass
class _OpenTag:
    name: str
    argument: str
    start: int  # UTF-16 offset in the result where the tag's content begins


class _Parser:
    def __init__(self, html: str, strict_entities: bool) -> None:
        self.html = html
        self.strict = strict_entities
        self.out: list[str] = []
        self.pos16 = 0  # UTF-16 length of the output so far
        self.stack: list[_OpenTag] = []
        self.entities: list[Entity] = []

    # -- helpers -----------------------------------------------------------------------

    def byte_offset(self, index: int) -> int:
        return len(self.html[:index].encode("utf-8"))

    def char_at(self, index: int) -> str:
        return self.html[index] if index < len(self.html) else ""

    def emit(self, chars: str) -> None:
        self.out.append(chars)
        self.pos16 += utf16_len(chars)

    def decode_entity(self, index: int) -> tuple[str, int] | None:
        """Decode the HTML entity at ``index`` (which is ``&``); return (char, next index)."""
        html = self.html
        end = index + 1
        if self.char_at(end) == "#":
            end += 1
            value = 0
            if self.char_at(end) in ("x", "X"):
                end += 1
                digits = "0123456789abcdefABCDEF"
                while self.char_at(end) and self.char_at(end) in digits:
                    value = value * 16 + int(html[end], 16)
                    end += 1
                    if value >= 0x10FFFF:
                        return None
            else:
                while self.char_at(end).isdigit() and self.char_at(end).isascii():
                    value = value * 10 + int(html[end])
                    end += 1
                    if value >= 0x10FFFF:
                        return None
            if value == 0 or end - index >= 10 or 0xD800 <= value <= 0xDFFF:
                return None
            char = chr(value)
        else:
            while self.char_at(end).isascii() and self.char_at(end).isalpha():
                end += 1
            name = html[index + 1 : end]
            if name not in _NAMED_ENTITIES:
                return None
            char = _NAMED_ENTITIES[name]
        if self.char_at(end) == ";":
            end += 1
        return char, end

    def ampersand(self, index: int) -> tuple[str, int]:
        decoded = self.decode_entity(index)
        if decoded is not None:
            return decoded
        if self.strict:
            raise HtmlParseError(
                f'Unsupported HTML entity at byte offset {self.byte_offset(index)} (a bare "&" '
                f'must be written "&amp;"; Telegram would show it as is, the fake refuses it)'
            )
        return "&", index + 1

    def skip_spaces(self, index: int) -> int:
        while self.char_at(index) in _SPACES and self.char_at(index):
            index += 1
        return index

    # -- the parser ----------------------------------------------------------------------

    def parse(self) -> ParsedText:
        html = self.html
        i = 0
        while i < len(html):
            char = html[i]
            if char == "&":
                decoded, i = self.ampersand(i)
                self.emit(decoded)
            elif char != "<":
                self.emit(char)
                i += 1
            elif self.char_at(i + 1) == "/":
                i = self.end_tag(i)
            else:
                i = self.start_tag(i)
        if self.stack:
            raise HtmlParseError(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1].name}"'
            )
        entities = sorted(self.entities, key=lambda e: (e.offset, -e.length))
        return ParsedText("".join(self.out), tuple(entities))

    def start_tag(self, begin: int) -> int:
        html = self.html
        unclosed = HtmlParseError(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
        i = begin + 1
        while i < len(html) and html[i] not in _SPACES and html[i] != ">":
            i += 1
        if i >= len(html):
            raise unclosed
        tag = html[begin + 1 : i].lower()
        if tag not in _SUPPORTED_TAGS:
            raise HtmlParseError(
                f'Unsupported start tag "{tag}" at byte offset {self.byte_offset(begin)}'
            )
        argument = ""
        while self.char_at(i) != ">":
            i = self.skip_spaces(i)
            if i >= len(html):
                raise unclosed
            if html[i] == ">":
                break
            name_begin = i
            while i < len(html) and html[i] not in _SPACES and html[i] not in "=>":
                i += 1
            name = html[name_begin:i].lower()
            if not name:
                raise HtmlParseError(
                    f'Empty attribute name in the tag "{tag}" at byte offset '
                    f"{self.byte_offset(begin)}"
                )
            i = self.skip_spaces(i)
            if i >= len(html):
                raise unclosed
            if html[i] != "=":
                if tag == "blockquote" and name == "expandable":
                    argument = "1"
                    continue
                raise HtmlParseError(
                    "Expected equal sign in declaration of an attribute of the tag "
                    f'"{tag}" at byte offset {self.byte_offset(begin)}'
                )
            i = self.skip_spaces(i + 1)
            if i >= len(html):
                raise unclosed
            value, i = self.attribute_value(i)
            if i >= len(html):
                raise unclosed
            argument = _tag_argument(tag, name, value, argument)
        if tag == "span" and argument != "spoiler":
            raise HtmlParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {self.byte_offset(begin)}'
            )
        self.stack.append(_OpenTag(tag, argument, self.pos16))
        return i + 1

    def attribute_value(self, i: int) -> tuple[str, int]:
        html = self.html
        quote = html[i]
        if quote not in "'\"":
            # A name token: letters, digits, periods or hyphens; not case sensitive.
            token_begin = i
            while i < len(html) and html[i].isascii() and (html[i].isalnum() or html[i] in ".-"):
                i += 1
            if i < len(html) and html[i] not in _SPACES and html[i] != ">":
                raise HtmlParseError(
                    f"Unexpected end of name token at byte offset {self.byte_offset(token_begin)}"
                )
            return html[token_begin:i].lower(), i
        i += 1
        value: list[str] = []
        while i < len(html) and html[i] != quote:
            if html[i] == "&":
                decoded, i = self.ampersand(i)
                value.append(decoded)
            else:
                value.append(html[i])
                i += 1
        if i < len(html):
            i += 1  # the closing quote
        return "".join(value), i

    def end_tag(self, begin: int) -> int:
        html = self.html
        if not self.stack:
            raise HtmlParseError(f"Unexpected end tag at byte offset {self.byte_offset(begin)}")
        i = begin + 2
        while i < len(html) and html[i] not in _SPACES and html[i] != ">":
            i += 1
        end_name = html[begin + 2 : i].lower()
        i = self.skip_spaces(i)
        if self.char_at(i) != ">":
            raise HtmlParseError(f"Unclosed end tag at byte offset {self.byte_offset(begin)}")
        opened = self.stack.pop()
        if end_name and end_name != opened.name:
            raise HtmlParseError(
                f"Unmatched end tag at byte offset {self.byte_offset(begin)}, "
                f'expected "</{opened.name}>", found "</{end_name}>"'
            )
        self.close(opened)
        return i + 1

    def close(self, opened: _OpenTag) -> None:
        offset, length = opened.start, self.pos16 - opened.start
        tag, argument = opened.name, opened.argument
        if tag == "tg-emoji" and not argument.isdigit():
            raise HtmlParseError("Invalid custom emoji identifier specified")
        if length <= 0:
            return
        if tag in _SIMPLE_TAG_TYPES:
            self.entities.append(Entity(_SIMPLE_TAG_TYPES[tag], offset, length))
        elif tag == "a":
            url = argument or "".join(self.out).encode("utf-16-le")[offset * 2 :].decode(
                "utf-16-le"
            )
            if url:
                self.entities.append(Entity("text_link", offset, length, url=url))
        elif tag == "code":
            self.entities.append(Entity("code", offset, length, language=argument or None))
        elif tag == "pre":
            last = self.entities[-1] if self.entities else None
            if (
                last is not None
                and last.type == "code"
                and (last.offset, last.length) == (offset, length)
            ):
                self.entities.pop()
                self.entities.append(Entity("pre", offset, length, language=last.language))
            else:
                self.entities.append(Entity("pre", offset, length))
        elif tag == "blockquote":
            kind = "expandable_blockquote" if argument else "blockquote"
            self.entities.append(Entity(kind, offset, length))
        elif tag == "tg-emoji":
            self.entities.append(Entity("custom_emoji", offset, length, custom_emoji_id=argument))


def _tag_argument(tag: str, attribute: str, value: str, current: str) -> str:
    """Which attributes Telegram reads; every other attribute is ignored."""
    if tag == "a" and attribute == "href":
        return value
    if tag == "code" and attribute == "class" and value.startswith("language-"):
        return value.removeprefix("language-")
    if tag == "span" and attribute == "class" and value.startswith("tg-"):
        return value.removeprefix("tg-")
    if tag == "tg-emoji" and attribute == "emoji-id":
        return value
    if tag == "blockquote" and attribute == "expandable":
        return "1"
    return current


def parse_html(html: str, *, strict_entities: bool = True) -> ParsedText:
    """Parse Telegram HTML into visible text and entities, or raise :class:`HtmlParseError`.

    The text is not trimmed; see :func:`strip_text` for what Telegram does after parsing.
    """
    return _Parser(html, strict_entities).parse()
