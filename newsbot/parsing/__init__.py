"""Parsing stage: the text of a saved news page, or its HTML -> :class:`newsbot.models.ArticleIn`.

Pure functions, no I/O. :mod:`.page` finds where the parts of a page are (body,
header, footer); :mod:`.lines`, :mod:`.fields`, :mod:`.people` and :mod:`.dates`
answer questions about single lines. An HTML page is decoded and rendered to text
by :mod:`.html`, its markup's own statements gathered by :mod:`.evidence`, and the
two joined by :mod:`.webpage`.
"""

from newsbot.parsing.html import decode_html, html_to_text
from newsbot.parsing.page import Reading, parse_page, read_page
from newsbot.parsing.webpage import PageHints, parse_html, read_html

__all__ = [
    "PageHints",
    "Reading",
    "decode_html",
    "html_to_text",
    "parse_html",
    "parse_page",
    "read_html",
    "read_page",
]
