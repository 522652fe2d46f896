"""Issue 9's bar, end to end: the 34 dev pages' HTML served by a local site through an
RSS feed, `newsbot sources add` then `newsbot fetch`, and the stored articles scored
against the truth next to the text-dump parser (``python bench/bench_sources.py``
prints the same table).

The feed gives only links, so the score is the page parse's own: a feed's titles and
dates would otherwise be taken as evidence.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from click.testing import CliRunner
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from newsbot.cli import cli
from newsbot.sources.entries import Entry
from newsbot.sources.feeds import write_rss
from newsbot.store import Store
from tests.test_devpages import CHECKS, DEV_PAGES, FIELDS, evaluate, load_truth

pytestmark = pytest.mark.skipif(
    not (DEV_PAGES / "html").is_dir(), reason="../shared/dev-pages/html is not here"
)


class DevSite:
    """Serves every dev page's HTML bytes as found, and a feed of links, with ETags."""

    def __init__(self, server: HTTPServer) -> None:
        self.server = server
        self.log: list[tuple[str, bool]] = []  # (path, conditional?)
        self.files = {
            f"/html/{t['file'].removesuffix('.txt')}.html": t["file"] for t in load_truth()
        }
        server.expect_request("/robots.txt").respond_with_data("User-agent: *\nAllow: /\n")
        server.expect_request("/rss.xml").respond_with_handler(self.feed)
        for path in self.files:
            server.expect_request(path).respond_with_handler(self.page)

    def _answer(self, request: Request, body: bytes, kind: str) -> Response:
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        conditional = request.headers.get("If-None-Match") is not None
        self.log.append((request.path, conditional))
        if request.headers.get("If-None-Match") == etag:
            return Response(status=304, headers={"ETag": etag})
        return Response(body, headers={"ETag": etag, "Content-Type": kind})

    def feed(self, request: Request) -> Response:
        entries = [Entry(url=self.server.url_for(path)) for path in self.files]
        body = write_rss("dev pages", self.server.url_for("/"), entries)
        return self._answer(request, body, "application/rss+xml")

    def page(self, request: Request) -> Response:
        body = (DEV_PAGES / request.path.lstrip("/")).read_bytes()
        return self._answer(request, body, "text/html")


def test_dev_pages_through_a_feed_beat_the_text_dumps(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    site = DevSite(httpserver)
    config = tmp_path / "config.toml"
    config.write_text(
        f'[database]\nurl = "sqlite:///{tmp_path / "n.db"}"\n'
        f'[seeds]\ndir = "{tmp_path / "seeds"}"\n'
        "[fetch]\nhost_delay_seconds = 0.0\nretries = 0\n",
        encoding="utf-8",
    )
    run = CliRunner()
    added = run.invoke(
        cli,
        [
            "--config",
            str(config),
            "sources",
            "add",
            httpserver.url_for("/rss.xml"),
            "--name",
            "dev",
        ],
    )
    assert added.exit_code == 0, added.output
    assert "rss 'dev pages' with 34 entries" in added.output
    fetched = run.invoke(cli, ["--config", str(config), "fetch", "--progress"])
    assert fetched.exit_code == 0, fetched.output
    assert "dev: 34 entries, 34 new pages" in fetched.output
    assert "34 new" in fetched.output

    store = Store.open(f"sqlite:///{tmp_path / 'n.db'}")
    try:
        stored = {a.url: a for a in store.latest(limit=50).articles}
        assert len(stored) == 34
        html_right = dict.fromkeys(FIELDS, 0)
        for path, file in site.files.items():
            article = stored[httpserver.url_for(path)]  # every link is the page's own URL
            truth = next(t for t in load_truth() if t["file"] == file)
            for field in FIELDS:
                html_right[field] += CHECKS[field](article, truth)
        text_right = {f: sum(r.correct[f] for r in evaluate()) for f in FIELDS}
        assert all(html_right[f] >= text_right[f] for f in FIELDS), (html_right, text_right)
        assert html_right["published"] > text_right["published"]

        # A second round asks the feed conditionally, gets a 304, and stores nothing;
        # robots.txt, fetched an instant ago by another process, is not asked again.
        site.log.clear()
        httpserver.clear_log()
        again = run.invoke(cli, ["--config", str(config), "fetch", "--all", "--no-progress"])
        assert again.exit_code == 0, again.output
        assert "dev: not modified" in again.output
        assert site.log == [("/rss.xml", True)]
        assert [request.path for request, _ in httpserver.log] == ["/rss.xml"]
        assert store.count_articles() == 34
    finally:
        store.close()
