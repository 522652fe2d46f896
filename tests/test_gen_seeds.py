"""The synthetic seed-store generator used by the benchmarks (bench/gen_seeds.py)."""

from __future__ import annotations

import importlib.util
import random
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

GEN_SEEDS = Path(__file__).resolve().parents[1] / "bench" / "gen_seeds.py"

DATE = re.compile(
    r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}"
    r"|\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}"
    r"|\d{4}/\d{2}/\d{2}"
)
SOURCE = re.compile(r"来源[:：]\S+")


@pytest.fixture(scope="module")
def gen_seeds() -> ModuleType:
    """bench/ is not a package: load the script as a module by path."""
    spec = importlib.util.spec_from_file_location("bench_gen_seeds", GEN_SEEDS)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def _title(text: str) -> str:
    """The first non-empty line after the breadcrumb line."""
    lines = [line for line in text.splitlines() if line.strip()]
    crumb = next(i for i, line in enumerate(lines) if line.endswith("正文"))
    return lines[crumb + 1]


def test_store_pages_are_distinct_and_well_formed(gen_seeds: ModuleType, tmp_path: Path) -> None:
    paths = gen_seeds.generate_store(tmp_path, 60, seed=7, encoding_mix=True)

    assert len(paths) == 60
    assert sorted(tmp_path.iterdir()) == sorted(paths)
    texts = [_decode(path.read_bytes()) for path in paths]
    assert len(set(texts)) == 60
    assert len({_title(text) for text in texts}) == 60
    for text in texts:
        title = _title(text)
        assert 8 <= len(title) <= 60, title
        assert DATE.search(text), text[:300]
        assert SOURCE.search(text), text[-400:]
        assert 1000 <= len(text) <= 4000


def test_store_mixes_layouts_and_encodings(gen_seeds: ModuleType, tmp_path: Path) -> None:
    paths = gen_seeds.generate_store(tmp_path, 200, seed=1, encoding_mix=True)
    raw = [path.read_bytes() for path in paths]
    texts = [_decode(data) for data in raw]

    not_utf8 = 0
    for data in raw:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            not_utf8 += 1
    assert 5 <= not_utf8 <= 40
    assert 1 <= sum(b"\r\n" in data for data in raw) <= 25
    assert any("[摘要]" in text for text in texts)
    assert any("【摘要】" in text for text in texts)
    assert any("责任编辑：" in text for text in texts)
    assert any(re.search(r"\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}", t) for t in texts)
    assert any(re.search(r"\d{4}/\d{2}/\d{2}", t) for t in texts)


def test_generation_is_deterministic_for_a_seed(gen_seeds: ModuleType, tmp_path: Path) -> None:
    first = gen_seeds.generate_store(tmp_path / "a", 25, seed=3)
    second = gen_seeds.generate_store(tmp_path / "b", 25, seed=3)
    other = gen_seeds.generate_store(tmp_path / "c", 25, seed=4)

    assert [p.name for p in first] == [p.name for p in second]
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]
    assert [p.read_bytes() for p in first] != [p.read_bytes() for p in other]
    assert gen_seeds.make_page(random.Random(5), 9) == gen_seeds.make_page(random.Random(5), 9)


def test_default_store_is_utf8_with_lf(gen_seeds: ModuleType, tmp_path: Path) -> None:
    for path in gen_seeds.generate_store(tmp_path, 40, seed=2):
        data = path.read_bytes()
        data.decode("utf-8")
        assert b"\r" not in data
