"""Benchmark ``newsbot ingest`` on a synthetic seed store.

Steps, each in its own subprocess so that its wall time, CPU time and peak RSS
are measured alone (``os.wait4`` gives the rusage of exactly that child):

a. first ingest of the store into an empty database;
b. second ingest of the unchanged store (must report 0 new, 0 updated);
c. jieba keyword extraction alone on the same files: the floor that ingest is
   compared with (ingest should cost at most 2x what tagging alone costs).

Usage::

    python bench/bench_ingest.py                      # 10,000 articles, SQLite
    python bench/bench_ingest.py --count 2000 --json
    python bench/bench_ingest.py --store /tmp/store   # reuse (or fill) a store
    python bench/bench_ingest.py --postgres postgresql+psycopg://localhost/postgres
    python bench/bench_ingest.py --skip-ingest        # generation + jieba only

``newsbot ingest STORE --json`` is expected to print one JSON object such as
``{"new": 10000, "updated": 0, "unchanged": 0, "failed": 0, "failures": [],
"seconds": 12.3}``. The database is chosen with ``NEWSBOT_DATABASE_URL``.

Exit status: 0 when the benchmark ran (1 with ``--strict`` if a target was
missed), 2 when a step failed to run.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

__all__ = ["main"]

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = BENCH_DIR.parent
BENCH_DATABASE = "newsbot_bench"

TARGET_SPEEDUP = 20.0  # second (unchanged) ingest at least this much faster
TARGET_PEAK_MB = 300.0  # peak RSS of an ingest process below this
TARGET_JIEBA_RATIO = 2.0  # first ingest at most this many times jieba alone


class BenchError(Exception):
    """A benchmark step could not run; the message says which and why."""


# --------------------------------------------------------------------------
# Measuring a child process.
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class ChildRun:
    """What one subprocess did and cost."""

    argv: tuple[str, ...]
    returncode: int
    wall_s: float
    user_s: float
    sys_s: float
    peak_rss_mb: float
    stdout: str
    stderr: str

    @property
    def cpu_s(self) -> float:
        return self.user_s + self.sys_s


def run_measured(argv: Sequence[str], env: dict[str, str] | None = None) -> ChildRun:
    """Run ``argv`` to completion and return its output and its own rusage."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            env=env,
            cwd=PROJECT_ROOT,
        )
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)  # Popen must not wait again
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
    return ChildRun(
        argv=tuple(argv),
        returncode=proc.returncode,
        wall_s=wall,
        user_s=usage.ru_utime,
        sys_s=usage.ru_stime,
        peak_rss_mb=_maxrss_mb(usage.ru_maxrss),
        stdout=stdout,
        stderr=stderr,
    )


def _maxrss_mb(maxrss: int) -> float:
    # Linux reports kilobytes, macOS bytes.
    return maxrss / (1024 * 1024) if sys.platform == "darwin" else maxrss / 1024


def _tail(text: str, lines: int = 30) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


def _require_success(step: str, run: ChildRun) -> None:
    if run.returncode != 0:
        raise BenchError(
            f"{step} failed with exit status {run.returncode}\n"
            f"command: {' '.join(run.argv)}\n"
            f"--- stderr (last lines) ---\n{_tail(run.stderr) or '(empty)'}\n"
            f"--- stdout (last lines) ---\n{_tail(run.stdout) or '(empty)'}"
        )


def _last_json_object(step: str, stdout: str) -> dict[str, Any]:
    """The JSON object a child printed: all of stdout, or else its last line."""
    candidates = [stdout.strip()]
    candidates += [line for line in reversed(stdout.splitlines()) if line.startswith("{")]
    for candidate in candidates:
        try:
            value = json.loads(candidate)
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            return value
    raise BenchError(f"{step} printed no JSON object on stdout:\n{_tail(stdout) or '(empty)'}")


# --------------------------------------------------------------------------
# The steps.
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class IngestRun:
    """One ``newsbot ingest`` run and the counts it reported."""

    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    new: int
    updated: int
    unchanged: int
    failed: int
    reported_s: float | None
    first_failures: list[dict[str, Any]]


def run_ingest(step: str, store: Path, database_url: str) -> IngestRun:
    """Run ``python -m newsbot ingest STORE --json`` against ``database_url``."""
    env = {**os.environ, "NEWSBOT_DATABASE_URL": database_url}
    run = run_measured([sys.executable, "-m", "newsbot", "ingest", str(store), "--json"], env)
    _require_success(step, run)
    report = _last_json_object(step, run.stdout)
    try:
        counts = {key: int(report[key]) for key in ("new", "updated", "unchanged", "failed")}
    except (KeyError, TypeError, ValueError) as exc:
        raise BenchError(f"{step}: unexpected JSON from newsbot ingest: {report!r}") from exc
    seconds = report.get("seconds")
    failures = report.get("failures") or []
    return IngestRun(
        wall_s=run.wall_s,
        cpu_s=run.cpu_s,
        peak_rss_mb=run.peak_rss_mb,
        reported_s=float(seconds) if isinstance(seconds, int | float) else None,
        first_failures=list(failures)[:5],
        **counts,
    )


@dataclass(frozen=True)
class JiebaRun:
    """Keyword extraction alone on every file of the store."""

    init_s: float
    seconds: float
    articles: int
    wall_s: float
    peak_rss_mb: float

    @property
    def rate(self) -> float:
        return self.articles / self.seconds if self.seconds else 0.0


def run_jieba(store: Path) -> JiebaRun:
    """Time ``jieba.analyse.extract_tags(text, topK=8)`` per file, in a child."""
    run = run_measured(
        [sys.executable, str(Path(__file__).resolve()), "--jieba-worker", str(store)]
    )
    _require_success("jieba keyword extraction", run)
    report = _last_json_object("jieba keyword extraction", run.stdout)
    return JiebaRun(
        init_s=float(report["init_seconds"]),
        seconds=float(report["seconds"]),
        articles=int(report["articles"]),
        wall_s=run.wall_s,
        peak_rss_mb=run.peak_rss_mb,
    )


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030", "replace")


def jieba_worker(store: Path) -> int:
    """Child side of :func:`run_jieba`: print timings as one JSON object."""
    import logging

    started = time.perf_counter()
    import jieba
    import jieba.analyse

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    jieba.analyse.extract_tags("初始化关键词词典", topK=8)  # loads the IDF table
    init_s = time.perf_counter() - started

    files = sorted(store.rglob("*.txt"))
    started = time.perf_counter()
    tags = 0
    for path in files:
        tags += len(jieba.analyse.extract_tags(_decode(path.read_bytes()), topK=8))
    seconds = time.perf_counter() - started
    result = {"init_seconds": init_s, "seconds": seconds, "articles": len(files), "tags": tags}
    print(json.dumps(result))
    return 0


# --------------------------------------------------------------------------
# Stores and databases.
# --------------------------------------------------------------------------


def _load_gen_seeds() -> Any:
    sys.path.insert(0, str(BENCH_DIR))
    try:
        import gen_seeds
    finally:
        sys.path.remove(str(BENCH_DIR))
    return gen_seeds


def prepare_store(
    store: Path | None, workdir: Path, count: int, seed: int, encoding_mix: bool, log: Any
) -> tuple[Path, int, float | None]:
    """Reuse ``store`` if it holds pages, else generate ``count`` pages.

    Returns the store, its number of pages and the generation time (None if reused).
    """
    if store is not None and any(store.rglob("*.txt")):
        pages = sum(1 for _ in store.rglob("*.txt"))
        log(f"reusing {pages} pages in {store}")
        return store, pages, None
    target = store if store is not None else workdir / "store"
    log(f"generating {count} pages in {target} ...")
    started = time.perf_counter()
    paths = _load_gen_seeds().generate_store(target, count, seed, encoding_mix=encoding_mix)
    return target, len(paths), time.perf_counter() - started


@contextlib.contextmanager
def postgres_database(url: str, name: str = BENCH_DATABASE) -> Iterator[str]:
    """Create a fresh database ``name`` on the server of ``url``; drop it afterwards.

    Yields ``url`` pointing at the new database. The server is reached through
    its ``postgres`` (or ``test``, or the URL's own) database with autocommit.
    """
    try:
        import psycopg
        from psycopg import sql
        from sqlalchemy.engine import make_url
    except ImportError as exc:
        raise BenchError(f"--postgres needs psycopg and SQLAlchemy installed: {exc}") from exc

    parsed = make_url(url)
    if not parsed.drivername.startswith("postgresql"):
        raise BenchError(f"--postgres expects a postgresql:// URL, got {parsed.drivername}://")
    admin_dbs = dict.fromkeys(["postgres", "test", parsed.database or "postgres"])
    errors: list[str] = []
    conn: psycopg.Connection[Any] | None = None
    for admin_db in admin_dbs:
        conninfo = parsed.set(drivername="postgresql", database=admin_db).render_as_string(
            hide_password=False
        )
        try:
            conn = psycopg.connect(conninfo, autocommit=True)
            break
        except psycopg.Error as exc:
            errors.append(f"{admin_db}: {exc}".strip())
    if conn is None:
        raise BenchError("cannot connect to the PostgreSQL server:\n" + "\n".join(errors))

    def drop() -> None:
        statement = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        conn.execute(statement)

    with conn:
        drop()
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            yield parsed.set(database=name).render_as_string(hide_password=False)
        finally:
            drop()


# --------------------------------------------------------------------------
# Results.
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One line of the report."""

    backend: str
    metric: str
    value: str
    target: str
    ok: bool | None  # None: informational, no target


def backend_rows(
    backend: str, pages: int, first: IngestRun, second: IngestRun, jieba: JiebaRun | None
) -> list[Row]:
    """Report rows for one database backend."""
    rate = pages / first.wall_s if first.wall_s else 0.0
    speedup = first.wall_s / second.wall_s if second.wall_s else float("inf")
    peak = max(first.peak_rss_mb, second.peak_rss_mb)
    rows = [
        Row(
            backend,
            "first ingest",
            f"{first.wall_s:.2f} s, {rate:,.0f} articles/s (CPU {first.cpu_s:.2f} s)",
            "",
            None,
        ),
        Row(
            backend,
            "first ingest counts",
            f"new {first.new}, updated {first.updated}, "
            f"unchanged {first.unchanged}, failed {first.failed}",
            f"new = {pages}, failed = 0",
            first.new == pages and first.failed == 0,
        ),
        Row(backend, "second ingest", f"{second.wall_s:.2f} s", "", None),
        Row(
            backend,
            "second ingest speed-up",
            f"{speedup:.1f}x",
            f">= {TARGET_SPEEDUP:.0f}x",
            speedup >= TARGET_SPEEDUP,
        ),
        Row(
            backend,
            "second ingest counts",
            f"new {second.new}, updated {second.updated}, unchanged {second.unchanged}",
            "new = 0, updated = 0",
            second.new == 0 and second.updated == 0,
        ),
        Row(
            backend,
            "peak memory (ingest)",
            f"{peak:.0f} MB",
            f"< {TARGET_PEAK_MB:.0f} MB",
            peak < TARGET_PEAK_MB,
        ),
    ]
    if jieba is not None and jieba.seconds:
        ratio = first.wall_s / jieba.seconds
        rows.append(
            Row(
                backend,
                "first ingest / jieba alone",
                f"{ratio:.2f}",
                f"<= {TARGET_JIEBA_RATIO:.1f}",
                ratio <= TARGET_JIEBA_RATIO,
            )
        )
    return rows


def jieba_rows(jieba: JiebaRun) -> list[Row]:
    return [
        Row("-", "jieba initialisation", f"{jieba.init_s:.2f} s", "", None),
        Row(
            "-",
            "jieba extract_tags alone",
            f"{jieba.seconds:.2f} s, {jieba.rate:,.0f} "
            f"articles/s (peak {jieba.peak_rss_mb:.0f} MB)",
            "",
            None,
        ),
    ]


def machine_line() -> str:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    uname = platform.uname()
    return (
        f"{os.cpu_count()} CPUs, {cpu}, {uname.system} {uname.release} {uname.machine}, "
        f"Python {platform.python_version()}"
    )


def print_table(rows: list[Row], title: str, machine: str) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for column in ("backend", "metric", "value", "target", "result"):
        table.add_column(column)
    for row in rows:
        result = "" if row.ok is None else ("[green]PASS[/]" if row.ok else "[red]FAIL[/]")
        table.add_row(row.backend, row.metric, row.value, row.target, result)
    console = Console()
    if not console.is_terminal:  # piped: do not wrap at the 80-column default
        console = Console(width=120)
    console.print(table)
    console.print(f"machine: {machine}")


# --------------------------------------------------------------------------
# Command line.
# --------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Benchmark `newsbot ingest` on a synthetic seed store.",
        epilog="Targets: second ingest >= 20x faster, peak RSS < 300 MB, "
        "first ingest <= 2x jieba keyword extraction alone.",
    )
    parser.add_argument("--count", type=int, default=10_000, help="pages to generate (10000)")
    parser.add_argument("--seed", type=int, default=0, help="generator seed (0)")
    parser.add_argument("--store", type=Path, help="reuse the pages in DIR, or generate into it")
    parser.add_argument(
        "--encoding-mix", action="store_true", help="generate ~10%% GB18030 and ~5%% CRLF pages"
    )
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="also run against PostgreSQL (postgresql+psycopg://...); "
        f"creates and drops the database {BENCH_DATABASE}",
    )
    parser.add_argument(
        "--skip-ingest", action="store_true", help="only generate the store and time jieba alone"
    )
    parser.add_argument("--skip-jieba", action="store_true", help="do not time jieba alone")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--strict", action="store_true", help="exit 1 if a target is missed")
    parser.add_argument("--jieba-worker", type=Path, help=argparse.SUPPRESS)
    return parser


def _log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def run_benchmark(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """Run every step; return the numbers and the report rows."""
    store, pages, gen_s = prepare_store(
        args.store, workdir, args.count, args.seed, args.encoding_mix, _log
    )
    if gen_s is not None:
        _log(f"generated {pages} pages in {gen_s:.1f} s")
    backends: list[tuple[str, contextlib.AbstractContextManager[str]]] = []
    if not args.skip_ingest:
        backends.append(("sqlite", contextlib.nullcontext(f"sqlite:///{workdir / 'bench.db'}")))
        if args.postgres:
            backends.append(("postgresql", postgres_database(args.postgres)))

    ingests: dict[str, dict[str, IngestRun]] = {}
    for name, database in backends:
        with database as url:
            _log(f"{name}: first ingest ...")
            first = run_ingest(f"{name}: first ingest", store, url)
            _log(f"{name}: first ingest took {first.wall_s:.1f} s; second ingest ...")
            second = run_ingest(f"{name}: second ingest", store, url)
            ingests[name] = {"first": first, "second": second}

    jieba: JiebaRun | None = None
    if not args.skip_jieba:
        _log("jieba keyword extraction alone ...")
        jieba = run_jieba(store)

    rows: list[Row] = []
    for name, runs in ingests.items():
        rows += backend_rows(name, pages, runs["first"], runs["second"], jieba)
    if jieba is not None:
        rows += jieba_rows(jieba)
    return {
        "pages": pages,
        "store": str(store),
        "generation_seconds": gen_s,
        "machine": machine_line(),
        "ingest": {name: {k: asdict(v) for k, v in runs.items()} for name, runs in ingests.items()},
        "jieba": asdict(jieba) | {"articles_per_s": jieba.rate} if jieba else None,
        "rows": [asdict(row) for row in rows],
        "all_pass": all(row.ok is not False for row in rows),
    }


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.jieba_worker is not None:
        return jieba_worker(args.jieba_worker)
    if args.count <= 0:
        _parser().error("--count must be positive")

    workdir = Path(tempfile.mkdtemp(prefix="newsbot-bench-"))
    try:
        results = run_benchmark(args, workdir)
    except BenchError as exc:
        print(f"bench_ingest: error: {exc}", file=sys.stderr)
        return 2
    finally:
        if args.keep:
            _log(f"kept {workdir}")
        else:
            import shutil

            shutil.rmtree(workdir, ignore_errors=True)

    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=2))
    else:
        rows = [Row(**row) for row in results["rows"]]
        print_table(
            rows, f"newsbot ingest benchmark: {results['pages']} articles", results["machine"]
        )
    if args.strict and not results["all_pass"]:
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
