"""The exception tree of newsbot.

Library code raises these; ``cli.py`` maps them to exit codes and the bot's
error handler turns them into polite replies::

    NewsbotError
    ├── ConfigError            invalid or unreadable configuration (names the key)
    │   └── TokenRejectedError     Telegram refuses the bot token
    ├── SeedError              one seed file cannot become an article
    │   ├── EmptyFileError         the file is empty or only whitespace
    │   ├── BinaryFileError        the file is not text
    │   ├── UndecodableError       no text encoding fits the bytes
    │   ├── FileTooLargeError      larger than the configured limit
    │   ├── NoArticleError         text, but no recognisable article in it
    │   └── InvalidRecordError     a JSON / JSON Lines record is malformed (names the line)
    ├── BadIndexError          a source's feed, sitemap or list page cannot be read
    ├── SourceError            a live source cannot be added, changed or removed
    ├── FetchError             a URL cannot be fetched (robots, status, network, size, ...)
    ├── StoreError             the database cannot be reached or migrated
    ├── InstanceConflictError  another ``newsbot run`` uses this SQLite database
    └── QueryError             a reader's query is not acceptable (too long, empty, ...)
"""

from __future__ import annotations

from typing import Literal

__all__ = [
    "BadIndexError",
    "BinaryFileError",
    "ConfigError",
    "EmptyFileError",
    "FetchError",
    "FetchErrorKind",
    "FileTooLargeError",
    "InstanceConflictError",
    "InvalidRecordError",
    "NewsbotError",
    "NoArticleError",
    "QueryError",
    "SeedError",
    "SourceError",
    "StoreError",
    "TokenRejectedError",
    "UndecodableError",
]


class NewsbotError(Exception):
    """Base of every error newsbot raises on purpose."""


class ConfigError(NewsbotError):
    """The configuration is invalid; the message names the key and the problem."""


class TokenRejectedError(ConfigError):
    """Telegram refuses the configured bot token; the message never holds the token."""


class SeedError(NewsbotError):
    """A seed file cannot become an article; the message is a one-line reason."""


class EmptyFileError(SeedError):
    """The file is empty."""


class BinaryFileError(SeedError):
    """The file holds binary data, not text."""


class UndecodableError(SeedError):
    """No known text encoding decodes the file."""


class FileTooLargeError(SeedError):
    """The file is larger than the configured limit."""


class NoArticleError(SeedError):
    """The text holds no recognisable article (no title or no body)."""


class InvalidRecordError(SeedError):
    """A record of a JSON or JSON Lines seed file is malformed."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message if line is None else f"line {line}: {message}")
        self.line = line


class BadIndexError(NewsbotError):
    """A source's index (feed, sitemap, list page) cannot be read; one-line reason."""


FetchErrorKind = Literal[
    "robots", "status", "network", "timeout", "too_large", "redirects", "not_allowed"
]


class FetchError(NewsbotError):
    """A URL cannot be fetched; ``str(err)`` is one line a source list can show.

    ``kind`` says why in a word a caller can branch on, ``url`` is the URL asked
    for, and ``status`` the last HTTP status seen, if any.
    """

    def __init__(
        self, kind: FetchErrorKind, url: str, message: str, *, status: int | None = None
    ) -> None:
        super().__init__(message)
        self.kind: FetchErrorKind = kind
        self.url = url
        self.status = status


class StoreError(NewsbotError):
    """The database cannot be reached, created or migrated."""


class InstanceConflictError(NewsbotError):
    """Another instance holds the database (SQLite runs one instance); names the holder."""


class QueryError(NewsbotError):
    """A reader's query cannot be run (too long, empty, malformed)."""


class SourceError(NewsbotError):
    """A live source cannot be added, changed or removed (name taken, from config, ...)."""
