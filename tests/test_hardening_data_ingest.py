"""Ingest hardening: re-saved pages, duplicates within a batch, concurrent ingests."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from newsbot.cli import cli
from newsbot.ingest import ingest
from newsbot.store import Store
from tests.conftest import REPO
from tests.factories import make_page_text

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
