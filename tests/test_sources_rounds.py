"""Fetch rounds end to end: a real local HTTP server, the real fetcher, store and ingest."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from newsbot.config import FetchConfig
from newsbot.errors import SourceError
from newsbot.ingest import ingest
from newsbot.models import SourceSpec
from newsbot.seedstore import read_fetch_record
from newsbot.sources.entries import Entry
from newsbot.sources.feeds import write_rss
from newsbot.sources.manage import add_source
from newsbot.sources.rounds import fetch_round
from newsbot.store import Store

CHINA = timezone(timedelta(hours=8))
FAST = FetchConfig(host_delay_seconds=0.0, retries=0, timeout_seconds=5.0)

PAGES = {
    "/news/2024/0501/a.html": ("城市书房延长开放时间", "市图书馆", "李明", "2024-05-01 09:30"),
    "/news/2024/0502/b.html": ("老旧小区加装电梯提速", "市住建局", "王芳", "2024-05-02 10:15"),
    "/news/2024/0503/c.html": ("夜市经济带动消费回暖", "市商务局", "赵强", "2024-05-03 20:05"),
}


def article_html(title: str, source: str, author: str, when: str) -> str:
    """A news page as small sites print it: navigation, the article, a footer."""
    body = "".join(
        f"<p>{title}的消息。本段是第{n}段，介绍了相关工作的进展和下一步安排，"
        f"有关负责人表示将继续做好服务保障，让市民切实感受到变化。</p>"
        for n in range(1, 5)
    )
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}_示例新闻网</title>"
        f"<meta property='og:title' content='{title}'></head><body>"
        "<div class='nav'><a href='/'>首页</a> <a href='/news/'>本地新闻</a></div>"
        f"<h1>{title}</h1><div class='info'>{when} 来源：{source} 作者：{author}</div>"
        f"<div class='content'>{body}</div><p>责任编辑：周红</p>"
        "<div class='footer'>版权所有 示例新闻网 备案号</div></body></html>"
    )


class Site:
    """A news site on the local server: pages, a feed with an ETag, a request log."""

    def __init__(self, server: HTTPServer) -> None:
        self.server = server
        self.feed_status = 200
        self.paths: list[str] = []
        self.conditional: list[str] = []
        server.expect_request("/robots.txt").respond_with_data("", status=404)
        server.expect_request("/feed.xml").respond_with_handler(self.feed)
        for path, fields in PAGES.items():
            server.expect_request(path).respond_with_handler(self.page(article_html(*fields)))

    def entries(self) -> list[Entry]:
        return [
            Entry(
                url=self.server.url_for(path),
                title=title,
                published=datetime.fromisoformat(when).replace(tzinfo=CHINA),
                summary=f"{title}。",
            )
            for path, (title, _s, _a, when) in PAGES.items()
        ]

    def feed(self, request: Request) -> Response:
        self.paths.append(request.path)
        if self.feed_status != 200:
            return Response("busy", status=self.feed_status)
        body = write_rss("示例新闻网", self.server.url_for("/"), self.entries())
        etag = '"' + hashlib.sha1(body).hexdigest()[:12] + '"'
        if request.headers.get("If-None-Match") == etag:
            self.conditional.append(request.path)
            return Response(status=304, headers={"ETag": etag})
        return Response(body, headers={"ETag": etag, "Content-Type": "application/rss+xml"})

    def page(self, html: str):  # type: ignore[no-untyped-def]
        def handler(request: Request) -> Response:
            self.paths.append(request.path)
            etag = '"' + hashlib.sha1(html.encode()).hexdigest()[:12] + '"'
            if request.headers.get("If-None-Match") == etag:
                self.conditional.append(request.path)
                return Response(status=304, headers={"ETag": etag})
            return Response(
                html, headers={"ETag": etag, "Content-Type": "text/html; charset=utf-8"}
            )

        return handler


@pytest.fixture
def site(httpserver: HTTPServer) -> Site:
    return Site(httpserver)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    opened = Store.open(f"sqlite:///{tmp_path / 'newsbot.db'}")
    yield opened  # type: ignore[misc]
    opened.close()


def _add(store: Store, spec: SourceSpec, config: FetchConfig = FAST) -> None:
    asyncio.run(add_source(store, spec, origin="cli", added_by="test", config=config))


def _round(store: Store, seeds: Path, config: FetchConfig = FAST, now: datetime | None = None):  # type: ignore[no-untyped-def]
    return asyncio.run(fetch_round(store, seeds, config, now=now))


def test_feed_pages_are_fetched_saved_and_ingested_with_their_urls(
    site: Site, store: Store, tmp_path: Path
) -> None:
    seeds = tmp_path / "seeds"
    _add(store, SourceSpec("city", site.server.url_for("/feed.xml"), tags=("本地",)))
    report = _round(store, seeds)
    assert [r.line for r in report.sources] == ["city: 3 entries, 3 new pages"]
    files = sorted(seeds.rglob("*.html"))
    assert len(files) == 3
    record, page = read_fetch_record(files[0].read_bytes())
    assert record is not None and record.source == "city" and page.startswith(b"<!DOCTYPE")

    result = ingest(store, report.paths)
    assert (result.new, result.failed) == (3, 0)
    latest = store.latest(limit=5).articles
    by_title = {a.title: a for a in latest}
    assert set(by_title) == {fields[0] for fields in PAGES.values()}
    article = by_title["老旧小区加装电梯提速"]
    assert article.url == site.server.url_for("/news/2024/0502/b.html")
    assert article.source == "市住建局"
    assert article.author == "王芳"
    assert article.editor == "周红"
    assert article.published == datetime(2024, 5, 2, 10, 15, tzinfo=CHINA)
    assert "本地" in article.tags
    source = store.sources.get("city")
    assert source is not None and source.pages == 3 and source.status == "ok"


def test_a_second_round_asks_only_conditionally_and_stores_nothing(
    site: Site, store: Store, tmp_path: Path
) -> None:
    seeds = tmp_path / "seeds"
    _add(store, SourceSpec("city", site.server.url_for("/feed.xml")))
    _round(store, seeds)
    assert ingest(store, [seeds]).new == 3
    before = {p: p.read_bytes() for p in seeds.rglob("*") if p.is_file()}
    site.paths.clear()
    later = datetime.now(UTC) + timedelta(hours=1)
    report = _round(store, seeds, now=later)
    assert [r.line for r in report.sources] == ["city: not modified"]
    assert site.paths == ["/feed.xml"] and site.conditional == ["/feed.xml"]
    assert {p: p.read_bytes() for p in seeds.rglob("*") if p.is_file()} == before
    again = ingest(store, [seeds])
    assert (again.new, again.skipped) == (0, 3)


def test_a_source_not_yet_due_is_left_alone(site: Site, store: Store, tmp_path: Path) -> None:
    _add(store, SourceSpec("city", site.server.url_for("/feed.xml"), interval_minutes=30))
    _round(store, tmp_path / "seeds")
    site.paths.clear()
    assert _round(store, tmp_path / "seeds").sources == []
    assert site.paths == []


def test_feed_only_items_become_articles_without_fetching_pages(
    site: Site, store: Store, tmp_path: Path
) -> None:
    seeds = tmp_path / "seeds"
    _add(store, SourceSpec("items", site.server.url_for("/feed.xml"), full_page=False))
    site.paths.clear()
    report = _round(store, seeds)
    assert site.paths == ["/feed.xml"]
    assert report.sources[0].stored == 3
    assert ingest(store, report.paths).new == 3
    article = store.latest(limit=1).articles[0]
    assert article.title == "夜市经济带动消费回暖"
    assert article.source == "示例新闻网"
    assert article.url == site.server.url_for("/news/2024/0503/c.html")


def test_a_failing_source_is_paused_then_resumes_and_nothing_is_lost(
    site: Site, store: Store, tmp_path: Path
) -> None:
    seeds = tmp_path / "seeds"
    config = FetchConfig(host_delay_seconds=0.0, retries=0, pause_after_failures=2)
    _add(store, SourceSpec("city", site.server.url_for("/feed.xml")), config)
    _round(store, seeds, config)
    ingest(store, [seeds])
    site.feed_status = 500
    now = datetime.now(UTC)
    first = _round(store, seeds, config, now=now + timedelta(hours=1))
    assert first.sources[0].line == "city: failed: HTTP 500" or first.sources[0].line.startswith(
        "city: failed: HTTP 500"
    )
    second = _round(store, seeds, config, now=now + timedelta(hours=2))
    assert second.sources[0].paused
    source = store.sources.get("city")
    assert source is not None and source.status == "paused"
    assert source.paused_reason is not None and "HTTP 500" in source.paused_reason
    # A paused source waits paused_retry_hours, not its interval.
    assert _round(store, seeds, config, now=now + timedelta(hours=3)).sources == []
    site.feed_status = 200
    back = _round(store, seeds, config, now=now + timedelta(hours=9))
    assert back.sources[0].ok
    resumed = store.sources.get("city")
    assert resumed is not None and resumed.status == "ok" and resumed.failures == 0
    assert store.count_articles() == 3


def test_a_gone_page_is_reported_and_not_asked_again(
    site: Site, store: Store, tmp_path: Path, httpserver: HTTPServer
) -> None:
    extra = [*site.entries(), Entry(url=httpserver.url_for("/news/gone.html"), title="已删除")]
    httpserver.expect_request("/feed2.xml").respond_with_data(
        write_rss("示例", httpserver.url_for("/"), extra), content_type="application/rss+xml"
    )
    httpserver.expect_request("/news/gone.html").respond_with_data("gone", status=404)
    _add(store, SourceSpec("two", httpserver.url_for("/feed2.xml")))
    report = _round(store, tmp_path / "seeds")
    assert report.sources[0].line == "two: 4 entries, 3 new pages, 1 failed (HTTP 404)"
    again = _round(store, tmp_path / "seeds", now=datetime.now(UTC) + timedelta(hours=1))
    assert again.sources[0].failed == 0 and again.sources[0].stored == 0


def test_adding_a_web_page_that_names_its_feed_takes_the_feed(
    site: Site, store: Store, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/").respond_with_data(
        "<html><head><link rel='alternate' type='application/rss+xml' href='/feed.xml'>"
        "</head><body>首页</body></html>",
        content_type="text/html",
    )
    added = asyncio.run(
        add_source(
            store,
            SourceSpec("home", httpserver.url_for("/")),
            origin="cli",
            added_by="t",
            config=FAST,
        )
    )
    assert added.note == f"the page names its feed: using {httpserver.url_for('/feed.xml')}"
    assert added.source.spec.url == httpserver.url_for("/feed.xml")
    assert added.source.spec.kind == "feed"


def test_adding_what_cannot_be_read_is_refused_with_a_reason(
    store: Store, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    httpserver.expect_request("/plain").respond_with_data("<html><body>hi</body></html>")
    httpserver.expect_request("/down").respond_with_data("", status=503)
    for path, reason in (("/plain", "HTML page without feed links"), ("/down", "HTTP 503")):
        with pytest.raises(SourceError, match=reason):
            _add(store, SourceSpec("x", httpserver.url_for(path)))
    assert store.sources.all() == []


def test_list_page_source_follows_matching_links(
    site: Site, store: Store, tmp_path: Path, httpserver: HTTPServer
) -> None:
    links = "".join(f"<li><a href='{path}'>{f[0]}</a></li>" for path, f in PAGES.items())
    httpserver.expect_request("/news/").respond_with_data(
        f"<html><body><a href='/about.html'>关于</a><ul>{links}</ul></body></html>",
        content_type="text/html; charset=utf-8",
    )
    _add(
        store,
        SourceSpec("list", httpserver.url_for("/news/"), kind="list", pattern="/news/2024/"),
    )
    report = _round(store, tmp_path / "seeds")
    assert report.sources[0].line == "list: 3 entries, 3 new pages"
    assert ingest(store, report.paths).new == 3


def test_sitemap_source(site: Site, store: Store, tmp_path: Path, httpserver: HTTPServer) -> None:
    urls = "".join(
        f"<url><loc>{httpserver.url_for(path)}</loc><lastmod>{f[3][:10]}</lastmod></url>"
        for path, f in PAGES.items()
    )
    httpserver.expect_request("/sitemap.xml").respond_with_data(
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"{urls}</urlset>",
        content_type="application/xml",
    )
    _add(store, SourceSpec("map", httpserver.url_for("/sitemap.xml"), kind="sitemap"))
    report = _round(store, tmp_path / "seeds")
    assert report.sources[0].stored == 3


def test_config_sources_are_synced_and_guarded(store: Store) -> None:
    now = datetime.now(UTC)
    spec = SourceSpec("conf", "https://news.example.org/rss")
    store.sources.sync_config([spec], now)
    assert [s.name for s in store.sources.all()] == ["conf"]
    with pytest.raises(SourceError, match="config file"):
        store.sources.remove("conf")
    store.sources.sync_config([SourceSpec("conf", "https://news.example.org/atom")], now)
    assert store.sources.get("conf").spec.url.endswith("/atom")  # type: ignore[union-attr]
    store.sources.sync_config([], now)
    assert store.sources.all() == []
    store.sources.add(
        SourceSpec("mine", "https://a.example/rss"), origin="cli", added_by="t", now=now
    )
    with pytest.raises(SourceError, match="taken"):
        store.sources.sync_config([SourceSpec("mine", "https://b.example/rss")], now)


def test_source_ids_are_not_reused(store: Store) -> None:
    now = datetime.now(UTC)
    first = store.sources.add(
        SourceSpec("a", "https://a.example/rss"), origin="cli", added_by="t", now=now
    )
    second = store.sources.add(
        SourceSpec("b", "https://b.example/rss"), origin="cli", added_by="t", now=now
    )
    store.sources.remove("b")
    third = store.sources.add(
        SourceSpec("c", "https://c.example/rss"), origin="cli", added_by="t", now=now
    )
    assert first.id < second.id < third.id
