"""An installed newsbot carries its templates: templates/ is package data, reached
through the newsbot/templates link (checked by hand with `pip wheel .`)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from newsbot.render import SHIPPED_TEMPLATES
from tests.conftest import REPO


def test_templates_are_the_repository_folder() -> None:
    assert SHIPPED_TEMPLATES.resolve() == (REPO / "templates").resolve()
    assert (SHIPPED_TEMPLATES / "messages.toml").is_file()


def test_package_data_covers_every_template_and_migration() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["newsbot"]
    package = REPO / "newsbot"
    covered = {path.resolve() for pattern in patterns for path in package.glob(pattern)}
    wanted = [p for p in (REPO / "templates").iterdir() if p.is_file()]
    wanted += list((package / "store/migrations/versions").glob("0*.py"))
    missing = [str(Path(p).relative_to(REPO)) for p in wanted if p.resolve() not in covered]
    assert not missing, f"not shipped in the wheel: {missing}"
