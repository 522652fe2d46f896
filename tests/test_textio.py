"""decode_seed: encodings, line ends and the reasons a file is refused."""

from __future__ import annotations

import codecs

import pytest

from newsbot.errors import (
    BinaryFileError,
    EmptyFileError,
    FileTooLargeError,
    SeedError,
    UndecodableError,
)
from newsbot.textio import decode_seed

TEXT = "首页 > 新闻 > 正文\n\n标题：全市新增三处口袋公园\n\n　　正文第一段，写于２０２２年。\n"


@pytest.mark.parametrize(
    "data",
    [
        TEXT.encode("utf-8"),
        codecs.BOM_UTF8 + TEXT.encode("utf-8"),
        TEXT.encode("utf-16"),  # with BOM, native order
        codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"),
        codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"),
        TEXT.encode("gbk"),
        TEXT.encode("gb18030"),
    ],
    ids=["utf8", "utf8-bom", "utf16", "utf16-le", "utf16-be", "gbk", "gb18030"],
)
def test_decodes_common_encodings(data: bytes) -> None:
    assert decode_seed(data) == TEXT


def test_gb18030_only_characters() -> None:
    text = "䶮是一个扩展汉字，写作“䶮”。\n"
    assert decode_seed(text.encode("gb18030")) == text


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_normalises_line_ends(newline: str) -> None:
    data = TEXT.replace("\n", newline).encode("utf-8")
    assert decode_seed(data) == TEXT


def test_crlf_in_gbk() -> None:
    assert decode_seed(TEXT.replace("\n", "\r\n").encode("gbk")) == TEXT


@pytest.mark.parametrize("data", [b"", b"   \n\t\r\n", codecs.BOM_UTF8 + b"  \n"])
def test_empty_or_whitespace(data: bytes) -> None:
    with pytest.raises(EmptyFileError):
        decode_seed(data)


def test_whitespace_only_utf16() -> None:
    with pytest.raises(EmptyFileError):
        decode_seed(" \n \u3000".encode("utf-16"))


def test_nul_bytes_are_binary() -> None:
    with pytest.raises(BinaryFileError):
        decode_seed(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")


def test_many_control_bytes_are_binary() -> None:
    with pytest.raises(BinaryFileError):
        decode_seed(bytes([1, 2, 3, 4, 5, 6, 7, 8]) * 20 + "文本".encode())


def test_a_stray_control_byte_is_tolerated() -> None:
    data = ("正文" * 200 + "\x07" + "结尾\n").encode("utf-8")
    assert decode_seed(data).endswith("结尾\n")


def test_too_large() -> None:
    with pytest.raises(FileTooLargeError):
        decode_seed(b"a" * 101, max_bytes=100)
    assert decode_seed(b"a" * 100, max_bytes=100) == "a" * 100


def test_undecodable() -> None:
    with pytest.raises(UndecodableError):
        decode_seed(bytes(range(0x80, 0x100)) * 2)


def test_bad_bytes_after_a_bom() -> None:
    with pytest.raises(UndecodableError):
        decode_seed(codecs.BOM_UTF8 + b"\xff\xfe\xfd abc")


def test_errors_are_seed_errors_with_a_reason() -> None:
    with pytest.raises(SeedError, match="limit"):
        decode_seed(b"abc", max_bytes=2)
