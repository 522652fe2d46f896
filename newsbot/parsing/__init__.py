"""Parsing stage: the text of a saved news page -> :class:`newsbot.models.ArticleIn`.

Pure functions, no I/O. :mod:`.page` finds where the parts of a page are (body,
header, footer); :mod:`.rules` answers questions about single lines and pulls
values out of labelled lines.
"""

from newsbot.parsing.page import Reading, parse_page, read_page

__all__ = ["Reading", "parse_page", "read_page"]
