"""The ``newsbot`` command: argument parsing, logging setup, errors to exit codes.

Each subcommand calls one function of the library and prints its result.
Exit status: 0 success, 1 some input failed, 2 usage or configuration error,
3 the database cannot be used.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click
from sqlalchemy.exc import SQLAlchemyError

from newsbot.config import Config, DatabaseConfig, load_config
from newsbot.errors import (
    ConfigError,
    FileTooLargeError,
    InstanceConflictError,
    NewsbotError,
    SeedError,
    StoreError,
)
from newsbot.models import ArticleIn, format_published
from newsbot.telegram_text import html_to_plain

__all__ = ["main"]

log = logging.getLogger("newsbot")

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(slots=True)
class State:
    config_path: str | None
    verbose: int
    quiet: bool
    _config: Config | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            try:
                self._config = load_config(self.config_path)
            except ConfigError as exc:
                raise click.UsageError(f"configuration: {exc}") from None
            _setup_logging(self._config, self.verbose, self.quiet)
        return self._config


class _Redacting(logging.Formatter):
    """Formats records with the bot token blanked out, tracebacks included.

    PTB logs its Bot API URL (``…/bot<token>``) at DEBUG, and some of its errors
    quote the token; whatever a library writes, the token never reaches the log.
    """

    def __init__(self, fmt: str, token: str) -> None:
        super().__init__(fmt)
        self.secrets = [s for s in (token, token.partition(":")[2]) if len(s) >= 8]

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        for secret in self.secrets:
            text = text.replace(secret, "<token>")
        return text


def _setup_logging(config: Config, verbose: int, quiet: bool) -> None:
    level = config.bot.log_level.upper()
    if verbose:
        level = "DEBUG"
    elif quiet:
        level = "WARNING"
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        _Redacting("%(asctime)s %(levelname)s %(name)s: %(message)s", config.telegram.token)
    )
    logging.basicConfig(level=level, handlers=[handler], force=True)
    # Request lines of httpx carry the bot token in the URL: keep them out of the log.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _database_problem(exc: SQLAlchemyError) -> str:
    """What went wrong, in one line: the driver's message, without SQLAlchemy's link."""
    cause = getattr(exc, "orig", None) or exc
    text = str(cause).split("\n(Background on this error", 1)[0]
    return _one_line(text) or type(cause).__name__


@contextmanager
def _errors() -> Iterator[None]:
    """Map library errors to a message and an exit status, without a traceback.

    Any error of the database (a corrupt file, a server gone, a disk full) is exit 3,
    whether it shows when the store opens or in the middle of a command.
    """
    try:
        yield
    except StoreError as exc:
        click.echo(f"error: database: {_one_line(str(exc))}", err=True)
        sys.exit(3)
    except SQLAlchemyError as exc:
        click.echo(f"error: database: {_database_problem(exc)}", err=True)
        sys.exit(3)
    except ConfigError as exc:
        click.echo(f"error: configuration: {exc}", err=True)
        sys.exit(2)
    except NewsbotError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:  # Ctrl-C: a word, not a traceback
        click.echo("interrupted", err=True)
        sys.exit(130)


@contextmanager
def _opening(url: str) -> Iterator[None]:
    """Name the database when it cannot be opened (its folder, its file, its server)."""
    shown = DatabaseConfig(url).display_url
    try:
        yield
    except StoreError as exc:
        raise StoreError(f"{shown}: {_one_line(str(exc))}") from None
    except SQLAlchemyError as exc:
        raise StoreError(f"{shown}: {_database_problem(exc)}") from None
    except OSError as exc:  # the folder of an SQLite file cannot be created
        where = f" {exc.filename}" if exc.filename else ""
        raise StoreError(f"{shown}: cannot create the folder{where}: {exc.strerror}") from None


def _open_store(config: Config) -> Any:
    from newsbot.store import Store

    with _opening(config.database.url):
        return Store.open(config.database.url)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    envvar="NEWSBOT_CONFIG",
    help="TOML config file (default: ./config.toml when present). Env: NEWSBOT_CONFIG.",
)
@click.option("-v", "--verbose", count=True, help="Log debug details.")
@click.option("-q", "--quiet", is_flag=True, help="Log warnings and errors only.")
@click.version_option(package_name="newsbot")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, verbose: int, quiet: bool) -> None:
    """newsbot: a Telegram news-digest bot fed by a store of saved Chinese news pages.

    Start with `newsbot ingest` (loads ./seeds into the database), then
    `newsbot latest` to see what readers will get, and `newsbot run` for the bot.
    """
    ctx.obj = State(config_path, verbose, quiet)


pass_state = click.make_pass_decorator(State)


# ---------------------------------------------------------------------- parse


def _article_json(name: str, article: ArticleIn) -> dict[str, Any]:
    return {
        "file": name,
        "title": article.title,
        "summary": article.summary,
        "summary_generated": article.summary_generated,
        "source": article.source,
        "published": format_published(article.published, article.published_precision),
        "author": article.author,
        "editor": article.editor,
        "breadcrumb": list(article.breadcrumb),
        "keywords": list(article.keywords),
        "tags": list(article.tags),
        "url": article.url,
        "body": article.body_text,
    }


def _article_text(name: str, article: ArticleIn) -> str:
    published = format_published(article.published, article.published_precision)
    summary_kind = "generated" if article.summary_generated else "from the page"
    lines = [
        f"== {name}",
        f"title      {article.title}",
        f"published  {published or '-'}",
        f"source     {article.source or '-'}",
        f"author     {article.author or '-'}",
        f"editor     {article.editor or '-'}",
        f"section    {' › '.join(article.breadcrumb) or '-'}",
        f"keywords   {', '.join(article.keywords) or '-'}",
        f"tags       {', '.join(article.tags) or '-'}",
        f"url        {article.url or '-'}",
        f"summary    ({summary_kind}) {article.summary}",
        f"body       {len(article.body)} paragraphs, {len(article.body_text)} characters",
        "",
        *[f"  {paragraph}\n" for paragraph in article.body],
    ]
    return "\n".join(lines)


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per file (JSON Lines).")
@click.option(
    "--explain",
    is_flag=True,
    help="Show, line by line, what the parser took for what, and which fields it doubts.",
)
@pass_state
def parse(state: State, files: tuple[Path, ...], as_json: bool, explain: bool) -> None:
    """Parse seed FILES and print the recovered fields; the database is not touched.

    Exit status 1 when any file cannot be parsed (reasons go to stderr).
    """
    from newsbot.ingest import prepare_seed
    from newsbot.store import SeedFile

    max_bytes = int(state.config.seeds.max_file_mb * 1_000_000)
    failed = 0
    for path in files:
        try:
            data = path.read_bytes()
        except OSError as exc:
            click.echo(f"{path}: cannot read: {exc.strerror or exc}", err=True)
            failed += 1
            continue
        if explain:
            failed += _explain_page(path, data, max_bytes)
            continue
        if _is_html(path):
            failed += _parse_html_file(path, data, max_bytes, as_json)
            continue
        result = prepare_seed(str(path), data, "", max_bytes)
        if not isinstance(result, SeedFile):
            click.echo(f"{path}: {result.reason}", err=True)
            failed += 1
            continue
        for record in result.records:
            if as_json:
                click.echo(
                    json.dumps(_article_json(record.origin, record.article), ensure_ascii=False)
                )
            else:
                click.echo(_article_text(record.origin, record.article))
    sys.exit(1 if failed else 0)


def _is_html(path: Path) -> bool:
    return path.suffix.lower() in (".html", ".htm")


def _parse_html_file(path: Path, data: bytes, max_bytes: int, as_json: bool) -> int:
    """Print the article of one HTML page; 1 when it has none (the reason to stderr).

    A page fetched by ``newsbot fetch`` is read as ingest reads it, with its fetch
    record (its URL, charset, and what the feed said)."""
    from newsbot.ingest import html_seed_article
    from newsbot.limits import bound_article

    try:
        if len(data) > max_bytes:
            raise FileTooLargeError(f"file is {len(data)} bytes, larger than the limit {max_bytes}")
        article = bound_article(html_seed_article(data))
    except NewsbotError as exc:
        click.echo(f"{path}: {exc}", err=True)
        return 1
    if as_json:
        click.echo(json.dumps(_article_json(str(path), article), ensure_ascii=False))
    else:
        click.echo(_article_text(str(path), article))
    return 0


def _explain_page(path: Path, data: bytes, max_bytes: int) -> int:
    """Print how one page (a dump or an HTML page) was read; 1 when it could not be read."""
    from newsbot.parsing import read_html, read_page
    from newsbot.parsing.explain import explain
    from newsbot.records import looks_like_json
    from newsbot.textio import decode_seed

    try:
        if _is_html(path):
            if len(data) > max_bytes:
                raise FileTooLargeError(
                    f"file is {len(data)} bytes, larger than the limit {max_bytes}"
                )
            click.echo(f"== {path}")
            click.echo(explain(read_html(data)))
            return 0
        text = decode_seed(data, max_bytes=max_bytes)
        if looks_like_json(text):
            click.echo(f"{path}: JSON records carry their fields; there is no page to explain")
            return 0
        reading = read_page(text)
    except NewsbotError as exc:
        click.echo(f"{path}: {exc}", err=True)
        return 1
    click.echo(f"== {path}")
    click.echo(explain(reading))
    return 0


# ---------------------------------------------------------------------- ingest


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Processes parsing in parallel (parsing and keyword extraction dominate).",
)
@click.option(
    "--progress/--no-progress", default=None, help="Progress bar (default: on a terminal)."
)
@pass_state
def ingest(
    state: State, paths: tuple[Path, ...], as_json: bool, workers: int, progress: bool | None
) -> None:
    """Load seed files (default: the configured seed store) into the database.

    Walks folders for .txt, .json and .jsonl files, skips files already stored
    unchanged, and reports each file that fails with a one-line reason. Exit
    status 0 when everything went in, 1 when some files failed.
    """
    from newsbot.ingest import ingest as run_ingest

    config = state.config
    targets = list(paths) or [Path(config.seeds.dir)]
    for target in targets:
        if not target.exists():
            raise click.UsageError(f"seed store {target} does not exist")
    show_bar = sys.stderr.isatty() if progress is None else progress
    with _errors():
        store = _open_store(config)
        try:
            with _progress_bar(show_bar and not as_json) as advance:
                report = run_ingest(
                    store,
                    targets,
                    max_bytes=int(config.seeds.max_file_mb * 1_000_000),
                    progress=advance,
                    workers=workers,
                )
        finally:
            store.close()
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False))
    else:
        for failure in report.failures:
            click.echo(f"failed: {failure.file}: {failure.reason}", err=True)
        click.echo(
            f"{report.files} files: {report.new} new, {report.updated} updated, "
            f"{report.unchanged} unchanged, {report.failed} failed ({report.seconds:.1f}s)"
        )
        click.echo(
            f"parser unsure of {report.uncertain_titles} titles and "
            f"{report.uncertain_dates} dates"
            + (" (newsbot parse --explain FILE shows why)" if report.uncertain_titles
               or report.uncertain_dates else "")
        )
    sys.exit(1 if report.failed else 0)


@contextmanager
def _progress_bar(
    enabled: bool, what: str = "ingesting"
) -> Iterator[Callable[[int, int | None], None] | None]:
    """A progress bar on stderr, fed with (done, total or None while unknown)."""
    if not enabled:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        transient=True,
    ) as bar:
        task = bar.add_task(what, total=None)

        def advance(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        yield advance


# ---------------------------------------------------------------------- bot

NO_TOKEN = """no Telegram bot token is configured.

  1. In Telegram, talk to @BotFather, send /newbot and copy the token it gives.
  2. export NEWSBOT_TELEGRAM_TOKEN='123456:ABC...'   (or [telegram] token in config.toml)
  3. newsbot run

To preview what readers will see without Telegram, try:
  newsbot latest      newsbot tags      newsbot search 营商环境      newsbot show ID"""


@cli.command()
@click.option(
    "--webhook",
    "webhook_url",
    default="",
    metavar="URL",
    help="receive updates on this public https URL instead of long polling "
    "([telegram] webhook_listen, webhook_port, webhook_secret)",
)
@pass_state
def run(state: State, webhook_url: str) -> None:
    """Run the Telegram bot (long polling) until Ctrl-C or SIGTERM.

    Applies migrations, ingests new or changed seed files, and keeps ingesting
    every seeds.ingest_interval_minutes. The token comes from
    NEWSBOT_TELEGRAM_TOKEN or [telegram] token; NEWSBOT_TELEGRAM_BASE_URL points
    at a self-hosted Bot API server. Several instances may share one PostgreSQL
    database: one leads (polls, schedules), the others stand by and send from the
    outbox; on SQLite a second instance is refused.
    """
    config = state.config
    if not config.telegram.token:
        click.echo(f"error: {NO_TOKEN}", err=True)
        sys.exit(2)
    if webhook_url and not webhook_url.startswith(("https://", "http://")):
        click.echo("error: --webhook takes the public URL, e.g. https://host/path", err=True)
        sys.exit(2)
    if webhook_url and not config.telegram.webhook_secret:
        click.echo(
            "error: --webhook needs a secret token: [telegram] webhook_secret or "
            "NEWSBOT_TELEGRAM_WEBHOOK_SECRET",
            err=True,
        )
        sys.exit(2)
    from newsbot.bot.app import run as run_bot

    with _errors():
        try:
            run_bot(config, _open_store(config), webhook_url=webhook_url)
        except InstanceConflictError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)


# ---------------------------------------------------------------------- terminal twins

lang_option = click.option(
    "--lang",
    type=click.Choice(["zh", "en"]),
    default="zh",
    show_default=True,
    help="Reply language.",
)


def _print_chunks(chunks: list[str]) -> None:
    click.echo("\n\n".join(html_to_plain(chunk) for chunk in chunks))


def _reader(state: State) -> tuple[Any, Any]:
    from newsbot.render import Renderer

    config = state.config
    return _open_store(config), Renderer(config.tz, config.bot.templates_dir or None)


def _list_command(state: State, kind: str, args: list[str], lang: str, offset: int) -> None:
    from dataclasses import replace

    from newsbot.queries import UsageError, list_page, nothing_key, parse_list_args

    with _errors():
        store, renderer = _reader(state)
        try:
            try:
                request = parse_list_args(kind, args)  # type: ignore[arg-type]
                request = replace(request, offset=offset)
                note = (
                    renderer.text("note.capped", lang, max=request.count) if request.capped else ""
                )
                view = list_page(store, request, None, note)
            except UsageError as exc:
                raise click.UsageError(
                    html_to_plain(renderer.text(exc.key, lang, **exc.params))
                ) from None
            if not view.items:
                key = nothing_key(request)
                click.echo(
                    html_to_plain(
                        renderer.text(key, lang, tag=request.subject, query=request.subject)
                    )
                )
                similar = []
                if key != "none.more":
                    similar = [t.tag for w in request.words for t in store.similar_tags(w)]
                if similar:
                    click.echo(
                        f"{html_to_plain(renderer.text('none.suggest', lang))} {', '.join(similar)}"
                    )
                sys.exit(1)
            _print_chunks(renderer.render("article_list.html.j2", view, lang))
            if view.has_more:
                click.echo(f"\n(more: --offset {offset + request.count})")
        finally:
            store.close()


offset_option = click.option("--offset", type=click.IntRange(0), default=0, help="Skip this many.")


@cli.command()
@click.argument("count", required=False)
@offset_option
@lang_option
@pass_state
def latest(state: State, count: str | None, offset: int, lang: str) -> None:
    """Print the COUNT newest articles (default 5, at most 20), as /latest shows them."""
    _list_command(state, "latest", [count] if count else [], lang, offset)


@cli.command()
@click.argument("tag_name", metavar="TAG")
@click.argument("count", required=False)
@offset_option
@lang_option
@pass_state
def tag(state: State, tag_name: str, count: str | None, offset: int, lang: str) -> None:
    """Print the newest articles tagged TAG, as /tag shows them."""
    _list_command(state, "tag", [tag_name, *([count] if count else [])], lang, offset)


@cli.command(context_settings={"ignore_unknown_options": True})
@click.argument("words", nargs=-1, required=True, type=click.UNPROCESSED)
@offset_option
@lang_option
@pass_state
def search(state: State, words: tuple[str, ...], offset: int, lang: str) -> None:
    """Print articles containing all WORDS (Chinese substrings of any length).

    WORDS may be one quoted argument ("高新区 服务"); a word starting with - is a word.
    """
    _list_command(state, "search", list(words), lang, offset)


@cli.command()
@lang_option
@pass_state
def tags(state: State, lang: str) -> None:
    """Print the most used tags with their counts, as /tags shows them."""
    from newsbot.queries import top_tags

    with _errors():
        store, renderer = _reader(state)
        try:
            _print_chunks(renderer.render("tags.html.j2", top_tags(store, 30), lang))
        finally:
            store.close()


@cli.command()
@click.argument("article_id", metavar="ID")
@lang_option
@pass_state
def show(state: State, article_id: str, lang: str) -> None:
    """Print the whole article ID, as /read shows it."""
    from newsbot.queries import article

    with _errors():
        store, renderer = _reader(state)
        try:
            view = article(store, article_id, None)
            if view is None:
                click.echo(
                    html_to_plain(renderer.text("error.not_found", lang, id=article_id)), err=True
                )
                sys.exit(1)
            _print_chunks(renderer.render("article.html.j2", view, lang))
        finally:
            store.close()


# ---------------------------------------------------------------------- subscriptions


@cli.group()
def subs() -> None:
    """Manage subscriptions from the server (no Telegram checks: you are the operator)."""


def _print_subs(renderer: Any, subscriptions: list[Any], lang: str) -> None:
    from datetime import UTC, datetime

    from newsbot.digest.builder import subscriptions_view

    view = subscriptions_view(subscriptions, datetime.now(UTC))
    _print_chunks(renderer.render("subscriptions.html.j2", view, lang))


CLI_ACTOR_NAME = "cli"


@subs.command("list")
@click.option("--chat", "chat_id", type=int, help="Only this chat's subscriptions.")
@lang_option
@pass_state
def subs_list(state: State, chat_id: int | None, lang: str) -> None:
    """List subscriptions with chat, filters, times, next delivery and status."""
    with _errors():
        store, renderer = _reader(state)
        try:
            found = store.subscriptions.for_chat(chat_id) if chat_id else store.subscriptions.all()
            for sub in found:
                click.echo(f"[chat {sub.chat_id} · {sub.chat_type}]")
                _print_subs(renderer, [sub], lang)
                click.echo("")
            if not found:
                _print_subs(renderer, [], lang)
        finally:
            store.close()


@subs.command("add", context_settings={"ignore_unknown_options": True})
@click.argument("chat_id", type=int)
@click.argument("words", nargs=-1, type=click.UNPROCESSED)
@click.option(
    "--type",
    "chat_type",
    type=click.Choice(["private", "group", "supergroup", "channel"]),
    default="channel",
    show_default=True,
)
@click.option("--title", default="", help="A name for the chat, shown in lists.")
@lang_option
@pass_state
def subs_add(
    state: State, chat_id: int, words: tuple[str, ...], chat_type: str, title: str, lang: str
) -> None:
    """Subscribe CHAT_ID: WORDS as in /subscribe (#tag word -word at 08:00 tz Area/City)."""
    from datetime import UTC, datetime

    from newsbot.digest.subscriptions import parse_subscribe
    from newsbot.queries import UsageError
    from newsbot.store.subscriptions import Actor

    with _errors():
        store, renderer = _reader(state)
        try:
            try:
                spec = parse_subscribe(list(words), state.config.bot.timezone)
            except UsageError as exc:
                raise click.UsageError(
                    html_to_plain(renderer.text(exc.key, lang, **exc.params))
                ) from None
            sub = store.subscriptions.create(
                chat_id=chat_id,
                chat_type=chat_type,
                chat_title=title,
                spec=spec,
                language=lang,
                actor=Actor(None, CLI_ACTOR_NAME),
                now=datetime.now(UTC),
            )
            _print_subs(renderer, [sub], lang)
            click.echo("(a running bot picks this up within a minute)")
        finally:
            store.close()


@subs.command("remove")
@click.argument("subscription_id", type=int)
@pass_state
def subs_remove(state: State, subscription_id: int) -> None:
    """Remove subscription SUBSCRIPTION_ID."""
    from datetime import UTC, datetime

    from newsbot.store.subscriptions import Actor

    with _errors():
        store, _ = _reader(state)
        try:
            removed = store.subscriptions.remove(
                subscription_id, Actor(None, CLI_ACTOR_NAME), datetime.now(UTC)
            )
        finally:
            store.close()
    if removed is None:
        click.echo(f"no subscription {subscription_id}", err=True)
        sys.exit(1)
    click.echo(f"removed subscription {subscription_id} of chat {removed.chat_id}")


@subs.command("set")
@click.argument("subscription_id", type=int)
@click.argument("settings", nargs=-1, required=True)
@lang_option
@pass_state
def subs_set(state: State, subscription_id: int, settings: tuple[str, ...], lang: str) -> None:
    """Change SUBSCRIPTION_ID: key=value settings as in /set (at, tz, max, summary, ...)."""
    from datetime import UTC, datetime

    from newsbot.digest.subscriptions import apply_settings
    from newsbot.queries import UsageError
    from newsbot.store.subscriptions import Actor

    with _errors():
        store, renderer = _reader(state)
        try:
            sub = store.subscriptions.get(subscription_id)
            if sub is None:
                click.echo(f"no subscription {subscription_id}", err=True)
                sys.exit(1)
            try:
                spec = apply_settings(sub.spec, list(settings))
            except UsageError as exc:
                raise click.UsageError(
                    html_to_plain(renderer.text(exc.key, lang, **exc.params))
                ) from None
            changed = store.subscriptions.change(
                subscription_id, spec, Actor(None, CLI_ACTOR_NAME), datetime.now(UTC)
            )
            _print_subs(renderer, [changed], lang)
        finally:
            store.close()


@cli.command()
@click.option("--preview", is_flag=True, required=True, help="Print without delivering (required).")
@click.option("--subscription", "subscription_id", type=int, help="Default: every active one.")
@lang_option
@pass_state
def digest(state: State, preview: bool, subscription_id: int | None, lang: str) -> None:
    """Print the next digest of a subscription as it would be sent; nothing is marked
    delivered. Without subscriptions, previews a digest of everything new."""
    from datetime import UTC, datetime

    from newsbot.digest.builder import DigestBuilder
    from newsbot.models import Subscription, SubscriptionSpec

    with _errors():
        store, renderer = _reader(state)
        try:
            builder = DigestBuilder(store, renderer)
            now = datetime.now(UTC)
            if subscription_id is not None:
                found = store.subscriptions.get(subscription_id)
                if found is None:
                    click.echo(f"no subscription {subscription_id}", err=True)
                    sys.exit(1)
                subscriptions = [found]
            else:
                subscriptions = store.subscriptions.all(active_only=True)
            if not subscriptions:
                example = Subscription(
                    0,
                    0,
                    "private",
                    "",
                    SubscriptionSpec(timezone=state.config.bot.timezone),
                    lang,
                    True,
                    None,
                    None,
                    now,
                )
                subscriptions = [example]
            for sub in subscriptions:
                _print_chunks(builder.preview(sub, now, None))
                click.echo("")
        finally:
            store.close()


# ---------------------------------------------------------------------- db


@cli.group()
def db() -> None:
    """Database maintenance (migrations run automatically on every start)."""


@db.command("upgrade")
@pass_state
def db_upgrade(state: State) -> None:
    """Apply pending migrations now."""
    from newsbot.store.engine import create_store_engine, migrate, schema_revision

    url = state.config.database.url
    with _errors():
        with _opening(url):
            engine = create_store_engine(url)
            migrate(engine)
        current, head = schema_revision(engine)
        click.echo(f"schema at {current} (newest {head})")


def _register_sources() -> None:
    """``newsbot sources`` and ``newsbot fetch`` live in :mod:`newsbot.cli_sources`."""
    from newsbot.cli_sources import fetch, sources

    cli.add_command(sources)
    cli.add_command(fetch)


_register_sources()


def _register_status() -> None:
    """``newsbot status`` lives in :mod:`newsbot.cli_status`."""
    from newsbot.cli_status import status

    cli.add_command(status)


_register_status()


def main() -> None:
    """Entry point of the console script."""
    try:
        cli.main(prog_name="newsbot", standalone_mode=True)
    except SeedError as exc:  # pragma: no cover - commands catch these themselves
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
