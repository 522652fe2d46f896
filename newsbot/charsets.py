"""Bytes of a web page -> text: the charset a browser would choose.

Shared by the live sources (list pages) and the parser (saved and fetched pages):
a byte-order mark, then the charset the HTTP header declared, then the page's own
``<meta charset>`` / ``http-equiv``, then detection. GBK and GB2312 are read as
GB18030, their superset, as browsers do.
"""

from __future__ import annotations

import codecs
import re

from newsbot.errors import BinaryFileError, EmptyFileError, UndecodableError

__all__ = ["decode_html"]


_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16: its BOM starts with UTF-16's
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Charsets pages declare that name a subset of another: decode as the superset, as
# browsers do (the WHATWG encoding standard maps GBK and GB2312 to GB18030's table).
_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "gb_2312-80": "gb18030",
    "euc-cn": "gb18030",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "big5": "big5hkscs",
    "shift_jis": "cp932",
    "euc-kr": "cp949",
}
_META_CHARSET = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.IGNORECASE
)
_PRESCAN = 4096  # bytes searched for a <meta charset>, as the HTML standard's prescan (1024+)
_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 11, 12, 13, 27))
_NOT_CONTROL = bytes(b for b in range(256) if b not in _CONTROL)
_SAMPLE = 1 << 16
_MARKUP = re.compile(rb"<\s*(?:!doctype|html|head|body|meta|title|div|p|a|table|br)\b", re.I)


def decode_html(data: bytes, declared_charset: str | None = None) -> str:
    """Decode the bytes of an HTML page: a byte-order mark, then ``declared_charset``
    (the HTTP header's), then the page's ``<meta charset>`` / ``http-equiv``, then
    detection. A declared legacy charset loses to strictly valid UTF-8 bytes that are
    not all ASCII (saved pages keep their old ``<meta>`` over re-encoded bytes). Bytes
    the charset cannot decode become U+FFFD; GBK and GB2312 are read as GB18030.

    Raises :class:`EmptyFileError` for no content, :class:`BinaryFileError` (NUL or
    control bytes) and :class:`UndecodableError` (no charset fits) only for data
    without any HTML markup: clearly not a page.
    """
    if not data.strip():
        raise EmptyFileError("file is empty")
    for bom, bom_encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(bom_encoding, errors="replace")
    _reject_binary(data)
    for declared in (declared_charset, _meta_charset(data[:_PRESCAN])):
        encoding = _codec(declared)
        if encoding is not None:
            if encoding != "utf-8" and not data.isascii():
                # Saved and re-served pages often keep a legacy declaration over bytes
                # that are UTF-8 by now; CJK text in GBK is practically never valid UTF-8.
                try:
                    return data.decode("utf-8")
                except UnicodeDecodeError:
                    pass
            return data.decode(encoding, errors="replace")
    return _detect(data)


def _codec(name: str | None) -> str | None:
    """The Python codec for a declared charset name, or None when unknown."""
    if not name:
        return None
    label = name.strip().strip("\"'").lower()
    label = _SUPERSETS.get(label, label)
    try:
        info = codecs.lookup(label)
    except LookupError:
        return None
    if info.name.startswith("utf-16") or info.name.startswith("utf-32"):
        return "utf-8"  # a page declaring UTF-16 without a BOM is ASCII-compatible (HTML std)
    return info.name


def _meta_charset(head: bytes) -> str | None:
    match = _META_CHARSET.search(head)
    return match.group(1).decode("ascii", "replace") if match else None


def _reject_binary(data: bytes) -> None:
    sample = data[:_SAMPLE]
    if _MARKUP.search(sample):
        return  # markup: a page, however broken its bytes
    if b"\x00" in sample:
        raise BinaryFileError("file contains NUL bytes and no HTML markup")
    controls = len(sample.translate(None, _NOT_CONTROL))
    if controls > max(2, len(sample) // 100):
        raise BinaryFileError(f"file contains {controls} control bytes and no HTML markup")


def _detect(data: bytes) -> str:
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    from charset_normalizer import from_bytes  # imported lazily: rarely needed, slow to load

    best = from_bytes(data[: 1 << 20]).best()
    if best is None or best.encoding is None:
        if _MARKUP.search(data[:_SAMPLE]):
            return data.decode("utf-8", errors="replace")
        raise UndecodableError("no known text encoding decodes the file")
    return data.decode(_codec(best.encoding) or "utf-8", errors="replace")


