"""A page as the parser read it, line by line: what ``newsbot parse --explain`` prints.

For an admin whose new site comes out wrong: each text line of the dump with the
role the parser gave it (title, dateline, meta, summary, body, heading, caption,
chrome, end of body, breadcrumb; ``·`` for page furniture it ignored), then the
fields it recovered and the ones it is unsure of, with the reason.
"""

from __future__ import annotations

from newsbot.models import format_published
from newsbot.parsing.page import Reading

__all__ = ["explain"]

_WIDTH = 70  # characters of each line shown
_FURNITURE = frozenset({"chrome", "caption"})  # roles that do not widen the window shown


def explain(reading: Reading, *, all_lines: bool = False) -> str:
    """Render ``reading`` for a terminal. Lines the parser ignored far from the
    article are folded into one ``…`` row unless ``all_lines``."""
    out: list[str] = []
    used = sorted(pos for pos, role in reading.roles.items() if role not in _FURNITURE)
    first = max(0, used[0] - 3) if used and not all_lines else 0
    last = used[-1] + 3 if used and not all_lines else len(reading.lines)
    if first > 0:
        out.append(f"{'':>5}  {'…':<14} ({first} lines above)")
    for line in reading.lines[first:last]:
        if line.blank:
            continue
        role = reading.roles.get(line.pos, "·")
        text = line.text if len(line.text) <= _WIDTH else line.text[: _WIDTH - 1] + "…"
        out.append(f"{line.pos + 1:>5}  {role:<14} {text}")
    if last < len(reading.lines):
        out.append(f"{'':>5}  {'…':<14} ({len(reading.lines) - last} lines below)")
    article = reading.article
    fields = {
        "title": article.title,
        "published": format_published(article.published, article.published_precision),
        "source": article.source,
        "author": article.author,
        "editor": article.editor,
        "breadcrumb": " > ".join(article.breadcrumb) or None,
        "keywords": ", ".join(article.keywords) or None,
        "summary": ("(generated) " if article.summary_generated else "") + article.summary,
        "body": f"{len(article.body)} paragraphs, {sum(map(len, article.body))} characters",
    }
    out.append("")
    for name, value in fields.items():
        shown = "—" if value is None else value
        if len(shown) > _WIDTH:
            shown = shown[: _WIDTH - 1] + "…"
        out.append(f"{name:<11} {shown}")
    if reading.doubts:
        out.append("")
        out.append("uncertain:")
        for name, reason in sorted(reading.doubts.items()):
            out.append(f"  {name:<9} {reason}")
    return "\n".join(out)
