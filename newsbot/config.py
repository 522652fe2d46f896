"""Configuration as a frozen value, loaded once from TOML and the environment.

Precedence, highest first: environment variables (``NEWSBOT_*``), the TOML file
(``--config PATH``, else ``$NEWSBOT_CONFIG``, else ``./config.toml`` when present),
then the defaults below. Nothing is read at import time.

Relative paths written in the file (an SQLite ``database.url``, ``seeds.dir``,
``bot.templates_dir``) are relative to the file's folder, so a config file names
the same files whatever directory newsbot runs in. Paths from the environment and
the defaults are relative to the working directory.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from newsbot.errors import ConfigError, SourceError
from newsbot.models import SourceSpec

__all__ = [
    "BotConfig",
    "Config",
    "DatabaseConfig",
    "DeliveryConfig",
    "DigestConfig",
    "FetchConfig",
    "OpsConfig",
    "SeedsConfig",
    "TelegramConfig",
    "load_config",
]

DEFAULT_CONFIG_FILE = "config.toml"


@dataclass(frozen=True, slots=True)
class DatabaseConfig:
    url: str = field(
        default="sqlite:///data/newsbot.db",
        metadata={"help": "SQLAlchemy URL; SQLite file by default, or postgresql+psycopg://..."},
    )

    @property
    def display_url(self) -> str:
        """The URL with its password hidden, fit for logs and messages."""
        try:
            return make_url(self.url).render_as_string(hide_password=True)
        except ArgumentError:
            return self.url


@dataclass(frozen=True, slots=True)
class SeedsConfig:
    dir: str = field(default="seeds", metadata={"help": "folder of seed pages to ingest"})
    max_file_mb: float = field(
        default=5.0, metadata={"help": "larger seed files are refused as too large"}
    )
    ingest_interval_minutes: float = field(
        default=5.0, metadata={"help": "while the bot runs, re-scan the seed store this often"}
    )


@dataclass(frozen=True, slots=True)
class TelegramConfig:
    token: str = field(default="", metadata={"help": "bot token from @BotFather"})
    base_url: str = field(
        default="",
        metadata={"help": "Bot API base, python-telegram-bot base_url form; empty = Telegram"},
    )
    webhook_listen: str = field(
        default="127.0.0.1",
        metadata={"help": "newsbot run --webhook: address the webhook is served on"},
    )
    webhook_port: int = field(
        default=8443, metadata={"help": "newsbot run --webhook: port the webhook is served on"}
    )
    webhook_secret: str = field(
        default="",
        metadata={"help": "token Telegram sends with each update (1-256 of A-Z a-z 0-9 _ -)"},
    )


@dataclass(frozen=True, slots=True)
class BotConfig:
    timezone: str = field(
        default="Asia/Shanghai", metadata={"help": "default IANA timezone for schedules"}
    )
    templates_dir: str = field(
        default="", metadata={"help": "folder whose templates override the shipped ones"}
    )
    admins: tuple[int, ...] = field(
        default=(), metadata={"help": "Telegram user ids of global admins"}
    )
    log_level: str = field(default="INFO", metadata={"help": "DEBUG, INFO, WARNING or ERROR"})
    max_subscriptions_per_chat: int = field(
        default=10, metadata={"help": "subscriptions one chat (private, group, channel) may hold"}
    )
    max_channel_subscriptions_per_user: int = field(
        default=20,
        metadata={"help": "channel subscriptions one user may create (global admins: no cap)"},
    )


@dataclass(frozen=True, slots=True)
class DigestConfig:
    grace_hours: float = field(
        default=6.0,
        metadata={"help": "a digest missed while the bot was down is sent on start if this fresh"},
    )
    nothing_new_message: bool = field(
        default=False, metadata={"help": "send a 'nothing new today' line instead of silence"}
    )
    build_processes: int = field(
        default=1, metadata={"help": "worker processes building scheduled digests; 0 = a thread"}
    )


@dataclass(frozen=True, slots=True)
class DeliveryConfig:
    overall_per_second: float = field(default=30.0, metadata={"help": "messages/s in all"})
    private_per_second: float = field(default=1.0, metadata={"help": "messages/s to one chat"})
    group_per_minute: float = field(
        default=20.0, metadata={"help": "messages/min to one group or channel"}
    )
    max_attempts: int = field(
        default=0, metadata={"help": "tries for a message on network errors; 0 = no cap"}
    )
    retry_hours: float = field(
        default=24.0,
        metadata={"help": "hours network errors are retried before a digest goes back"},
    )
    shared_limits: str = field(
        default="auto",
        metadata={
            "help": "where the limits and 429 pauses live, so several instances keep them "
            "together: none (this process), database, or redis://host:6379/0; "
            "auto = database on PostgreSQL, none on SQLite"
        },
    )


@dataclass(frozen=True, slots=True)
class FetchConfig:
    user_agent: str = field(
        default="", metadata={"help": "User-Agent of every request; empty = newsbot/VERSION"}
    )
    timeout_seconds: float = field(default=20.0, metadata={"help": "per request"})
    host_delay_seconds: float = field(
        default=1.0, metadata={"help": "pause between two requests to one host"}
    )
    max_page_mb: float = field(default=10.0, metadata={"help": "larger responses are refused"})
    retries: int = field(
        default=3, metadata={"help": "tries again on network errors, timeouts, 5xx and 429"}
    )
    obey_robots: bool = field(default=True, metadata={"help": "honour each host's robots.txt"})
    max_pages_per_round: int = field(
        default=100, metadata={"help": "article pages one source may fetch in one round"}
    )
    pause_after_failures: int = field(
        default=5, metadata={"help": "failed rounds in a row that pause a source"}
    )
    paused_retry_hours: float = field(
        default=6.0, metadata={"help": "a paused source is still tried this often"}
    )


@dataclass(frozen=True, slots=True)
class OpsConfig:
    listen: str = field(
        default="127.0.0.1", metadata={"help": "address of /metrics and /healthz; 0.0.0.0: all"}
    )
    port: int = field(default=0, metadata={"help": "port of /metrics and /healthz; 0 = off"})


@dataclass(frozen=True, slots=True)
class Config:
    database: DatabaseConfig = field(default_factory=DatabaseConfig)
    seeds: SeedsConfig = field(default_factory=SeedsConfig)
    telegram: TelegramConfig = field(default_factory=TelegramConfig)
    bot: BotConfig = field(default_factory=BotConfig)
    digest: DigestConfig = field(default_factory=DigestConfig)
    delivery: DeliveryConfig = field(default_factory=DeliveryConfig)
    fetch: FetchConfig = field(default_factory=FetchConfig)
    ops: OpsConfig = field(default_factory=OpsConfig)
    sources: tuple[SourceSpec, ...] = ()  # [[sources]]
    source: str = field(default="defaults", compare=False)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.bot.timezone)


# Environment variables that override a key of the file: NAME -> (section, key).
ENV_OVERRIDES: Mapping[str, tuple[str, str]] = {
    "NEWSBOT_DATABASE_URL": ("database", "url"),
    "NEWSBOT_SEEDS_DIR": ("seeds", "dir"),
    "NEWSBOT_TELEGRAM_TOKEN": ("telegram", "token"),
    "NEWSBOT_TELEGRAM_BASE_URL": ("telegram", "base_url"),
    "NEWSBOT_TELEGRAM_WEBHOOK_LISTEN": ("telegram", "webhook_listen"),
    "NEWSBOT_TELEGRAM_WEBHOOK_PORT": ("telegram", "webhook_port"),
    "NEWSBOT_TELEGRAM_WEBHOOK_SECRET": ("telegram", "webhook_secret"),
    "NEWSBOT_TIMEZONE": ("bot", "timezone"),
    "NEWSBOT_TEMPLATES_DIR": ("bot", "templates_dir"),
    "NEWSBOT_ADMINS": ("bot", "admins"),
    "NEWSBOT_LOG_LEVEL": ("bot", "log_level"),
    "NEWSBOT_OPS_LISTEN": ("ops", "listen"),
    "NEWSBOT_OPS_PORT": ("ops", "port"),
}

_SECTIONS: Mapping[str, type[Any]] = {
    "database": DatabaseConfig,
    "seeds": SeedsConfig,
    "telegram": TelegramConfig,
    "bot": BotConfig,
    "digest": DigestConfig,
    "delivery": DeliveryConfig,
    "fetch": FetchConfig,
    "ops": OpsConfig,
}


def load_config(
    path: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None
) -> Config:
    """Load the configuration; raise ConfigError naming the key and the problem."""
    env = os.environ if env is None else env
    file_data: dict[str, Any] = {}
    source = "defaults"
    chosen = path if path is not None else env.get("NEWSBOT_CONFIG") or None
    if chosen is not None:
        file_path = Path(chosen)
        if not file_path.is_file():
            raise ConfigError(f"config file {file_path} does not exist")
    elif Path(DEFAULT_CONFIG_FILE).is_file():
        file_path = Path(DEFAULT_CONFIG_FILE)
    else:
        file_path = None
    if file_path is not None:
        try:
            file_data = tomllib.loads(file_path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{file_path}: not valid TOML: {exc}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{file_path}: cannot be read: {exc}") from None
        source = str(file_path)

    unknown = sorted(set(file_data) - set(_SECTIONS) - {"sources"})
    if unknown:
        raise ConfigError(f"unknown section [{unknown[0]}] (known: {', '.join(_SECTIONS)})")
    sections: dict[str, Any] = {}
    for name, cls in _SECTIONS.items():
        raw = file_data.get(name, {})
        if not isinstance(raw, dict):
            raise ConfigError(f"[{name}] must be a table")
        if file_path is not None:
            raw = _anchor_paths(name, raw, Path(os.path.abspath(file_path)).parent)
        sections[name] = _build_section(name, cls, raw, where=source)
    for var, (section, key) in ENV_OVERRIDES.items():
        if var in env:
            value = _coerce_env(var, section, key, env[var])
            sections[section] = replace(sections[section], **{key: value})
    specs = _sources(file_data.get("sources", []), source)
    config = Config(**sections, sources=specs, source=source)
    _validate(config)
    return config


# Keys of the file that name a path, relative to the file's folder when not absolute.
_PATH_KEYS: Mapping[str, tuple[str, ...]] = {"seeds": ("dir",), "bot": ("templates_dir",)}


def _anchor_paths(section: str, raw: Mapping[str, Any], folder: Path) -> dict[str, Any]:
    """``raw`` with its relative paths (and a relative SQLite file) made absolute."""
    anchored = dict(raw)
    for key in _PATH_KEYS.get(section, ()):
        value = anchored.get(key)
        if isinstance(value, str) and value:
            anchored[key] = _anchor(value, folder)
    if section == "database" and isinstance(anchored.get("url"), str):
        anchored["url"] = _anchor_sqlite_url(anchored["url"], folder)
    return anchored


def _anchor(path: str, folder: Path) -> str:
    expanded = Path(path).expanduser()
    return str(expanded if expanded.is_absolute() else folder / expanded)


def _anchor_sqlite_url(url: str, folder: Path) -> str:
    """An SQLite URL naming a relative file, made absolute; any other URL as is."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return url  # _validate reports it
    database = parsed.database or ""
    if (
        parsed.get_backend_name() != "sqlite"
        or not database
        or database == ":memory:"
        or database.startswith("file:")
    ):
        return url
    anchored = _anchor(database, folder)
    if anchored == database:
        return url
    return parsed.set(database=anchored).render_as_string(hide_password=False)


_SOURCE_KEYS = {f.name: f for f in fields(SourceSpec)}


def _sources(raw: Any, where: str) -> tuple[SourceSpec, ...]:
    """The ``[[sources]]`` tables, each checked like a source added from the CLI."""
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        raise ConfigError(f"{where}: sources must be [[sources]] tables")
    specs: list[SourceSpec] = []
    for number, item in enumerate(raw, 1):
        label = f"{where}: [[sources]] #{number}"
        unknown = sorted(set(item) - set(_SOURCE_KEYS))
        if unknown:
            raise ConfigError(
                f"{label}: unknown key {unknown[0]} (known: {', '.join(sorted(_SOURCE_KEYS))})"
            )
        for key in ("name", "url"):
            if not isinstance(item.get(key), str):
                raise ConfigError(f"{label}: {key} is required, a string")
        values: dict[str, Any] = {}
        for key, value in item.items():
            default = _SOURCE_KEYS[key].default
            if key == "tags":
                if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
                    raise ConfigError(f"{label}: tags must be a list of strings")
                values[key] = tuple(t.strip().lstrip("#") for t in value if t.strip())
            elif key == "pattern":
                if not isinstance(value, str):
                    raise ConfigError(f"{label}: pattern must be a string")
                values[key] = value
            elif key in ("name", "url"):
                values[key] = value.strip()
            else:
                values[key] = _check_type(f"sources.{key}", default, value)
        try:
            spec = SourceSpec(**values)
        except SourceError as exc:
            raise ConfigError(f"{label}: {exc}") from None
        if any(s.name == spec.name for s in specs):
            raise ConfigError(f"{label}: a source named {spec.name!r} is defined twice")
        specs.append(spec)
    return tuple(specs)


def _build_section(name: str, cls: type[Any], raw: Mapping[str, Any], *, where: str) -> Any:
    known = {f.name: f for f in fields(cls)}
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in known:
            raise ConfigError(
                f"{where}: unknown key {name}.{key} (known: {', '.join(sorted(known))})"
            )
        values[key] = _check_type(f"{name}.{key}", known[key].default, value)
    return cls(**values)


def _check_type(key: str, default: Any, value: Any) -> Any:
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"{key} must be true or false, not {value!r}")
        return value
    if isinstance(default, int) and not isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{key} must be a whole number, not {value!r}")
        return value
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{key} must be a number, not {value!r}")
        return float(value)
    if isinstance(default, tuple):
        if not isinstance(value, list) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in value
        ):
            raise ConfigError(f"{key} must be a list of Telegram user ids (integers)")
        return tuple(value)
    if not isinstance(value, str):
        raise ConfigError(f"{key} must be a string, not {value!r}")
    return value


def _coerce_env(var: str, section: str, key: str, raw: str) -> Any:
    default = getattr(_SECTIONS[section](), key)
    if isinstance(default, tuple):
        try:
            return tuple(int(part) for part in raw.replace(",", " ").split())
        except ValueError:
            raise ConfigError(f"{var} must be user ids separated by commas") from None
    if isinstance(default, int) and not isinstance(default, bool):
        try:
            return int(raw) if not isinstance(default, float) else float(raw)
        except ValueError:
            raise ConfigError(f"{var} must be a number, not {raw!r}") from None
    if isinstance(default, float):
        try:
            return float(raw)
        except ValueError:
            raise ConfigError(f"{var} must be a number, not {raw!r}") from None
    return raw


def _validate(config: Config) -> None:
    url = config.database.url
    if not url.startswith(("sqlite://", "postgresql://", "postgresql+psycopg://")):
        raise ConfigError(
            f"database.url {url!r} must start with sqlite:// or postgresql+psycopg://"
        )
    if config.seeds.max_file_mb <= 0:
        raise ConfigError("seeds.max_file_mb must be greater than 0")
    if config.seeds.ingest_interval_minutes < 0:
        raise ConfigError("seeds.ingest_interval_minutes must be 0 (off) or more")
    try:
        ZoneInfo(config.bot.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"bot.timezone {config.bot.timezone!r} is not an IANA timezone such as Asia/Shanghai"
        ) from None
    if config.bot.log_level.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ConfigError("bot.log_level must be one of DEBUG, INFO, WARNING, ERROR")
    if config.bot.max_subscriptions_per_chat < 1:
        raise ConfigError("bot.max_subscriptions_per_chat must be 1 or more")
    if config.bot.max_channel_subscriptions_per_user < 1:
        raise ConfigError("bot.max_channel_subscriptions_per_user must be 1 or more")
    if not 0 <= config.digest.build_processes <= 32:
        raise ConfigError("digest.build_processes must be from 0 to 32")
    if config.digest.grace_hours < 0:
        raise ConfigError("digest.grace_hours must be 0 or more")
    for key in ("overall_per_second", "private_per_second", "group_per_minute", "retry_hours"):
        if getattr(config.delivery, key) <= 0:
            raise ConfigError(f"delivery.{key} must be greater than 0")
    if config.delivery.max_attempts < 0:
        raise ConfigError("delivery.max_attempts must be 0 (no cap) or more")
    shared = config.delivery.shared_limits
    if shared not in ("auto", "none", "database") and not shared.startswith(
        ("redis://", "rediss://", "unix://")
    ):
        raise ConfigError(
            f"delivery.shared_limits must be auto, none, database or a redis:// URL, not {shared!r}"
        )
    fetch = config.fetch
    for key in ("timeout_seconds", "max_page_mb", "paused_retry_hours"):
        if getattr(fetch, key) <= 0:
            raise ConfigError(f"fetch.{key} must be greater than 0")
    if fetch.host_delay_seconds < 0 or fetch.retries < 0:
        raise ConfigError("fetch.host_delay_seconds and fetch.retries must be 0 or more")
    if fetch.max_pages_per_round < 1 or fetch.pause_after_failures < 1:
        raise ConfigError("fetch.max_pages_per_round and fetch.pause_after_failures must be 1+")
    if not 0 <= config.ops.port <= 65535:
        raise ConfigError("ops.port must be from 0 (off) to 65535")
    if config.ops.port and not config.ops.listen.strip():
        raise ConfigError("ops.listen must be an address, e.g. 127.0.0.1 or 0.0.0.0")
    telegram = config.telegram
    if not 1 <= telegram.webhook_port <= 65535:
        raise ConfigError("telegram.webhook_port must be from 1 to 65535")
    secret = telegram.webhook_secret
    if secret and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
        raise ConfigError("telegram.webhook_secret must be 1-256 of A-Z, a-z, 0-9, _ and -")
    base = config.telegram.base_url
    if base and not base.startswith(("http://", "https://")):
        raise ConfigError("telegram.base_url must start with http:// or https://")
