"""Per-field accuracy of the parser on ../shared/dev-pages, leave-one-site-out.

Usage::

    python bench/devpages_accuracy.py [DEV_PAGES_DIR] [--brief] [--save-baseline]

Prints the per-field table (accuracy, how many pages have a non-null truth, which
pages miss), then the pages whose fields changed against ``bench/devpages_baseline.json``
(fixed / broken by the change under way), then every wrong value next to the truth
(``--brief`` leaves that list out). ``--save-baseline`` records the current per-page
results as the new baseline. The comparison rules are those of ``tests/test_devpages.py``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from test_devpages import (  # noqa: E402
    DEV_PAGES,
    FIELDS,
    TRUTH_KEY,
    PageResult,
    accuracy_report,
    evaluate,
)

BASELINE = ROOT / "bench" / "devpages_baseline.json"


def changes(results: list[PageResult], baseline: dict[str, dict[str, bool]]) -> list[str]:
    lines: list[str] = []
    for r in results:
        before = baseline.get(r.file)
        if before is None:
            continue
        fixed = [f for f in FIELDS if r.correct[f] and not before.get(f, False)]
        broken = [f for f in FIELDS if not r.correct[f] and before.get(f, False)]
        if fixed:
            lines.append(f"  fixed  {r.file}: {', '.join(fixed)}")
        if broken:
            lines.append(f"  BROKEN {r.file}: {', '.join(broken)}")
    return lines


def misses(results: list[PageResult]) -> list[str]:
    lines: list[str] = []
    for r in results:
        for field, got in r.got.items():
            want = r.truth.get(TRUTH_KEY.get(field, field))
            lines.append(f"  {r.file[:3]} {field:<10} want {want!r}")
            lines.append(f"  {'':3} {'':<10} got  {got!r}")
    return lines


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", nargs="?", type=Path, default=DEV_PAGES)
    parser.add_argument("--brief", action="store_true", help="leave out the wrong values")
    parser.add_argument("--save-baseline", action="store_true", help="record these results")
    args = parser.parse_args(argv)
    if not (args.folder / "truth.jsonl").exists():
        print(f"no truth.jsonl in {args.folder}", file=sys.stderr)
        return 2
    results = evaluate(args.folder)
    print(accuracy_report(args.folder, results))
    if BASELINE.exists():
        diff = changes(results, json.loads(BASELINE.read_text(encoding="utf-8")))
        print(f"\nagainst {BASELINE.name}: " + ("no change" if not diff else ""))
        print("\n".join(diff))
    if not args.brief:
        print("\nwrong values:")
        print("\n".join(misses(results)))
    if args.save_baseline:
        data = {r.file: r.correct for r in results}
        BASELINE.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(f"\nbaseline saved to {BASELINE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
