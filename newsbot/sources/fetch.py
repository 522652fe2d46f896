"""The polite, robust fetcher: one ``httpx.AsyncClient`` that every live source goes through.

What it promises, per ``get``:

* **Polite.** robots.txt is read once per origin (scheme, host, port) and cached for
  an hour, and checked for the User-Agent's product token on every hop; a missing
  one (any 4xx) allows all, an unreachable one (5xx, network error) refuses all for
  ten minutes (RFC 9309 section 2.3.1). Requests to one *host name* go one at a
  time, ``host_delay`` seconds from the end of one to the start of the next
  (robots.txt included; a larger robots ``crawl-delay`` wins, up to 30 s), while
  different hosts proceed concurrently. Politeness is keyed by host name, not
  host:port, because it is the server behind the name that is spared.
* **Cheap.** Conditional GET with the ``Validators`` of the last fetch; a 304 is a
  ``Fetched`` with ``not_modified=True`` and no body.
* **Bounded.** Per-phase timeouts (``timeout``) and a whole-attempt ``deadline``; a
  size cap checked against Content-Length and again while streaming, so a body
  over the cap is never held whole; redirects followed by hand, at most
  ``max_redirects``, loops detected, only http and https.
* **Robust.** Network errors, timeouts, 408, 429 and 5xx are retried ``retries``
  times with doubling, jittered waits; a Retry-After up to ``max_retry_after`` is
  honoured, a longer one ends the attempt rather than knocking early.

Every failure is a ``FetchError`` whose ``str`` is one line for a source list.
Logs: one DEBUG line per request, one INFO line per failed ``get``.
"""

from __future__ import annotations

import asyncio
import email.message
import email.utils
import logging
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Protocol

import httpx

from newsbot import __version__
from newsbot.errors import FetchError, FetchErrorKind
from newsbot.sources.robots import MAX_ROBOTS_BYTES, Robots, parse_robots

__all__ = [
    "DEFAULT_POLICY",
    "DEFAULT_USER_AGENT",
    "FetchError",
    "FetchPolicy",
    "Fetched",
    "Fetcher",
    "RobotsMemory",
    "Validators",
]

log = logging.getLogger(__name__)

DEFAULT_USER_AGENT = f"newsbot/{__version__} (news-digest bot; python-httpx/{httpx.__version__})"

ROBOTS_TTL = 3600.0
"""Seconds a fetched (or missing) robots.txt is trusted."""
ROBOTS_FAILURE_TTL = 600.0
"""Seconds an unreachable robots.txt keeps its host refused before it is asked again."""
MAX_CRAWL_DELAY = 30.0
"""The most a robots.txt ``crawl-delay`` may stretch the pause between requests."""

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_NOT_RETRIED_5XX = frozenset({501, 505})  # the server says it never will


@dataclass(frozen=True, slots=True)
class FetchPolicy:
    """How the fetcher behaves; a value built from the configuration by the caller."""

    user_agent: str = DEFAULT_USER_AGENT
    timeout: float = 20.0
    """Seconds for each phase of a request: connect, write, each read."""
    max_bytes: int = 10_000_000
    """Largest body accepted (after Content-Encoding); bigger ones are refused while streaming."""
    max_redirects: int = 5
    host_delay: float = 1.0
    """Seconds between the end of one request and the start of the next to the same host."""
    retries: int = 3
    """Extra tries after the first, on network errors, timeouts, 408, 429 and 5xx."""
    backoff: float = 1.0
    """Wait before the first retry, doubling each time, with jitter (x0.5 to x1.5)."""
    obey_robots: bool = True
    max_retry_after: float = 120.0
    """Longest Retry-After waited for; a longer one ends the attempt at once."""
    deadline: float = 180.0
    """Seconds one attempt may take in all, body included (cuts off a trickling server)."""

    def __post_init__(self) -> None:
        for name in ("timeout", "deadline"):
            if not getattr(self, name) > 0:
                raise ValueError(f"FetchPolicy.{name} must be positive")
        for name in ("max_bytes", "max_redirects", "host_delay", "retries", "backoff"):
            if getattr(self, name) < 0:
                raise ValueError(f"FetchPolicy.{name} must not be negative")


DEFAULT_POLICY = FetchPolicy()


@dataclass(frozen=True, slots=True)
class Validators:
    """What a server said identifies the version it sent; sent back to ask "changed?"."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, slots=True)
class Fetched:
    """One successful fetch (or a 304 saying nothing changed)."""

    url: str
    """The URL asked for."""
    final_url: str
    """Where the body came from, after redirects."""
    status: int
    not_modified: bool
    body: bytes
    """The body as sent (Content-Encoding undone, charset untouched); ``b""`` when not modified."""
    content_type: str | None
    """The media type of Content-Type, lower case, without parameters (``text/html``)."""
    charset: str | None
    """The ``charset`` parameter of Content-Type, lower case, if the server named one."""
    validators: Validators
    """From the response; when not modified, the ones sent unless the 304 carried new ones."""
    fetched_at: datetime
    """When the response arrived, aware UTC."""


@dataclass(frozen=True, slots=True)
class _Reply:
    """One URL's last response after retries; the body only for 2xx."""

    url: httpx.URL
    status: int
    headers: httpx.Headers
    body: bytes
    tries: int
    at: datetime
    note: str = ""


@dataclass(slots=True)
class _Host:
    """One host name's turn: a lock, when it is free again, and its robots crawl-delay."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    free_at: float = float("-inf")
    crawl_delay: float = 0.0


@dataclass(frozen=True, slots=True)
class _RobotsEntry:
    robots: Robots
    refusal: str | None  # why everything is refused (robots.txt unreachable), else None
    expires: float
    text: str | None = None  # the file as fetched; None when the origin has none


class RobotsMemory(Protocol):
    """Where robots.txt files outlive one Fetcher (the store), so that a fetch run
    from a fresh process within ``ROBOTS_TTL`` does not ask for them again."""

    def recall(self, origin: str) -> tuple[str | None, datetime] | None:
        """(the file, or None for "there is none"; when it was fetched), if known."""

    def remember(self, origin: str, text: str | None, at: datetime) -> None:
        """Keep what an origin's robots.txt said (None: the origin has none)."""


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _size(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:g} MB"
    if n >= 1_000:
        return f"{n / 1_000:g} kB"
    return f"{n} bytes"


def _seconds(s: float) -> str:
    return f"{s:g} s"


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    name = type(exc).__name__
    return f"{name}: {text[:120]}" if text else name


def _tries(n: int) -> str:
    return "1 try" if n == 1 else f"{n} tries"


def _media_and_charset(header: str | None) -> tuple[str | None, str | None]:
    if not header:
        return None, None
    message = email.message.Message()
    message["content-type"] = header
    media = header.split(";", 1)[0].strip().lower() or None
    charset = message.get_param("charset")
    if isinstance(charset, str) and charset.strip(" \"'"):
        return media, charset.strip(" \"'").lower()
    return media, None


def _retry_after(headers: httpx.Headers, now: datetime) -> float | None:
    value = headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


class Fetcher:
    """Fetches URLs politely; an async context manager owning one HTTP/2-capable client.

    Safe for many concurrent ``get`` calls on one event loop. ``transport``, ``clock``
    (monotonic seconds), ``sleep``, ``now`` (aware UTC) and ``rng`` are injectable for
    tests; the defaults are the real ones.
    """

    def __init__(
        self,
        policy: FetchPolicy = DEFAULT_POLICY,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        now: Callable[[], datetime] = _utcnow,
        rng: random.Random | None = None,
        robots_memory: RobotsMemory | None = None,
    ) -> None:
        self.policy = policy
        self._memory = robots_memory
        self._client = httpx.AsyncClient(
            http2=True,
            follow_redirects=False,
            transport=transport,
            # Waiting for a free connection is our own queue, not the server's slowness.
            timeout=httpx.Timeout(policy.timeout, pool=None),
            headers={"User-Agent": policy.user_agent},
        )
        self._clock = clock
        self._sleep = sleep
        self._now = now
        self._rng = rng or random.Random()
        self._hosts: dict[str, _Host] = {}
        self._robots: dict[tuple[str, str, int], _RobotsEntry] = {}
        self._robots_locks: dict[tuple[str, str, int], asyncio.Lock] = {}

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connections."""
        await self._client.aclose()

    async def get(
        self, url: str, validators: Validators | None = None, *, accept: str | None = None
    ) -> Fetched:
        """Fetch ``url``, conditionally when ``validators`` are given; raises ``FetchError``."""
        try:
            return await self._get(url, validators, accept)
        except FetchError as exc:
            log.info("GET %s failed (%s): %s", url, exc.kind, exc)
            raise

    async def _get(self, url: str, validators: Validators | None, accept: str | None) -> Fetched:
        target = self._checked_url(url, url)
        headers: dict[str, str] = {}
        if accept:
            headers["Accept"] = accept
        if validators and validators.etag:
            headers["If-None-Match"] = validators.etag
        if validators and validators.last_modified:
            headers["If-Modified-Since"] = validators.last_modified
        seen = {str(target)}
        while True:
            if self.policy.obey_robots:
                await self._check_robots(url, target)
            reply = await self._with_retries(url, target, headers, self.policy.max_bytes)
            if reply.status in _REDIRECTS:
                location = reply.headers.get("location")
                if location is None:
                    raise FetchError(
                        "status", url, f"HTTP {reply.status} without Location", status=reply.status
                    )
                if len(seen) > self.policy.max_redirects:
                    raise FetchError(
                        "redirects", url, f"more than {self.policy.max_redirects} redirects"
                    )
                target = self._checked_url(url, location, base=reply.url)
                if str(target) in seen:
                    raise FetchError("redirects", url, "redirect loop", status=reply.status)
                seen.add(str(target))
                continue
            return self._fetched(url, reply, validators)

    def _fetched(self, url: str, reply: _Reply, sent: Validators | None) -> Fetched:
        status = reply.status
        if status != 304 and not 200 <= status < 300:
            reason = f"HTTP {status}"
            if reply.tries > 1:
                reason += f" after {_tries(reply.tries)}"
            raise FetchError("status", url, reason + reply.note, status=status)
        media, charset = _media_and_charset(reply.headers.get("content-type"))
        etag = reply.headers.get("etag")
        modified = reply.headers.get("last-modified")
        if status == 304:
            sent = sent or Validators()
            etag = etag or sent.etag
            modified = modified or sent.last_modified
        return Fetched(
            url=url,
            final_url=str(reply.url),
            status=status,
            not_modified=status == 304,
            body=reply.body,
            content_type=media,
            charset=charset,
            validators=Validators(etag=etag, last_modified=modified),
            fetched_at=reply.at,
        )

    @staticmethod
    def _checked_url(url: str, raw: str, base: httpx.URL | None = None) -> httpx.URL:
        """``raw`` (joined to ``base`` if relative) as an http(s) URL without fragment."""
        try:
            target = base.join(raw) if base is not None else httpx.URL(raw)
        except (httpx.InvalidURL, ValueError, TypeError) as exc:
            raise FetchError("not_allowed", url, f"invalid URL {raw[:100]!r}") from exc
        if not target.scheme:
            raise FetchError("not_allowed", url, f"not an absolute URL: {raw[:100]!r}")
        if target.scheme not in ("http", "https"):
            what = "redirect to" if base is not None else "URL scheme"
            raise FetchError(
                "not_allowed", url, f"{what} {target.scheme}: not allowed (http/https only)"
            )
        if not target.host:
            raise FetchError("not_allowed", url, f"invalid URL {raw[:100]!r} (no host)")
        return target.copy_with(fragment=None)

    # -- one URL, with retries --------------------------------------------------------

    async def _with_retries(
        self,
        url: str,
        target: httpx.URL,
        headers: dict[str, str],
        limit: int,
        *,
        truncate: bool = False,
    ) -> _Reply:
        """The last response for ``target`` after retrying what may recover."""
        policy = self.policy
        tries = 0
        while True:
            tries += 1
            last = tries > policy.retries
            try:
                reply = await self._attempt(url, target, headers, limit, truncate, tries)
            except (httpx.TransportError, TimeoutError) as exc:
                if last:
                    raise self._failure(url, exc, tries) from exc
                wait = self._backoff(tries)
            except httpx.HTTPError as exc:  # e.g. a broken Content-Encoding: no retry
                raise FetchError("network", url, f"bad response ({_one_line(exc)})") from exc
            else:
                status = reply.status
                retryable = status in (408, 429) or (
                    status >= 500 and status not in _NOT_RETRIED_5XX
                )
                if not retryable or last:
                    return reply
                wait = self._backoff(tries)
                if status in (429, 503):
                    asked = _retry_after(reply.headers, self._now())
                    if asked is not None and asked > policy.max_retry_after:
                        note = f", Retry-After {asked:.0f} s"
                        return _Reply(reply.url, status, reply.headers, b"", tries, reply.at, note)
                    if asked is not None:
                        wait = max(wait, asked)
            log.debug("GET %s: try %d failed, next in %.2f s", target, tries, wait)
            await self._sleep(wait)

    def _failure(self, url: str, exc: Exception, tries: int) -> FetchError:
        """The one-line error for a request that never got a response."""
        kind: FetchErrorKind
        if isinstance(exc, httpx.TimeoutException):
            kind, reason = "timeout", f"timed out after {_seconds(self.policy.timeout)}"
        elif isinstance(exc, TimeoutError):  # the whole-attempt deadline
            kind, reason = "timeout", f"not done within {_seconds(self.policy.deadline)}"
        else:
            kind, reason = "network", f"network error ({_one_line(exc)})"
        if tries > 1:
            reason += f" ({_tries(tries)})"
        return FetchError(kind, url, reason)

    def _backoff(self, tries: int) -> float:
        return self.policy.backoff * 2.0 ** (tries - 1) * (0.5 + self._rng.random())

    async def _attempt(
        self,
        url: str,
        target: httpx.URL,
        headers: dict[str, str],
        limit: int,
        truncate: bool,
        tries: int,
    ) -> _Reply:
        """One request, in the host's turn; the body is read only for 2xx."""
        async with self._turn(target.host):
            started = self._clock()
            status: int | str = "error"
            body = b""
            try:
                async with asyncio.timeout(self.policy.deadline):
                    request = self._client.build_request("GET", target, headers=headers)
                    response = await self._client.send(request, stream=True)
                    try:
                        status = response.status_code
                        at = self._now()
                        if 200 <= response.status_code < 300:
                            body = await self._read(url, response, limit, truncate)
                    finally:
                        await response.aclose()
            finally:
                log.debug(
                    "GET %s -> %s (%d bytes, %.2f s, try %d)",
                    target,
                    status,
                    len(body),
                    self._clock() - started,
                    tries,
                )
        return _Reply(target, response.status_code, response.headers, body, tries, at)

    async def _read(self, url: str, response: httpx.Response, limit: int, truncate: bool) -> bytes:
        declared = response.headers.get("content-length", "")
        if not truncate and declared.isdigit() and int(declared) > limit:
            raise FetchError(
                "too_large", url, f"response over {_size(limit)}", status=response.status_code
            )
        body = bytearray()
        async for chunk in response.aiter_bytes():
            if len(body) + len(chunk) > limit:
                if truncate:
                    body += chunk[: limit - len(body)]
                    break
                raise FetchError(
                    "too_large", url, f"response over {_size(limit)}", status=response.status_code
                )
            body += chunk
        return bytes(body)

    @asynccontextmanager
    async def _turn(self, host: str) -> AsyncIterator[None]:
        """Wait for ``host`` to be free, hold it for one request, then rest it."""
        slot = self._hosts.get(host)
        if slot is None:
            slot = self._hosts[host] = _Host()
        async with slot.lock:
            wait = slot.free_at - self._clock()
            if wait > 0:
                await self._sleep(wait)
            try:
                yield
            finally:
                rest = max(self.policy.host_delay, slot.crawl_delay)
                slot.free_at = self._clock() + rest

    # -- robots.txt ----------------------------------------------------------------------

    async def _check_robots(self, url: str, target: httpx.URL) -> None:
        entry = await self._robots_for(target)
        if entry.refusal is not None:
            raise FetchError("robots", url, entry.refusal)
        path = target.raw_path.decode("ascii", "replace")
        if not entry.robots.allowed(path):
            raise FetchError("robots", url, "refused by robots.txt")

    async def _robots_for(self, target: httpx.URL) -> _RobotsEntry:
        default_port = 443 if target.scheme == "https" else 80
        origin = (target.scheme, target.host, target.port or default_port)
        entry = self._robots.get(origin)
        if entry is not None and entry.expires > self._clock():
            return entry
        lock = self._robots_locks.setdefault(origin, asyncio.Lock())
        async with lock:
            entry = self._robots.get(origin)
            if entry is None or entry.expires <= self._clock():
                robots_url = target.copy_with(path="/robots.txt", query=None)
                entry = self._recalled(str(robots_url))
                if entry is None:
                    entry = await self._fetch_robots(robots_url)
                    if entry.refusal is None and self._memory is not None:
                        self._memory.remember(str(robots_url), entry.text, self._now())
                self._robots[origin] = entry
                slot = self._hosts.setdefault(target.host, _Host())
                slot.crawl_delay = min(entry.robots.crawl_delay or 0.0, MAX_CRAWL_DELAY)
        return entry

    def _recalled(self, robots_url: str) -> _RobotsEntry | None:
        """The origin's robots.txt from the memory, while it is fresh."""
        known = self._memory.recall(robots_url) if self._memory is not None else None
        if known is None:
            return None
        text, at = known
        left = ROBOTS_TTL - (self._now() - at).total_seconds()
        if left <= 0:
            return None
        robots = Robots.allow_all() if text is None else parse_robots(text, self.policy.user_agent)
        return _RobotsEntry(robots, None, self._clock() + left, text)

    async def _fetch_robots(self, robots_url: httpx.URL) -> _RobotsEntry:
        """robots.txt of one origin, its redirects followed (RFC 9309: at least five)."""
        url = str(robots_url)
        target = robots_url
        seen = {url}
        while True:
            try:
                reply = await self._with_retries(
                    url,
                    target,
                    {"Accept": "text/plain, */*;q=0.5"},
                    MAX_ROBOTS_BYTES,
                    truncate=True,
                )
            except FetchError as exc:
                return self._robots_unreachable(url, str(exc))
            if reply.status in _REDIRECTS and "location" in reply.headers:
                try:
                    target = self._checked_url(url, reply.headers["location"], base=reply.url)
                except FetchError:
                    break
                if str(target) in seen or len(seen) > max(self.policy.max_redirects, 5):
                    break
                seen.add(str(target))
                continue
            if 200 <= reply.status < 300:
                text = reply.body.decode("utf-8", "replace")
                robots = parse_robots(text, self.policy.user_agent)
                return _RobotsEntry(robots, None, self._clock() + ROBOTS_TTL, text)
            if reply.status >= 500 or reply.status == 429:
                reason = f"HTTP {reply.status}"
                if reply.tries > 1:
                    reason += f" after {_tries(reply.tries)}"
                return self._robots_unreachable(url, reason)
            break  # 4xx, odd 3xx: no robots.txt, so everything is allowed
        return _RobotsEntry(Robots.allow_all(), None, self._clock() + ROBOTS_TTL)

    def _robots_unreachable(self, url: str, reason: str) -> _RobotsEntry:
        log.info("robots.txt %s unreachable (%s): the host is not fetched for now", url, reason)
        refusal = f"robots.txt unreachable ({reason})"
        return _RobotsEntry(Robots.disallow_all(), refusal, self._clock() + ROBOTS_FAILURE_TTL)
