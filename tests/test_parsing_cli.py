"""What an admin sees of the parser from the terminal: --explain and ingest's doubts."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from newsbot.cli import cli
from tests.conftest import REPO

SEED = REPO / "seeds" / "000_e48cb64ca35cbbeb.txt"
NO_DATE = "\n\n".join(
    [
        "首页 > 馆内动态",
        "博物馆新展开幕 三百件文物首次亮相",
        "来源：某市博物馆　作者：苏某",
        "本次展览展出馆藏文物三百余件，其中近百件为首次与观众见面，展期三个月。",
        "展览分为四个单元，按照时代顺序讲述了这座城市两千年来的变迁。",
    ]
)


def _env(tmp_path: Path, seeds: Path) -> dict[str, str]:
    return {
        "NEWSBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "NEWSBOT_SEEDS_DIR": str(seeds),
        "NEWSBOT_CONFIG": "",
        "NEWSBOT_TELEGRAM_TOKEN": "",
    }


def test_explain_shows_each_line_and_the_doubts(tmp_path: Path) -> None:
    page = tmp_path / "page.txt"
    page.write_text(NO_DATE, encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["parse", "--explain", str(page)], env=_env(tmp_path, tmp_path)
    )
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "title          博物馆新展开幕 三百件文物首次亮相" in out
    assert "breadcrumb     首页 > 馆内动态" in out
    assert "body           本次展览展出馆藏文物三百余件" in out
    assert "uncertain:" in out and "published no date on the page" in out


def test_explain_on_the_seed_has_no_doubts(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["parse", "--explain", str(SEED)], env=_env(tmp_path, tmp_path)
    )
    assert result.exit_code == 0
    assert "dateline" in result.stdout and "uncertain:" not in result.stdout


def test_explain_says_records_have_no_page(tmp_path: Path) -> None:
    records = tmp_path / "records.json"
    records.write_text(json.dumps([{"title": "标题", "body": "正文内容。"}]), encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["parse", "--explain", str(records)], env=_env(tmp_path, tmp_path)
    )
    assert result.exit_code == 0 and "no page to explain" in result.stdout


def test_ingest_counts_uncertain_titles_and_dates(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "seed.txt").write_bytes(SEED.read_bytes())
    (seeds / "no_date.txt").write_text(NO_DATE, encoding="utf-8")
    env = _env(tmp_path, seeds)
    result = CliRunner().invoke(cli, ["ingest"], env=env)
    assert result.exit_code == 0, result.output
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith("parser unsure of 1 titles and 1 dates")
    assert "--explain" in last
    (tmp_path / "x").mkdir()
    again = CliRunner().invoke(
        cli, ["ingest", "--json", str(seeds)], env=_env(tmp_path / "x", seeds)
    )
    assert json.loads(again.stdout)["uncertain"] == {"title": 1, "published": 1}
