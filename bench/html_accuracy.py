"""Field accuracy of the HTML path next to the text-dump path on ../shared/dev-pages.

Usage::

    python bench/html_accuracy.py [DEV_PAGES_DIR] [--brief]

For every page of ``truth.jsonl`` the original HTML (``html/NNN_site.html``) is read
with :func:`newsbot.parsing.parse_html` and the w3m dump with
:func:`newsbot.parsing.parse_page`; both are compared with the truth by the rules of
``tests/test_devpages.py`` (imported, not copied). Prints the per-field table with
both paths side by side and the pages each path misses, then every wrong value of
the HTML path next to the truth (``--brief`` leaves that list out).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from devpages_accuracy import misses  # noqa: E402
from test_devpages import DEV_PAGES, evaluate  # noqa: E402
from test_parsing_html import evaluate_html, side_by_side  # noqa: E402


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", nargs="?", type=Path, default=DEV_PAGES)
    parser.add_argument("--brief", action="store_true", help="leave out the wrong values")
    args = parser.parse_args(argv)
    if not (args.folder / "truth.jsonl").exists():
        print(f"no truth.jsonl in {args.folder}", file=sys.stderr)
        return 2
    html = evaluate_html(args.folder)
    text = evaluate(args.folder)
    print(side_by_side(html, text))
    if not args.brief:
        print("\nwrong values of the HTML path:")
        print("\n".join(misses(html)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
