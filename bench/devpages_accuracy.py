"""Print the parser's per-field accuracy on ../shared/dev-pages (hand-checked truth).

Usage::

    python bench/devpages_accuracy.py [DEV_PAGES_DIR]

The comparison rules are those of ``tests/test_devpages.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from test_devpages import DEV_PAGES, accuracy_report  # noqa: E402


def main(argv: list[str]) -> int:
    folder = Path(argv[0]) if argv else DEV_PAGES
    if not (folder / "truth.jsonl").exists():
        print(f"no truth.jsonl in {folder}", file=sys.stderr)
        return 2
    print(accuracy_report(folder))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
