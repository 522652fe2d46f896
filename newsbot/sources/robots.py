"""robots.txt as RFC 9309 reads it: parsed once, then asked "may this path be fetched?".

Pure: text in, answers out. The fetcher brings the file home and caches the
parsed ``Robots`` per origin; this module never does I/O.

The rules that matter (RFC 9309 section 2.2):

* a group is one or more ``user-agent`` lines followed by rules; every group naming
  the crawler's product token applies (merged), and only when none does, the ``*``
  groups apply; with neither, everything is allowed;
* the longest matching ``allow``/``disallow`` pattern wins, ``allow`` on a tie;
  ``*`` matches any run of characters and a final ``$`` anchors the end;
* ``/robots.txt`` itself is always allowed; an empty ``disallow`` allows all.

``crawl-delay`` (not in the RFC, widely used) and ``sitemap`` lines are kept too.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from urllib.parse import quote, unquote

__all__ = ["MAX_ROBOTS_BYTES", "Robots", "parse_robots", "product_token"]

MAX_ROBOTS_BYTES = 500 * 1024
"""RFC 9309 asks crawlers to parse at least 500 KiB; what follows is ignored."""

# Characters left as they are when a path or a pattern is normalised: RFC 3986
# reserved and unreserved ones, ``%`` of existing escapes, and the pattern's ``*``/``$``.
_SAFE = "/?#[]@!$&'()*+,;=:-._~"
_TOKEN = re.compile(r"[a-z_-]+")


def product_token(user_agent: str) -> str:
    """The product token a robots.txt names a crawler by: ``newsbot`` of ``newsbot/0.1 (…)``."""
    match = _TOKEN.match(user_agent.strip().lower())
    return match.group(0) if match else ""


def _normalise(text: str) -> str:
    """One spelling for a path or pattern: escapes decoded then re-encoded, UTF-8, upper hex."""
    return quote(unquote(text), safe=_SAFE)


@dataclass(frozen=True, slots=True)
class _Rule:
    allow: bool
    length: int
    regex: re.Pattern[str]

    @classmethod
    def build(cls, allow: bool, pattern: str) -> _Rule:
        if not pattern.startswith(("/", "*")):
            pattern = "/" + pattern
        pattern = _normalise(pattern)
        anchored = pattern.endswith("$")
        body = pattern[:-1] if anchored else pattern
        regex = ".*".join(re.escape(part) for part in body.split("*"))
        return cls(allow, len(pattern), re.compile(regex + (r"\Z" if anchored else "")))


@dataclass(frozen=True, slots=True)
class Robots:
    """The rules of one robots.txt that apply to one product token."""

    rules: tuple[_Rule, ...] = ()
    crawl_delay: float | None = None
    sitemaps: tuple[str, ...] = ()

    def allowed(self, path: str) -> bool:
        """Whether ``path`` (path and query, as in the request line) may be fetched."""
        path = _normalise(path or "/")
        if path == "/robots.txt":
            return True
        best: _Rule | None = None
        for rule in self.rules:
            if rule.regex.match(path) and (
                best is None
                or rule.length > best.length
                or (rule.length == best.length and rule.allow)
            ):
                best = rule
        return best is None or best.allow

    @classmethod
    def allow_all(cls) -> Robots:
        """What a missing robots.txt (404, 410, any 4xx) means."""
        return cls()

    @classmethod
    def disallow_all(cls) -> Robots:
        """What an unreachable robots.txt (5xx, network error) means."""
        return cls(rules=(_Rule.build(False, "/"),))


@dataclass(slots=True)
class _Group:
    agents: list[str]
    rules: list[_Rule]
    crawl_delay: float | None = None


def parse_robots(text: str, token: str) -> Robots:
    """The rules of robots.txt ``text`` for the crawler whose product token is ``token``."""
    token = product_token(token)
    groups: list[_Group] = []
    sitemaps: list[str] = []
    current: _Group | None = None
    in_rules = False
    for raw in text[:MAX_ROBOTS_BYTES].lstrip("\ufeff").splitlines():
        line = raw.split("#", 1)[0].strip()
        key, sep, value = line.partition(":")
        if not sep:
            continue
        key = key.strip().lower().replace("_", "-")
        value = value.strip()
        if key == "sitemap":
            if value:
                sitemaps.append(value)
        elif key in ("user-agent", "useragent"):
            if current is None or in_rules:
                current = _Group([], [])
                groups.append(current)
                in_rules = False
            current.agents.append("*" if value == "*" else product_token(value))
        elif key in ("allow", "disallow") and current is not None:
            in_rules = True
            if value:
                current.rules.append(_Rule.build(key == "allow", value))
        elif key == "crawl-delay" and current is not None:
            in_rules = True
            with contextlib.suppress(ValueError):
                current.crawl_delay = float(value)
    chosen = [g for g in groups if token and token in g.agents]
    if not chosen:
        chosen = [g for g in groups if "*" in g.agents]
    delays = [g.crawl_delay for g in chosen if g.crawl_delay is not None and g.crawl_delay >= 0]
    return Robots(
        rules=tuple(rule for g in chosen for rule in g.rules),
        crawl_delay=max(delays) if delays else None,
        sitemaps=tuple(sitemaps),
    )
