"""Database URLs that cannot be used, each in its own way (for exit-status tests)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

__all__ = ["BROKEN_SQLITE"]


def _corrupt_file(tmp_path: Path) -> str:
    path = tmp_path / "corrupt.db"
    path.write_bytes(b"this is not an SQLite database, just some bytes\n" * 200)
    return f"sqlite:///{path}"


def _under_a_file(tmp_path: Path) -> str:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the database's folder should be")
    return f"sqlite:///{blocker / 'sub' / 'newsbot.db'}"


def _a_folder(tmp_path: Path) -> str:
    folder = tmp_path / "folder.db"
    folder.mkdir()
    return f"sqlite:///{folder}"


BROKEN_SQLITE: dict[str, Callable[[Path], str]] = {
    "corrupt file": _corrupt_file,
    "under a file": _under_a_file,
    "a folder": _a_folder,
}
