"""Ingest: idempotence, dedup across names and encodings, edits keep ids, bad files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from newsbot.ingest import ingest
from newsbot.store import Store
from tests.factories import make_page_text


def write(folder: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


def test_ingest_twice_changes_nothing(tmp_path: Path, store: Store) -> None:
    seeds = tmp_path / "seeds"
    for n in range(3):
        write(seeds, f"{n}.txt", make_page_text(n))
    first = ingest(store, [seeds])
    assert (first.new, first.updated, first.unchanged, first.failed) == (3, 0, 0, 0)
    ids = {a.id for a in store.latest(10).articles}
    second = ingest(store, [seeds])
    assert (second.new, second.updated, second.unchanged, second.failed) == (0, 0, 3, 0)
    assert second.skipped == 3  # recognised by hash, not parsed again
    assert {a.id for a in store.latest(10).articles} == ids


def test_same_article_other_name_and_encoding_is_one(tmp_path: Path, store: Store) -> None:
    seeds = tmp_path / "seeds"
    text = make_page_text(7)
    write(seeds, "a.txt", text)
    write(seeds, "copy.txt", text)
    write(seeds, "gbk.txt", text, "gb18030")
    write(seeds, "bom.txt", "\ufeff" + text.replace("\n", "\r\n"))
    report = ingest(store, [seeds])
    assert report.new == 1 and report.unchanged == 3 and report.failed == 0
    assert store.count_articles() == 1


def test_edited_file_updates_and_keeps_id(tmp_path: Path, store: Store) -> None:
    seeds = tmp_path / "seeds"
    path = write(seeds, "a.txt", make_page_text(1))
    ingest(store, [seeds])
    (before,) = store.latest(5).articles
    path.write_text(make_page_text(1, extra="新增一句：共享单车停放点也增加了。"), encoding="utf-8")
    report = ingest(store, [seeds])
    assert (report.new, report.updated) == (0, 1)
    (after,) = store.latest(5).articles
    assert after.id == before.id
    assert "共享单车" in after.body_text
    assert store.search(["共享单车"]).articles[0].id == before.id


def test_bad_files_are_named_and_the_rest_go_in(tmp_path: Path, store: Store) -> None:
    seeds = tmp_path / "seeds"
    write(seeds, "good.txt", make_page_text(1))
    write(seeds, "empty.txt", "")
    (seeds / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (seeds / "noise.txt").write_bytes(bytes([0xFF, 0x80, 0xFE, 0x81]) * 50)
    write(seeds, "big.txt", "新闻" * 400)
    write(seeds, "nav.txt", "首页 > 新闻\n登录 注册\n")
    write(
        seeds,
        "bad.jsonl",
        json.dumps({"title": "好", "body": "正文。"}, ensure_ascii=False) + "\n{oops\n",
    )
    report = ingest(store, [seeds], max_bytes=1000)
    reasons = {Path(f.file).name: f.reason for f in report.failures}
    assert report.new == 1 and report.failed == len(reasons) >= 5
    assert "empty" in reasons["empty.txt"]
    assert "binary" in reasons["binary.txt"]
    assert "too large" in reasons["big.txt"]
    assert "line 2" in reasons["bad.jsonl"]
    assert reasons["nav.txt"].startswith("no recognisable article")
    assert "noise.txt" in reasons
    assert store.count_articles() == 1  # the JSON file's good first record was not written
    again = ingest(store, [seeds], max_bytes=1000)
    assert again.failed == report.failed  # still reported, still nothing written


def test_json_lines_records(tmp_path: Path, store: Store) -> None:
    seeds = tmp_path / "seeds"
    records = [
        {
            "title": "一号记录",
            "body": "第一段。\n\n第二段。",
            "source": "外部工具",
            "published": "2024-03-01T10:00:00+08:00",
            "tags": ["测试"],
        },
        {"title": "二号记录", "body": ["只有一段。"], "published": "2024-03-02 09:30"},
    ]
    write(seeds, "feed.jsonl", "\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n")
    report = ingest(store, [seeds])
    assert report.new == 2 and report.failed == 0
    titles = [a.title for a in store.latest(5).articles]
    assert titles == ["二号记录", "一号记录"]
    assert ingest(store, [seeds]).unchanged == 2


def test_discover_skips_hidden_and_other_suffixes(tmp_path: Path, store: Store) -> None:
    seeds = tmp_path / "seeds"
    write(seeds, "a.txt", make_page_text(1))
    write(seeds, ".hidden.txt", make_page_text(2))
    write(seeds, "notes.md", "# not a seed")
    write(seeds, "sub/b.txt", make_page_text(3))
    report = ingest(store, [seeds])
    assert report.files == 2 and report.new == 2


@pytest.mark.parametrize("workers", [2])
def test_parallel_workers_give_same_result(tmp_path: Path, sqlite_url: str, workers: int) -> None:
    seeds = tmp_path / "seeds"
    for n in range(450):
        write(seeds, f"{n:03d}.txt", make_page_text(n))
    store = Store.open(sqlite_url)
    report = ingest(store, [seeds], workers=workers)
    assert report.new == 450 and report.failed == 0
    store.close()
