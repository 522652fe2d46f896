"""newsbot.sources.feeds: what a feed, sitemap or list page says, from bytes alone."""

from __future__ import annotations

import contextlib
import gzip
import json
import random
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from newsbot.errors import BadIndexError, NewsbotError
from newsbot.sources.entries import MAX_GUNZIPPED_BYTES, Entry, Index
from newsbot.sources.feeds import parse_date, read_feed, write_rss
from newsbot.sources.index import read_index, sniff
from newsbot.sources.pages import discover_feeds, link_pattern, read_list_page
from newsbot.sources.sitemaps import read_sitemap

FIXTURES = Path(__file__).parent / "fixtures" / "feeds"
CN = timezone(timedelta(hours=8))


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


# --------------------------------------------------------------------------- sniff


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("rss2_gbk.xml", "rss"),
        ("rss1_rdf.xml", "rss"),
        ("atom_xmlbase.xml", "atom"),
        ("jsonfeed_1_1.json", "json"),
        ("sitemap.xml", "sitemap"),
        ("sitemap.xml.gz", "sitemap"),
        ("news_sitemap.xml", "sitemap"),
        ("sitemap_index.xml", "sitemapindex"),
        ("list_page_gbk.html", "html"),
        ("html_with_feeds.html", "html"),
        ("bomb_rss.xml", "rss"),
    ],
)
def test_sniff_reads_the_content(name: str, kind: str) -> None:
    # A misleading type does not override what the content plainly is.
    assert sniff(fixture(name), "text/plain") == kind


def test_sniff_falls_back_to_the_content_type() -> None:
    assert sniff(b"<?xml version='1.0'?><unknown/>", "application/atom+xml") == "atom"
    assert sniff(b"  <div>hi</div>", None) == "html"


def test_sniff_refuses_garbage() -> None:
    with pytest.raises(BadIndexError, match="not a feed"):
        sniff(fixture("garbage.bin"), None)


# --------------------------------------------------------------------------- RSS 2.0, GBK


def test_rss2_with_gb2312_declaration_and_gbk_characters() -> None:
    index = read_feed(fixture("rss2_gbk.xml"), "http://news.example.cn/rss.xml")
    assert index.kind == "rss"
    assert index.title == "高新区新闻 · 镕"  # 镕 is GBK, not GB2312
    first = index.entries[0]
    assert first == Entry(
        url="http://news.example.cn/2024/05/06/a1.html",  # relative, fragment dropped
        title="高新区优化营商环境 & 服务企业",
        published=datetime(2024, 5, 6, 10, 20, tzinfo=CN),
        summary="摘要：高新区出台新举措。 第二段 内容",
        author="张三",
        tags=("营商环境", "高新区"),
        content_html="<p>全文：高新区出台新举措，镕铁企业受益。</p>",
    )
    assert first.published is not None and first.published.utcoffset() == timedelta(hours=8)


def test_rss2_dates_without_zone_stay_naive_and_chinese_cst_is_utc8() -> None:
    entries = read_feed(fixture("rss2_gbk.xml"), "http://news.example.cn/rss.xml").entries
    assert entries[1].published == datetime(2024, 5, 6, 10, 20)
    assert entries[1].published.tzinfo is None
    assert entries[2].published == datetime(2024, 5, 6, 9, 0, tzinfo=CN)


def test_rss2_items_without_a_web_link_are_skipped_and_counted() -> None:
    index = read_feed(fixture("rss2_gbk.xml"), "http://news.example.cn/rss.xml")
    assert len(index.entries) == 3
    assert index.skipped == 2  # no link; a mailto: link


def test_gbk_bytes_declared_as_utf8_are_still_read() -> None:
    body = fixture("rss2_gbk.xml").decode("gbk").replace('encoding="gb2312"', 'encoding="utf-8"')
    index = read_feed(body.encode("gbk"), "http://news.example.cn/rss.xml")
    assert index.title == "高新区新闻 · 镕"


def test_gbk_feed_without_declaration_uses_the_header_charset() -> None:
    text = fixture("rss2_gbk.xml").decode("gbk")
    body = text.replace('<?xml version="1.0" encoding="gb2312"?>\n', "").encode("gbk")
    index = read_feed(body, "http://news.example.cn/rss.xml", "text/xml; charset=GB2312")
    assert index.entries[0].title == "高新区优化营商环境 & 服务企业"


def test_utf8_feed_labelled_gb2312_is_read_as_utf8() -> None:
    body = fixture("rss2_gbk.xml").decode("gbk").encode("utf-8")
    index = read_feed(body, "http://news.example.cn/rss.xml")
    assert index.title == "高新区新闻 · 镕"


def test_utf16_feed_is_not_mistaken_for_gbk() -> None:
    text = fixture("empty_rss.xml").decode().replace("Nothing yet", "还没有")
    text = text.replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="utf-16"?>')
    body = text.encode("utf-16")
    assert sniff(body, None) == "rss"
    assert read_feed(body, "http://empty.example.com/rss").title == "还没有"


# --------------------------------------------------------------------------- Atom, RDF, JSON


def test_atom_resolves_relative_links_against_xml_base() -> None:
    index = read_feed(fixture("atom_xmlbase.xml"), "https://blog.example.org/feed.atom")
    assert index.kind == "atom"
    assert index.title == "Example Blog"
    first, second = index.entries
    assert first.url == "https://blog.example.org/news/posts/first.html"
    assert second.url == "https://blog.example.org/second.html"
    assert first.published == datetime(2024, 5, 6, 10, 20, tzinfo=CN)  # published, not updated
    assert first.summary == "Short & sweet"
    assert first.content_html == "<p>The full <em>text</em>.</p>"
    assert first.author == "Li Si"
    assert first.tags == ("tech", "政务")
    assert second.published == datetime(2024, 5, 5, tzinfo=UTC)  # updated when no published


def test_rss1_rdf() -> None:
    index = read_feed(fixture("rss1_rdf.xml"), "http://rdf.example.net/index.rdf")
    assert index.kind == "rss"
    assert [e.url for e in index.entries] == [
        "http://rdf.example.net/one",
        "http://rdf.example.net/two",
    ]
    one = index.entries[0]
    assert (one.title, one.author, one.tags, one.summary) == (
        "One",
        "Zhao Liu",
        ("science",),
        "First item",
    )
    assert one.published == datetime(2024, 5, 6, 10, 20, tzinfo=CN)


def test_json_feed_1_1() -> None:
    index = read_feed(fixture("jsonfeed_1_1.json"), "https://json.example.com/feed.json")
    assert (index.kind, index.title, index.skipped) == ("json", "JSON 新闻", 1)
    first, second = index.entries
    assert first == Entry(
        url="https://json.example.com/a/1.html",
        title="第一条",
        published=datetime(2024, 5, 6, 10, 20, tzinfo=CN),
        summary="摘要 & 更多",
        author="王五",
        tags=("经济", "民生"),
        content_html="<p>全文 <b>HTML</b></p>",
    )
    assert second.url == "https://json.example.com/a/2.html"
    assert second.author == "编辑部"  # the feed's authors when the item has none
    assert second.published == datetime(2024, 5, 5, 1, 2, 3, tzinfo=UTC)
    assert second.content_html == "<p>第一段</p><p>第二段 &lt;不是标签&gt;</p>"


def test_json_feed_1_0_author_and_errors() -> None:
    doc = {
        "version": "https://jsonfeed.org/version/1",
        "title": "Old",
        "author": {"name": "Solo"},
        "items": [{"id": "1", "url": "https://a.example/1", "title": "x"}],
    }
    index = read_feed(json.dumps(doc).encode(), "https://a.example/feed.json")
    assert index.entries[0].author == "Solo"
    with pytest.raises(BadIndexError, match="JSON error at line 1"):
        read_feed(b'{"version": ', "https://a.example/feed.json")
    with pytest.raises(BadIndexError, match="without a JSON Feed version"):
        read_feed(b'{"items": []}', "https://a.example/feed.json")


# --------------------------------------------------------------------------- broken feeds


def test_empty_feed_is_an_empty_index() -> None:
    index = read_feed(fixture("empty_rss.xml"), "http://empty.example.com/rss")
    assert index == Index("rss", "Nothing yet", ())


def test_malformed_feed_with_entries_is_accepted() -> None:
    index = read_feed(fixture("broken_rss.xml"), "http://broken.example.com/rss")
    assert [e.title for e in index.entries] == ["Kept & loose", "Second"]


def test_malformed_feed_without_entries_names_the_line() -> None:
    with pytest.raises(BadIndexError, match=r"^XML error at line 3: "):
        read_feed(fixture("not_xml.xml"), "http://broken.example.com/rss")


def test_garbage_and_html_are_not_feeds() -> None:
    with pytest.raises(BadIndexError):
        read_feed(fixture("garbage.bin"), "http://g.example.com/")
    with pytest.raises(BadIndexError, match="not a feed: an HTML page"):
        read_feed(fixture("html_with_feeds.html"), "https://www.example.com/")
    with pytest.raises(BadIndexError):
        read_index(fixture("garbage.bin"), "http://g.example.com/")
    assert issubclass(BadIndexError, NewsbotError)


def test_billion_laughs_does_not_expand() -> None:
    started = time.monotonic()
    index = read_feed(fixture("bomb_rss.xml"), "http://bomb.example.com/rss")
    assert time.monotonic() - started < 5
    (entry,) = index.entries
    assert len(entry.title or "") < 100 and len(entry.summary or "") < 100
    assert len(index.title or "") < 100
    with pytest.raises(BadIndexError, match="XML error"):
        read_sitemap(fixture("bomb_sitemap.xml"), "http://bomb.example.com/sitemap.xml")


# --------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mon, 06 May 2024 10:20:00 +0800", datetime(2024, 5, 6, 10, 20, tzinfo=CN)),
        ("Mon, 06 May 2024 02:20:00 GMT", datetime(2024, 5, 6, 2, 20, tzinfo=UTC)),
        ("2024-05-06T10:20:00+08:00", datetime(2024, 5, 6, 10, 20, tzinfo=CN)),
        ("2024-05-06T02:20:00Z", datetime(2024, 5, 6, 2, 20, tzinfo=UTC)),
        ("2024-05-06 10:20:00", datetime(2024, 5, 6, 10, 20)),
        ("2024/5/6 10:20", datetime(2024, 5, 6, 10, 20)),
        ("2024年5月6日 10:20", datetime(2024, 5, 6, 10, 20)),
        ("2024-05-06", datetime(2024, 5, 6)),
        ("2024-5-6 10:20:00 +0800", datetime(2024, 5, 6, 10, 20, tzinfo=CN)),
        ("yesterday", None),
        ("2024-13-45", None),
        ("", None),
    ],
)
def test_parse_date_keeps_the_zone_the_text_gives(text: str, expected: datetime | None) -> None:
    parsed = parse_date(text)
    assert parsed == expected
    if expected is not None and parsed is not None:
        assert parsed.utcoffset() == expected.utcoffset()


# --------------------------------------------------------------------------- sitemaps


def test_sitemap_urlset() -> None:
    index = read_sitemap(fixture("sitemap.xml"), "https://site.example.com/sitemap.xml")
    assert index.kind == "sitemap"
    assert [e.url for e in index.entries] == [
        "https://site.example.com/news/1.html",
        "https://site.example.com/news/2.html",
        "https://site.example.com/about",
    ]
    assert index.entries[0].published == datetime(2024, 5, 6)
    assert index.entries[1].published == datetime(2024, 5, 6, 10, 20, tzinfo=CN)
    assert index.skipped == 1  # the ftp: URL; the repeated URL is simply dropped


def test_gzip_sitemap_is_decompressed() -> None:
    url = "https://site.example.com/sitemap.xml.gz"
    plain = read_sitemap(fixture("sitemap.xml"), url)
    assert read_sitemap(fixture("sitemap.xml.gz"), url) == plain
    assert read_index(fixture("sitemap.xml.gz"), url) == plain


def test_gzip_beyond_the_cap_is_refused() -> None:
    body = gzip.compress(b"<urlset>" + b" " * (MAX_GUNZIPPED_BYTES + 1) + b"</urlset>")
    with pytest.raises(BadIndexError, match="expands beyond"):
        read_sitemap(body, "https://site.example.com/big.xml.gz")


def test_broken_gzip_is_a_bad_index() -> None:
    with pytest.raises(BadIndexError, match="gzip"):
        read_sitemap(b"\x1f\x8b\x08\x00garbage", "https://site.example.com/x.xml.gz")


def test_google_news_sitemap() -> None:
    index = read_sitemap(fixture("news_sitemap.xml"), "https://news.example.com/news.xml")
    (entry,) = index.entries
    assert entry == Entry(
        url="https://news.example.com/2024/05/06/story.html",
        title="高新区 发布 新政策",
        published=datetime(2024, 5, 6, 10, 20, tzinfo=CN),  # publication_date beats lastmod
        tags=("营商环境", "高新区", "政策"),
    )


def test_sitemap_index_lists_children() -> None:
    index = read_sitemap(fixture("sitemap_index.xml"), "https://site.example.com/sitemap_index.xml")
    assert index == Index(
        "sitemapindex",
        None,
        (),
        (
            "https://site.example.com/sitemap-news.xml",
            "https://site.example.com/sitemap-2024.xml.gz",
        ),
    )


def test_sitemap_declared_gb2312_with_gbk_characters() -> None:
    body = fixture("news_sitemap.xml").decode().replace("UTF-8", "gb2312").replace("新政策", "镕")
    index = read_sitemap(body.encode("gbk"), "https://news.example.com/news.xml")
    assert index.entries[0].title == "高新区 发布 镕"


def test_sitemap_errors() -> None:
    with pytest.raises(BadIndexError, match="not a sitemap: XML root <rss>"):
        read_sitemap(fixture("empty_rss.xml"), "https://x.example.com/s.xml")
    with pytest.raises(BadIndexError, match="XML error at line"):
        read_sitemap(b"<urlset><url>", "https://x.example.com/s.xml")


# --------------------------------------------------------------------------- list pages


LIST_URL = "http://www.example.gov.cn/xwzx/index.html"


def test_list_page_glob_with_base_href_and_gbk() -> None:
    index = read_list_page(fixture("list_page_gbk.html"), LIST_URL, "/xwzx/2024*/t*.html")
    assert index.kind == "html"
    assert index.title == "新闻列表 - 示例政府网"
    assert [(e.url, e.title) for e in index.entries] == [
        ("http://www.example.gov.cn/xwzx/202405/t20240506_1.html", "高新区优化营商环境"),
        ("http://www.example.gov.cn/xwzx/202405/t20240505_2.html", "镕铁企业 获奖"),
        ("http://www.example.gov.cn/xwzx/202405/t20240504_3.html", "图片 新闻"),
    ]


def test_list_page_regex_searches_the_absolute_url() -> None:
    index = read_list_page(fixture("list_page_gbk.html"), LIST_URL, r"/\d{6}/t\d+_\d+\.html$")
    assert [e.url for e in index.entries][-1] == "http://other.example.com/202405/t20240506_9.html"
    assert len(index.entries) == 4


def test_list_page_header_charset_wins_over_meta() -> None:
    page = "<html><head><meta charset='gbk'><title>标题</title></head><body>"
    page += "<a href='/n/1.html'>新闻一</a></body></html>"
    index = read_list_page(page.encode("utf-8"), "http://a.example/", "/n/*", charset="utf-8")
    assert index.entries[0].title == "新闻一"
    detected = read_list_page(
        page.replace("gbk", "x-unknown").encode("gb18030"), "http://a.example/", "/n/*"
    )
    assert detected.entries[0].title == "新闻一"


def test_list_page_without_matching_links() -> None:
    with pytest.raises(BadIndexError, match=r"without links matching '/nothing/\*'"):
        read_list_page(fixture("list_page_gbk.html"), LIST_URL, "/nothing/*")


@pytest.mark.parametrize(
    ("pattern", "url", "matches"),
    [
        ("/news/*.html", "https://x.cn/news/2024/a.html", True),
        ("/news/*.html", "https://x.cn/news/a.html.bak", False),
        ("/news/*", "https://x.cn/other/news/a", True),
        ("/content/.*", "https://x.cn/content/1", True),  # '.*' makes it a regex
        (r"t\d+_\d+\.html", "https://x.cn/t2024_1.html", True),
        ("/news/2024", "https://x.cn/news/2024/05/a.html", True),
        ("/news/2024", "https://x.cn/news/2023/05/a.html", False),
    ],
)
def test_link_pattern_rule(pattern: str, url: str, matches: bool) -> None:
    assert bool(link_pattern(pattern).search(url)) is matches


def test_bad_regex_is_a_bad_index() -> None:
    with pytest.raises(BadIndexError, match="bad link pattern"):
        link_pattern("(unclosed")


# --------------------------------------------------------------------------- discovery


def test_discover_feeds() -> None:
    assert discover_feeds(fixture("html_with_feeds.html"), "https://www.example.com/a/") == (
        "https://www.example.com/feed.xml",
        "https://cdn.example.com/atom.xml",
    )
    assert discover_feeds(fixture("list_page_gbk.html"), LIST_URL) == ()


def test_read_index_names_the_feed_of_an_html_page() -> None:
    with pytest.raises(BadIndexError) as caught:
        read_index(fixture("html_with_feeds.html"), "https://www.example.com/")
    assert str(caught.value) == (
        "this is an HTML page; its feeds are at "
        "https://www.example.com/feed.xml, https://cdn.example.com/atom.xml"
    )
    page = b'<html><head><link rel="alternate" type="application/feed+json" href="f.json">'
    with pytest.raises(BadIndexError, match=r"its feed is at https://a\.example/x/f\.json$"):
        read_index(page, "https://a.example/x/")
    with pytest.raises(BadIndexError, match="without feed links"):
        read_index(fixture("list_page_gbk.html"), LIST_URL)


def test_read_index_dispatches() -> None:
    cases = {
        "rss2_gbk.xml": "rss",
        "atom_xmlbase.xml": "atom",
        "jsonfeed_1_1.json": "json",
        "rss1_rdf.xml": "rss",
        "news_sitemap.xml": "sitemap",
        "sitemap_index.xml": "sitemapindex",
    }
    for name, kind in cases.items():
        assert read_index(fixture(name), "https://x.example.com/index").kind == kind
    listed = read_index(
        fixture("list_page_gbk.html"),
        LIST_URL,
        content_type="text/html; charset=gb2312",
        pattern="/xwzx/2024*/t*.html",
    )
    assert len(listed.entries) == 3


# --------------------------------------------------------------------------- write_rss


def test_write_rss_round_trips_through_read_feed() -> None:
    entries = [
        Entry(
            url="http://127.0.0.1:8080/pages/a.html?x=1&y=2",
            title='高新区 "优化" 营商环境 & 服务',
            published=datetime(2024, 5, 6, 10, 20, tzinfo=CN),
            summary="摘要 <不是标签> & 更多",
            author="张三",
            tags=("营商环境", "高新区"),
            content_html="<p>全文</p>",
        ),
        Entry(url="http://127.0.0.1:8080/pages/b.html", published=datetime(2024, 5, 6, 10, 20)),
        Entry(url="http://127.0.0.1:8080/pages/c.html", title="无日期"),
    ]
    body = write_rss("本地 & 测试", "http://127.0.0.1:8080/", entries)
    assert body.startswith(b"<?xml")
    index = read_feed(body, "http://127.0.0.1:8080/feed.xml")
    assert index == Index("rss", "本地 & 测试", tuple(entries))
    assert index.entries[1].published is not None and index.entries[1].published.tzinfo is None
    assert read_index(body, "http://127.0.0.1:8080/feed.xml") == index


def test_write_rss_drops_characters_xml_cannot_carry() -> None:
    entry = Entry(url="http://127.0.0.1/a", title="bell\x07 and NUL\x00 gone", summary="x\x0cy")
    (back,) = read_feed(
        write_rss("t\x01", "http://127.0.0.1/", [entry]), "http://127.0.0.1/"
    ).entries
    assert (back.title, back.summary) == ("bell and NUL gone", "xy")


# --------------------------------------------------------------------------- never crash


def _mangled(body: bytes, rnd: random.Random) -> bytes:
    data = bytearray(body)
    for _ in range(rnd.randint(1, 6)):
        at = rnd.randrange(max(1, len(data)))
        choice = rnd.random()
        if choice < 0.4:
            data[at : at + 1] = bytes([rnd.randrange(256)])
        elif choice < 0.7:
            del data[at : at + rnd.randint(1, 20)]
        else:
            data[at:at] = rnd.choice([b"<", b"&", b"]]>", b"\x00", b"&#0;", b'"', b"\xff\xfe"])
    return bytes(data)


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.iterdir()))
def test_mangled_indexes_never_crash(name: str) -> None:
    """Truncated or mangled bytes give an Index or a BadIndexError, nothing else."""
    body = fixture(name)
    rnd = random.Random(name)
    variants = [body[:cut] for cut in range(0, len(body), max(1, len(body) // 12))]
    variants += [_mangled(body, rnd) for _ in range(25)]
    variants += [b'<html><base href="http://[::1"><a href="/x">x</a></html>']
    for variant in variants:
        for read in (
            lambda b: read_index(b, "http://x.example.com/a/"),
            lambda b: read_index(b, "http://x.example.com/a/", pattern="/*"),
            lambda b: read_feed(b, "http://x.example.com/a/"),
            lambda b: read_sitemap(b, "http://x.example.com/a/"),
        ):
            with contextlib.suppress(BadIndexError):
                assert isinstance(read(variant), Index)
