"""The fetcher against real HTTP servers on loopback (127.0.0.1 and 127.0.0.2), and robots.txt.

Every server is started here; nothing leaves the machine. Delays and timeouts are
small except in the one test that checks a 1 s per-host delay.
"""

from __future__ import annotations

import asyncio
import gzip
import itertools
import logging
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from newsbot.errors import FetchError
from newsbot.sources import fetch
from newsbot.sources.fetch import Fetcher, FetchPolicy, Validators
from newsbot.sources.robots import Robots, parse_robots, product_token

FAST = FetchPolicy(host_delay=0.0, retries=2, backoff=0.01, timeout=2.0)
ANY_PATH = re.compile("^/.*")


def _server(host: str) -> Iterator[HTTPServer]:
    server = HTTPServer(host=host, port=0, threaded=True)
    server.start()
    yield server
    server.clear()
    server.stop()


@pytest.fixture(scope="module")
def _server_a() -> Iterator[HTTPServer]:
    yield from _server("127.0.0.1")


@pytest.fixture(scope="module")
def _server_b() -> Iterator[HTTPServer]:
    yield from _server("127.0.0.2")


def _fresh(server: HTTPServer) -> HTTPServer:
    server.clear()
    server.no_handler_status_code = 404  # so robots.txt is missing unless a test serves one
    return server


@pytest.fixture
def server(_server_a: HTTPServer) -> HTTPServer:
    """A local server on 127.0.0.1 with no handlers; unknown paths are 404."""
    return _fresh(_server_a)


@pytest.fixture
def server_b(_server_b: HTTPServer) -> HTTPServer:
    """A second local server, on 127.0.0.2: another host name for politeness."""
    return _fresh(_server_b)


def _paths(server: HTTPServer) -> list[str]:
    return [request.path for request, _ in server.log]


def _counting(responses: list[Response]) -> Callable[[Request], Response]:
    """A handler answering with ``responses`` in turn (the last one repeats)."""
    calls = iter(range(10_000))

    def handler(request: Request) -> Response:
        return responses[min(next(calls), len(responses) - 1)]

    return handler


# -- conditional GET ----------------------------------------------------------------------


async def test_200_with_validators_then_304_on_conditional_get(server: HTTPServer) -> None:
    modified = "Wed, 21 Oct 2026 07:28:00 GMT"

    def handler(request: Request) -> Response:
        if request.headers.get("If-None-Match") == '"v1"':
            return Response(status=304, headers={"ETag": '"v1"'})
        return Response(
            "<p>新闻</p>".encode(),
            headers={"ETag": '"v1"', "Last-Modified": modified},
            content_type="text/html; charset=utf-8",
        )

    server.expect_request("/page").respond_with_handler(handler)
    url = server.url_for("/page")
    async with Fetcher(FAST) as fetcher:
        first = await fetcher.get(url)
        second = await fetcher.get(url, first.validators)

    assert (first.status, first.not_modified, first.body) == (200, False, "<p>新闻</p>".encode())
    assert first.validators == Validators(etag='"v1"', last_modified=modified)
    assert (first.url, first.final_url) == (url, url)
    assert first.fetched_at.utcoffset() is not None
    assert (second.status, second.not_modified, second.body) == (304, True, b"")
    assert second.validators == first.validators
    sent = server.log[-1][0].headers
    assert sent["If-None-Match"] == '"v1"'
    assert sent["If-Modified-Since"] == modified
    assert sent["User-Agent"].startswith("newsbot/")


# -- retries ------------------------------------------------------------------------------


async def test_500_is_retried_then_fails_with_one_line(
    server: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger=fetch.__name__)
    server.expect_request("/broken").respond_with_data("oops", status=500)
    async with Fetcher(FAST) as fetcher:
        with pytest.raises(FetchError) as caught:
            await fetcher.get(server.url_for("/broken"))

    assert caught.value.kind == "status"
    assert caught.value.status == 500
    assert str(caught.value) == "HTTP 500 after 3 tries"
    assert _paths(server).count("/broken") == 3
    failures = [r for r in caplog.records if r.levelno == logging.INFO and r.name == fetch.__name__]
    assert [r.getMessage() for r in failures] == [
        f"GET {server.url_for('/broken')} failed (status): HTTP 500 after 3 tries"
    ]


async def test_500_then_200_recovers(server: HTTPServer) -> None:
    server.expect_request("/flaky").respond_with_handler(
        _counting([Response("down", status=503), Response("up")])
    )
    async with Fetcher(FAST) as fetcher:
        fetched = await fetcher.get(server.url_for("/flaky"))

    assert (fetched.status, fetched.body) == (200, b"up")
    assert _paths(server).count("/flaky") == 2


async def test_404_is_not_retried(server: HTTPServer) -> None:
    async with Fetcher(FAST) as fetcher:
        with pytest.raises(FetchError) as caught:
            await fetcher.get(server.url_for("/gone"))

    assert (caught.value.kind, str(caught.value)) == ("status", "HTTP 404")
    assert _paths(server).count("/gone") == 1


async def test_429_honours_a_short_retry_after_and_gives_up_on_a_long_one(
    server: HTTPServer,
) -> None:
    server.expect_request("/busy").respond_with_handler(
        _counting([Response("slow down", status=429, headers={"Retry-After": "0"}), Response("ok")])
    )
    server.expect_request("/closed").respond_with_data(
        "come back tomorrow", status=429, headers={"Retry-After": "86400"}
    )
    async with Fetcher(FAST) as fetcher:
        assert (await fetcher.get(server.url_for("/busy"))).body == b"ok"
        with pytest.raises(FetchError) as caught:
            await fetcher.get(server.url_for("/closed"))

    assert str(caught.value) == "HTTP 429, Retry-After 86400 s"
    assert _paths(server).count("/closed") == 1


async def test_a_slow_server_times_out(server: HTTPServer) -> None:
    release = threading.Event()

    def sleepy(request: Request) -> Response:
        release.wait(2.0)
        return Response("late")

    server.expect_request("/slow").respond_with_handler(sleepy)
    policy = FetchPolicy(host_delay=0.0, retries=1, backoff=0.01, timeout=0.2)
    try:
        async with Fetcher(policy) as fetcher:
            with pytest.raises(FetchError) as caught:
                await fetcher.get(server.url_for("/slow"))
    finally:
        release.set()

    assert caught.value.kind == "timeout"
    assert str(caught.value) == "timed out after 0.2 s (2 tries)"


async def test_a_trickling_server_is_cut_off_at_the_deadline(server: HTTPServer) -> None:
    def trickle(request: Request) -> Response:
        def chunks() -> Iterator[bytes]:
            for _ in range(40):
                time.sleep(0.05)
                yield b"."

        return Response(chunks(), direct_passthrough=True)

    server.expect_request("/drip").respond_with_handler(trickle)
    policy = FetchPolicy(host_delay=0.0, retries=0, timeout=1.0, deadline=0.3)
    async with Fetcher(policy) as fetcher:
        with pytest.raises(FetchError) as caught:
            await fetcher.get(server.url_for("/drip"))

    assert (caught.value.kind, str(caught.value)) == ("timeout", "not done within 0.3 s")


async def test_a_refused_connection_is_a_network_error() -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    policy = FetchPolicy(host_delay=0.0, retries=1, backoff=0.01, obey_robots=False)
    async with Fetcher(policy) as fetcher:
        with pytest.raises(FetchError) as caught:
            await fetcher.get(f"http://127.0.0.1:{port}/")

    assert caught.value.kind == "network"
    assert str(caught.value).startswith("network error (ConnectError")
    assert str(caught.value).endswith("(2 tries)")
    assert "\n" not in str(caught.value)


# -- redirects ----------------------------------------------------------------------------


async def test_relative_and_absolute_redirects_are_followed(server: HTTPServer) -> None:
    final = server.url_for("/news/final")
    server.expect_request("/start").respond_with_data("", 301, {"Location": "/news/a#top"})
    server.expect_request("/news/a").respond_with_data("", 302, {"Location": "b?x=1"})
    server.expect_request("/news/b").respond_with_data("", 307, {"Location": final})
    server.expect_request("/news/final").respond_with_data("arrived")
    async with Fetcher(FAST) as fetcher:
        fetched = await fetcher.get(server.url_for("/start"))

    assert fetched.body == b"arrived"
    assert fetched.url == server.url_for("/start")
    assert fetched.final_url == final
    assert [(r.path, r.query_string) for r, _ in server.log][1:] == [
        ("/start", b""),
        ("/news/a", b""),
        ("/news/b", b"x=1"),
        ("/news/final", b""),
    ]


async def test_a_redirect_loop_and_too_many_redirects_are_refused(server: HTTPServer) -> None:
    server.expect_request("/x").respond_with_data("", 302, {"Location": "/y"})
    server.expect_request("/y").respond_with_data("", 302, {"Location": "/x"})
    for n in range(6):
        server.expect_request(f"/r{n}").respond_with_data("", 302, {"Location": f"/r{n + 1}"})
    async with Fetcher(FetchPolicy(host_delay=0.0, max_redirects=3)) as fetcher:
        with pytest.raises(FetchError) as loop:
            await fetcher.get(server.url_for("/x"))
        with pytest.raises(FetchError) as chain:
            await fetcher.get(server.url_for("/r0"))

    assert (loop.value.kind, str(loop.value)) == ("redirects", "redirect loop")
    assert (chain.value.kind, str(chain.value)) == ("redirects", "more than 3 redirects")
    assert _paths(server).count("/x") == 1
    assert "/r4" not in _paths(server)


async def test_only_http_and_https_are_fetched(server: HTTPServer) -> None:
    server.expect_request("/ftp").respond_with_data("", 302, {"Location": "ftp://example.org/"})
    async with Fetcher(FAST) as fetcher:
        with pytest.raises(FetchError) as redirected:
            await fetcher.get(server.url_for("/ftp"))
        with pytest.raises(FetchError) as direct:
            await fetcher.get("file:///etc/passwd")
        with pytest.raises(FetchError) as relative:
            await fetcher.get("news/1.html")

    assert redirected.value.kind == direct.value.kind == "not_allowed"
    assert str(redirected.value) == "redirect to ftp: not allowed (http/https only)"
    assert str(direct.value) == "URL scheme file: not allowed (http/https only)"
    assert str(relative.value) == "not an absolute URL: 'news/1.html'"


# -- size cap -----------------------------------------------------------------------------

FIFTY_MB = 50_000_000


def _huge(sent: list[int], *, declared: bool) -> Callable[[Request], Response]:
    """A 50 MB streamed response that counts the bytes it managed to hand to the socket."""

    def handler(request: Request) -> Response:
        def chunks() -> Iterator[bytes]:
            block = b"x" * 65_536
            while sent[0] < FIFTY_MB:
                yield block
                sent[0] += len(block)

        headers = {"Content-Length": str(FIFTY_MB)} if declared else {}
        return Response(chunks(), headers=headers, direct_passthrough=True)

    return handler


@pytest.mark.parametrize("declared", [False, True], ids=["streamed", "content-length"])
async def test_a_50_mb_response_is_refused_without_reading_it(
    server: HTTPServer, declared: bool
) -> None:
    sent = [0]
    server.expect_request("/huge").respond_with_handler(_huge(sent, declared=declared))
    async with Fetcher(FAST) as fetcher:
        with pytest.raises(FetchError) as caught:
            await fetcher.get(server.url_for("/huge"))

    assert (caught.value.kind, str(caught.value)) == ("too_large", "response over 10 MB")
    assert _paths(server).count("/huge") == 1  # a size refusal is not retried
    time.sleep(0.2)  # let the server notice the closed connection
    # What was read (10 MB, or nothing when declared) plus what loopback socket buffers
    # hold (a few MB each side), far from the 50 MB offered.
    assert sent[0] < (12_000_000 if declared else 25_000_000)


# -- robots.txt ---------------------------------------------------------------------------

ROBOTS = """\
User-agent: *
Disallow: /

# newsbot may read the news, not the drafts
User-agent: newsbot
Allow: /
Disallow: /drafts/
"""


async def test_robots_txt_refuses_and_is_fetched_once(server: HTTPServer) -> None:
    server.expect_request("/robots.txt").respond_with_data(ROBOTS, content_type="text/plain")
    server.expect_request(ANY_PATH).respond_with_data("page")
    async with Fetcher(FAST) as fetcher:
        with pytest.raises(FetchError) as caught:
            await fetcher.get(server.url_for("/drafts/1.html"))
        pages = await asyncio.gather(*(fetcher.get(server.url_for(f"/n/{i}")) for i in range(5)))

    assert (caught.value.kind, str(caught.value)) == ("robots", "refused by robots.txt")
    assert [p.body for p in pages] == [b"page"] * 5
    assert _paths(server).count("/robots.txt") == 1
    assert "/drafts/1.html" not in _paths(server)


async def test_missing_robots_txt_allows_and_broken_one_refuses(
    server: HTTPServer, server_b: HTTPServer
) -> None:
    server.expect_request("/page").respond_with_data("fine")  # robots.txt: 404
    server_b.expect_request("/robots.txt").respond_with_data("", status=500)
    server_b.expect_request("/page").respond_with_data("never asked")
    async with Fetcher(FAST) as fetcher:
        assert (await fetcher.get(server.url_for("/page"))).body == b"fine"
        with pytest.raises(FetchError) as caught:
            await fetcher.get(server_b.url_for("/page"))

    assert caught.value.kind == "robots"
    assert str(caught.value) == "robots.txt unreachable (HTTP 500 after 3 tries)"
    assert _paths(server_b) == ["/robots.txt"] * 3


async def test_a_redirected_robots_txt_is_followed_and_its_crawl_delay_kept(
    server: HTTPServer,
) -> None:
    stamps: list[float] = []
    server.expect_request("/robots.txt").respond_with_data("", 301, {"Location": "/r.txt"})
    server.expect_request("/r.txt").respond_with_data(
        "User-agent: *\nDisallow: /private\nCrawl-delay: 0.3\n"
    )
    server.expect_request(ANY_PATH).respond_with_handler(_stamping(stamps))
    async with Fetcher(FAST) as fetcher:  # host_delay 0: the robots.txt delay rules
        with pytest.raises(FetchError):
            await fetcher.get(server.url_for("/private/1"))
        await asyncio.gather(*(fetcher.get(server.url_for(f"/p{i}")) for i in range(3)))

    assert min(b - a for a, b in itertools.pairwise(stamps)) >= 0.3
    assert _paths(server)[:2] == ["/robots.txt", "/r.txt"]


def test_robots_rules_follow_rfc_9309() -> None:
    text = """\
User-agent: other
Disallow: /

User-agent: NewsBot/2.0
User-agent: crawler
Disallow: /news/*.pdf$
Disallow: /search
Allow: /search/about
Disallow: /tie
Allow: /tie
Disallow: /中文/
Crawl-delay: 2.5
Sitemap: https://example.org/sitemap.xml
"""
    robots = parse_robots(text, "newsbot/0.1.0 (news-digest bot)")
    assert product_token("newsbot/0.1.0 (x)") == "newsbot"
    assert robots.allowed("/news/a.html")
    assert not robots.allowed("/news/2026/a.pdf")
    assert robots.allowed("/news/a.pdf?page=2")  # $ anchors the end
    assert not robots.allowed("/search?q=x")
    assert robots.allowed("/search/about")  # the longest match wins
    assert robots.allowed("/tie")  # allow wins a tie
    assert not robots.allowed("/%E4%B8%AD%E6%96%87/page")  # percent-encoded UTF-8
    assert robots.allowed("/robots.txt")
    assert robots.crawl_delay == 2.5
    assert robots.sitemaps == ("https://example.org/sitemap.xml",)
    assert parse_robots(text, "someone-else").allowed("/anything")  # no group, no '*'
    assert not Robots.disallow_all().allowed("/x")
    assert Robots.allow_all().allowed("/x")


# -- politeness ---------------------------------------------------------------------------


def _stamping(stamps: list[float]) -> Callable[[Request], Response]:
    def handler(request: Request) -> Response:
        stamps.append(time.monotonic())
        if request.path == "/robots.txt":
            return Response("", status=404)
        return Response("ok")

    return handler


async def test_one_host_waits_the_delay_while_two_hosts_go_in_parallel(
    server: HTTPServer, server_b: HTTPServer
) -> None:
    stamps_a: list[float] = []
    stamps_b: list[float] = []
    server.expect_request(ANY_PATH).respond_with_handler(_stamping(stamps_a))
    server_b.expect_request(ANY_PATH).respond_with_handler(_stamping(stamps_b))
    urls = [s.url_for(f"/p{i}") for i in range(2) for s in (server, server_b)]
    started = time.monotonic()
    async with Fetcher(FetchPolicy(host_delay=1.0, retries=0)) as fetcher:
        pages = await asyncio.gather(*(fetcher.get(url) for url in urls))
    elapsed = time.monotonic() - started

    assert [p.body for p in pages] == [b"ok"] * 4
    for stamps in (stamps_a, stamps_b):  # robots.txt and two pages per host
        assert len(stamps) == 3
        assert min(b - a for a, b in itertools.pairwise(stamps)) >= 1.0
    assert abs(stamps_a[0] - stamps_b[0]) < 0.5  # the hosts did not wait for each other
    assert elapsed < 3.5  # one host after the other would take over 5 s


async def test_many_concurrent_gets_to_one_host_are_safe(server: HTTPServer) -> None:
    server.expect_request(ANY_PATH).respond_with_handler(lambda r: Response(r.path))
    async with Fetcher(FAST) as fetcher:
        pages = await asyncio.gather(*(fetcher.get(server.url_for(f"/n/{i}")) for i in range(40)))

    assert [p.body for p in pages] == [f"/n/{i}".encode() for i in range(40)]
    assert _paths(server).count("/robots.txt") == 1


# -- bodies and charsets ------------------------------------------------------------------


async def test_charset_is_reported_and_a_gbk_body_is_returned_untouched(
    server: HTTPServer,
) -> None:
    body = "<html><body>广州高新区营商环境新闻</body></html>".encode("gbk")
    server.expect_request("/gbk").respond_with_data(body, content_type="text/html; charset=GBK")
    server.expect_request("/plain").respond_with_data(b"{}", content_type="application/json")
    async with Fetcher(FAST) as fetcher:
        gbk = await fetcher.get(server.url_for("/gbk"), accept="text/html")
        plain = await fetcher.get(server.url_for("/plain"))

    assert (gbk.content_type, gbk.charset, gbk.body) == ("text/html", "gbk", body)
    assert server.log[-2][0].headers["Accept"] == "text/html"
    assert (plain.content_type, plain.charset) == ("application/json", None)


async def test_gzip_content_encoding_is_undone(server: HTTPServer) -> None:
    text = "新闻 " * 1000
    server.expect_request("/gz").respond_with_data(
        gzip.compress(text.encode()), headers={"Content-Encoding": "gzip"}
    )
    async with Fetcher(FAST) as fetcher:
        fetched = await fetcher.get(server.url_for("/gz"))

    assert fetched.body.decode() == text
