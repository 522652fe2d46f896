"""Ingest hardening: re-saved pages, duplicates within a batch, two ingests at once."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner

from newsbot.cli import cli
from newsbot.ingest import ingest
from newsbot.store import SeedFile, SeedRecord, Store
from tests.conftest import REPO
from tests.factories import make_article, make_page_text

SEED = REPO / "seeds" / "000_e48cb64ca35cbbeb.txt"


def test_resaved_page_with_new_metadata_updates_in_place(tmp_path: Path, store: Store) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    page = seeds / "seed.txt"
    page.write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    assert ingest(store, [seeds]).new == 1
    (before,) = store.latest(5).articles
    assert before.editor == "张梦洁"

    page.write_text(
        SEED.read_text(encoding="utf-8").replace("编辑:张梦洁", "编辑:李四"), encoding="utf-8"
    )
    (seeds / "other.txt").write_text(make_page_text(3), encoding="utf-8")
    report = ingest(store, [seeds])

    assert (report.new, report.updated, report.failed) == (1, 1, 0)
    after = store.get(before.id)
    assert after is not None and after.editor == "李四"
    assert store.count_articles() == 2
    assert store.search(["营商环境"]).articles[0].id == before.id


def test_same_article_twice_in_one_batch_with_other_metadata(tmp_path: Path, store: Store) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    text = make_page_text(5)
    (seeds / "a.txt").write_text(text, encoding="utf-8")
    (seeds / "b.txt").write_text(text.replace("编辑:王芳", "编辑:赵六"), encoding="utf-8")
    record = {"title": "同一篇新闻", "body": ["第一段正文。", "第二段正文。"], "source": "甲报"}
    lines = [record, {**record, "source": "乙报", "tags": ["测试"]}]
    (seeds / "c.jsonl").write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in lines), encoding="utf-8"
    )

    report = ingest(store, [seeds])

    assert (report.new, report.updated, report.failed) == (2, 2, 0)
    assert store.count_articles() == 2
    titles = {a.title: a for a in store.latest(5).articles}
    assert titles["同一篇新闻"].source == "乙报"
    assert titles["同一篇新闻"].tags == ("测试",)
    assert titles["第5号测试新闻：城市交通持续改善"].editor == "赵六"


def test_cli_ingest_of_a_resaved_page_exits_0(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    page = seeds / "seed.txt"
    page.write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    env = {
        "NEWSBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "NEWSBOT_SEEDS_DIR": str(seeds),
        "NEWSBOT_CONFIG": "",
        "NEWSBOT_TELEGRAM_TOKEN": "",
    }
    runner = CliRunner()
    assert runner.invoke(cli, ["ingest"], env=env).exit_code == 0
    page.write_text(
        SEED.read_text(encoding="utf-8").replace("编辑:张梦洁", "编辑:李四"), encoding="utf-8"
    )
    result = runner.invoke(cli, ["ingest", "--json"], env=env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["updated"] == 1


def _race(stores: list[Store], work: Callable[[Store], object]) -> list[object]:
    """Run ``work`` on each store in its own thread, all starting together."""
    start = threading.Barrier(len(stores))
    results: list[object] = []
    errors: list[BaseException] = []

    def run(store: Store) -> None:
        start.wait()
        try:
            results.append(work(store))
        except BaseException as exc:  # reported by the caller's assertion
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(s,)) for s in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    return results


def test_two_ingests_at_once_both_succeed(db_url: str, tmp_path: Path) -> None:
    """The bot's periodic ingest and a CLI ingest storing the same new articles at once."""
    stores = [Store.open(db_url), Store.open(db_url)]
    try:
        for round_ in range(3):
            files = [
                SeedFile(
                    f"{round_}_{n}.txt",
                    f"hash{round_}_{n}",
                    1,
                    (
                        SeedRecord(
                            f"{round_}_{n}.txt",
                            make_article(round_ * 1000 + n, tags=(f"标签{n % 7}", f"新{round_}")),
                        ),
                    ),
                )
                for n in range(150)
            ]
            results = _race(stores, lambda store, files=files: store.save_seed_files(files))
            outcomes = [o for per_store in results for per_file in per_store for o in per_file]  # type: ignore[attr-defined]
            assert outcomes.count("new") == 150 and outcomes.count("unchanged") == 150
            assert stores[0].count_articles() == 150 * (round_ + 1)
        seeds = tmp_path / "seeds"
        seeds.mkdir()
        for n in range(30):
            (seeds / f"{n}.txt").write_text(make_page_text(n), encoding="utf-8")
        reports = _race(stores, lambda store: ingest(store, [seeds]))
        assert all(r.failed == 0 for r in reports)  # type: ignore[attr-defined]
        assert stores[1].count_articles() == 450 + 30
        assert {t.tag: t.count for t in stores[1].top_tags(50)}["新0"] == 150
    finally:
        for store in stores:
            store.close()
