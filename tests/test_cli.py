"""The command line: parse, ingest, the terminal twins, subscriptions, errors, --help."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsbot.cli import cli
from tests.conftest import REPO
from tests.factories import make_page_text

SEED = REPO / "seeds" / "000_e48cb64ca35cbbeb.txt"
KEYS = [
    "file", "title", "summary", "summary_generated", "source", "published", "author",
    "editor", "breadcrumb", "keywords", "tags", "url", "body",
]  # fmt: skip


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for n in range(3):
        (seeds / f"{n}.txt").write_text(make_page_text(n), encoding="utf-8")
    return {
        "NEWSBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "NEWSBOT_SEEDS_DIR": str(seeds),
        "NEWSBOT_CONFIG": "",
        "NEWSBOT_TELEGRAM_TOKEN": "",
    }


def run(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_parse_json_has_exactly_the_keys(env: dict[str, str]) -> None:
    code, out, _ = run(env, "parse", str(SEED), "--json")
    assert code == 0
    record = json.loads(out)
    assert list(record) == KEYS
    assert record["published"] == "2021-05-20T13:49:01+08:00"
    assert (
        record["source"] == "高新区" and record["editor"] == "张梦洁" and record["author"] == "杨皓"
    )
    assert record["summary_generated"] is False and record["url"] is None
    assert record["breadcrumb"] == ["新闻", "政企快线", "开发区报道", "高新区"]
    assert record["body"].startswith("“哪里营商环境好")
    assert record["body"].endswith("为西安高质量发展提供坚强保障。")
    assert "\n\n" in record["body"] and "image.png" not in record["body"]
    code, readable, _ = run(env, "parse", str(SEED))
    assert code == 0 and "title      以最好的服务" in readable


def test_parse_reports_bad_file(env: dict[str, str], tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    code, _, err = run(env, "parse", str(SEED), str(empty), "--json")
    assert code == 1 and "empty.txt: empty" in err


def test_ingest_then_twins(env: dict[str, str]) -> None:
    code, out, _ = run(env, "ingest", "--json")
    assert code == 0 and json.loads(out)["new"] == 3
    code, out, _ = run(env, "ingest")
    assert code == 0 and "0 new, 0 updated, 3 unchanged, 0 failed" in out
    code, out, _ = run(env, "latest", "2")
    assert code == 0 and "最新文章 · 第 1–2 条" in out and "(more: --offset 2)" in out
    code, out, _ = run(env, "latest", "abc")
    assert code == 2 and "1 到 20" in out + _
    code, out, _ = run(env, "search", "联合国", "--lang", "en")
    assert code == 0 and "Search “联合国”" in out
    code, out, _ = run(env, "search", "火星")
    assert code == 1 and "没有找到" in out
    code, out, _ = run(env, "tags")
    assert code == 0 and "#" in out
    code, out, _ = run(env, "tag", "交通")
    assert code == 0 and "标签 #交通" in out
    article_id = out.split("· ")[-1].split()[0] if "· " in out else ""
    code, out, _ = run(env, "show", article_id)
    assert code == 0 and "作者: 李明" in out, (article_id, out)
    code, _, err = run(env, "show", "nope1234")
    assert code == 1 and "没有编号为 nope1234" in err


def test_ingest_failures_exit_1(env: dict[str, str], tmp_path: Path) -> None:
    (Path(env["NEWSBOT_SEEDS_DIR"]) / "broken.json").write_text("{not json")
    code, out, err = run(env, "ingest")
    assert code == 1 and "broken.json" in err and "3 new" in out


def test_subs_and_digest_preview(env: dict[str, str]) -> None:
    run(env, "ingest")
    code, out, _ = run(
        env, "subs", "add", "--title", "频道", "--", "-100123", "#交通", "at", "08:00"
    )
    assert code == 0 and "订阅 #1" in out and "每天 08:00" in out
    code, out, _ = run(env, "subs", "set", "1", "max=2")
    assert code == 0 and "每次最多 2 条" in out
    code, out, _ = run(env, "subs", "list")
    assert "[chat -100123 · channel]" in out
    code, out, _ = run(env, "digest", "--preview", "--subscription", "1")
    assert code == 0 and "预览" in out and "共 2 条" in out
    code, out, _ = run(env, "subs", "set", "1", "colour=red")
    assert code == 2
    code, out, _ = run(env, "subs", "remove", "1")
    assert code == 0
    code, _, _ = run(env, "subs", "remove", "1")
    assert code == 1


def test_config_errors_have_no_traceback(env: dict[str, str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[bot]\ntimezone = "Nowhere/City"\n')
    code, out, err = run({**env, "NEWSBOT_CONFIG": str(bad)}, "latest")
    assert code == 2 and "bot.timezone" in err and "Traceback" not in err + out


def test_run_without_token_explains(env: dict[str, str]) -> None:
    code, _, err = run(env, "run")
    assert code == 2 and "@BotFather" in err and "NEWSBOT_TELEGRAM_TOKEN" in err
    assert "newsbot latest" in err


@pytest.mark.parametrize(
    "command",
    [[], ["parse"], ["ingest"], ["run"], ["latest"], ["tag"], ["search"], ["tags"], ["show"],
     ["subs"], ["subs", "add"], ["subs", "list"], ["subs", "set"], ["subs", "remove"],
     ["digest"], ["db"], ["db", "upgrade"]],
)  # fmt: skip
def test_help_everywhere(env: dict[str, str], command: list[str]) -> None:
    code, out, _ = run(env, *command, "--help")
    assert code == 0 and "Usage:" in out
