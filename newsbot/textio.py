"""Bytes of a seed file -> text: size, emptiness and binary checks, encoding detection.

Seed pages arrive as UTF-8 (with or without a BOM), UTF-16 with a BOM, or GBK /
GB18030 from older Chinese portals. The order of attempts is fixed and cheap:

1. a byte-order mark decides (UTF-8, UTF-16, UTF-32);
2. NUL bytes or many C0 control bytes mean binary data;
3. strict UTF-8, then strict GB18030 (a superset of GBK and GB2312);
4. charset_normalizer as the last resort.

Line ends are normalised to ``\\n``.
"""

from __future__ import annotations

import codecs

from newsbot.errors import BinaryFileError, EmptyFileError, FileTooLargeError, UndecodableError

__all__ = ["decode_seed"]

_BOMS: tuple[tuple[bytes, str], ...] = (
    # UTF-32 first: its little-endian BOM starts with the UTF-16 one.
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

# C0 control bytes that never appear in text (tab, LF, VT, FF, CR and ESC are allowed).
_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 11, 12, 13, 27))
# bytes.translate deletes every byte but the controls, leaving only those to count.
_NOT_CONTROL = bytes(b for b in range(256) if b not in _CONTROL)
_MAX_CONTROL_RATIO = 0.01
_SAMPLE = 1 << 16


def decode_seed(data: bytes, *, max_bytes: int = 5_000_000) -> str:
    """Decode the bytes of a seed file into text with ``\\n`` line ends.

    Raises :class:`FileTooLargeError`, :class:`EmptyFileError` (empty or only
    whitespace), :class:`BinaryFileError` (NUL bytes, many control bytes) or
    :class:`UndecodableError`.
    """
    if len(data) > max_bytes:
        raise FileTooLargeError(f"file is {len(data)} bytes, larger than the limit {max_bytes}")
    if not data.strip():
        raise EmptyFileError("file is empty")
    text = _decode_with_bom(data)
    if text is None:
        _reject_binary(data)
        text = _decode_plain(data)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise EmptyFileError("file holds only whitespace")
    return text


def _decode_with_bom(data: bytes) -> str | None:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise UndecodableError(f"bytes do not match their {encoding} BOM") from exc
            return text.lstrip("\ufeff")
    return None


def _reject_binary(data: bytes) -> None:
    if b"\x00" in data:
        raise BinaryFileError("file contains NUL bytes")
    sample = data[:_SAMPLE]
    controls = len(sample.translate(None, _NOT_CONTROL))
    if controls > max(2, len(sample) * _MAX_CONTROL_RATIO):
        raise BinaryFileError(f"file contains {controls} control bytes in its first {len(sample)}")


def _decode_plain(data: bytes) -> str:
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    from charset_normalizer import from_bytes  # imported lazily: rarely needed, slow to load

    best = from_bytes(data).best()
    if best is None:
        raise UndecodableError("no known text encoding decodes the file")
    return str(best)
