"""``pixlake``: run the server, manage tokens and the schema, see a demo.

Errors print as one ``Error: …`` line with a stable exit code, never a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Annotated

import typer

from pixlake._text import counted, splits_text
from pixlake._version import __version__
from pixlake.errors import PicselliaError
from pixlake.formats.registry import BUILTIN, names_text

if TYPE_CHECKING:
    from rich.console import Console

    from pixlake.sdk import Context
    from pixlake.store.db.engine import Database

#: Help is click's plain text, not typer's rich rendering: that one loads rich's markdown,
#: table and traceback renderers (and pygments), which tripled ``pixlake --help``'s start
#: (decision 0026).  Up to 120 columns on a wide terminal, so that summaries are not cut.
app = typer.Typer(
    name="pixlake",
    rich_markup_mode=None,
    context_settings={"max_content_width": 120},
    help=(
        "pixlake: a self-hosted computer-vision data platform.\n\n"
        "Start with `pixlake demo`. Everything lives under PIXLAKE_HOME (default ~/.pixlake) "
        "unless PIXLAKE_DATABASE_URL or PIXLAKE_STORAGE_URL say otherwise."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
token_app = typer.Typer(
    help="Create, list and revoke API tokens.", no_args_is_help=True, rich_markup_mode=None
)
app.add_typer(token_app, name="token")
user_app = typer.Typer(
    help="Users who sign in to the web UI with a password.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(user_app, name="user")


@cache
def _err() -> Console:
    """Standard error, for what is said beside a command's output (rich, loaded when a
    command first says something: ``--help`` and ``--version`` do without it)."""
    from rich.console import Console

    return Console(stderr=True)


#: The formats an import reads and an export writes, for the help (a format an installed
#: package adds is taken as well: ``pixlake.formats.registry``).
_READ_FORMATS = names_text(d.name for d in BUILTIN if d.reader is not None)
_EXPORT_FORMATS = names_text(d.name for d in BUILTIN if d.exports)
_INPUTS = "; ".join(f"{d.name}: {d.input_text}" for d in BUILTIN if d.reader is not None)

#: Exit codes: 1 for a refused request or bad input, 2 for usage (typer's own), 3 for a
#: server that cannot be reached, 4 for an outdated database.
EXIT_ERROR = 1
EXIT_NETWORK = 3
EXIT_SCHEMA = 4


def _version(value: bool) -> None:
    if value:  # with other arguments: alone, it is answered before this module is loaded
        from pixlake.cli import version_line

        typer.echo(version_line())
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose",
            "-v",
            help="Also print each step's message (on standard error), such as how many "
            "uploaded images were new.",
        ),
    ] = False,
) -> None:
    """pixlake command line."""
    if verbose:
        import logging

        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        log = logging.getLogger("pixlake")
        log.addHandler(handler)
        log.setLevel(logging.INFO)


#: How the SDK names an argument, and the flag a command takes it as: the SDK's errors speak
#: of its parameters (``imgdir``), a command's must speak of its flags (``--images``).
_CONNECTION_FLAGS = {"api_token=...": "--token TOKEN", "host=...": "--host URL"}
_IMPORT_FLAGS = {
    **_CONNECTION_FLAGS,
    "imgdir": "--images",
    "ann_path": "--annotations",
    "ann_format": "--format",
}
_EXPORT_FLAGS = {
    **_CONNECTION_FLAGS,
    "zip=True": "--zip",
    "yolo_mode": "--yolo-mode",
    "yolo_absolute": "--yolo-absolute",
}


def _in_flags(exc: PicselliaError, flags: dict[str, str]) -> PicselliaError:
    """``exc`` again (same class), its message and details naming ``flags``' flags where
    they name the SDK's parameters.  A name is replaced only as a word of its own, not
    inside a path (``/data/imgdir/a.jpg`` stays)."""
    import re

    edge = r"[\w/\\.'\"-]"  # what a path or a quoted name goes on with
    pattern = re.compile(rf"(?<!{edge})({'|'.join(map(re.escape, flags))})(?!{edge})")

    def named(text: str) -> str:
        return pattern.sub(lambda m: flags[m.group(1)], text)

    details = [
        {
            k: named(v) if k in ("field", "message") and isinstance(v, str) else v
            for k, v in d.items()
        }
        for d in exc.details
    ]
    return type(exc)(named(exc.message), details=details)


@contextmanager
def _flags(flags: dict[str, str]) -> Iterator[None]:
    """Errors raised in the block name the command's flags, not the SDK's parameters."""
    try:
        yield
    except PicselliaError as exc:
        raise _in_flags(exc, flags) from exc


def _sdk(token: str | None, organization: str | None, host: str | None) -> Context:
    """The SDK's connection for a command: progress bars on a terminal, and none of the
    SDK's own messages, since each command says what it did (``--verbose`` shows them)."""
    from pixlake.sdk import Context

    return Context.open(token, organization, host, chatty=False)


@app.command()
def serve(
    host: Annotated[
        str, typer.Option(metavar="ADDRESS", help="Interface to listen on.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(metavar="PORT", help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, metavar="N", help="Worker processes.")] = 1,
    log_level: Annotated[
        str, typer.Option(metavar="LEVEL", help="uvicorn log level: debug, info, warning, error.")
    ] = "info",
) -> None:
    """Run the server: the web UI at http://HOST:PORT/, the API's docs at /docs.

    A new database is created on first start; an outdated one is refused until you run
    `pixlake migrate`. Sign in to the web UI with a password (`pixlake user create NAME`)
    or an API token (`pixlake token create NAME`).
    """
    import uvicorn

    from pixlake.core.config import Settings
    from pixlake.store.db.engine import Database
    from pixlake.store.db.schema import ensure_schema

    settings = Settings()
    db = Database(settings.database_url)
    try:
        ensure_schema(db)  # once, before any worker starts
    finally:
        db.dispose()
    _err().print(f"pixlake {__version__}: database {settings.database_url}")
    _err().print(f"pixlake {__version__}: storage  {settings.storage_url}")
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    _err().print(f"pixlake {__version__}: web UI   http://{shown}:{port}/ (API docs at /docs)")
    uvicorn.run(
        "pixlake.api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
    )


@app.command()
def migrate() -> None:
    """Upgrade the database schema to this version of pixlake (back it up first)."""
    from pixlake.core.config import Settings
    from pixlake.store.db.engine import Database
    from pixlake.store.db.schema import schema_state, upgrade

    settings = Settings()
    db = Database(settings.database_url)
    try:
        before = schema_state(db)
        if before.up_to_date:
            typer.echo(f"database already at revision {before.head}")
            return
        after = upgrade(db)
        typer.echo(f"database upgraded from {before.current or 'nothing'} to {after.current}")
    finally:
        db.dispose()


@app.command()
def gc(
    grace_hours: Annotated[
        float,
        typer.Option(
            "--grace-hours",
            min=0,
            metavar="HOURS",
            help="Leave alone whatever was written (or stored again) this recently.",
        ),
    ] = 24.0,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what would go, and remove nothing.")
    ] = False,
) -> None:
    """Free the space of bytes nothing refers to any more (deleted pictures, files, networks).

    Safe while servers run: nothing younger than the grace period goes, nor anything a row,
    a queued or running job, or a composite file still needs. Run it from cron, e.g. daily.

    Example: `pixlake gc --dry-run`
    """
    from datetime import timedelta

    from pixlake.core.config import Settings
    from pixlake.core.garbage import collect_garbage
    from pixlake.store.blobs import open_blob_store

    db = _database()
    try:
        report = collect_garbage(
            db,
            open_blob_store(Settings().storage_url),
            grace=timedelta(hours=grace_hours),
            dry_run=dry_run,
        )
    finally:
        db.dispose()
    verb = "would remove" if dry_run else "removed"
    typer.echo(
        f"{verb} {report.grants} grants, {report.blobs} blob records and {report.files} files "
        f"({report.bytes_freed / 2**20:.1f} MiB), and {report.temporary} unfinished temporary "
        "files"
    )


@app.command()
def fsck(
    repair: Annotated[
        bool,
        typer.Option(
            "--repair",
            help="Fix what is safe: remove unfinished and unrecorded files past the grace, "
            "quarantine corrupt bytes, drop grants to nobody.",
        ),
    ] = False,
    all_blobs: Annotated[
        bool, typer.Option("--all", help="Hash every blob (default: a sample, see --sample).")
    ] = False,
    sample: Annotated[
        float,
        typer.Option(
            "--sample",
            min=0,
            max=1,
            metavar="FRACTION",
            help="The fraction of the blobs to hash (at least 100 are).",
        ),
    ] = 0.01,
    grace_hours: Annotated[
        float,
        typer.Option(
            "--grace-hours",
            min=0,
            metavar="HOURS",
            help="Leave alone whatever was written this recently (writes in flight).",
        ),
    ] = 24.0,
) -> None:
    """Check that the database and the stored bytes agree, and say what to do where not.

    Finds records whose bytes are missing, bytes that do not hash to their name, bytes and
    temporary files nothing records, and grants to nobody. Exits 1 while a finding is left.

    Example: `pixlake fsck`, then `pixlake fsck --repair`
    """
    from datetime import timedelta

    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from pixlake.core.config import Settings
    from pixlake.core.fsck import check_store
    from pixlake.store.blobs import open_blob_store

    db = _database()
    try:
        report = check_store(
            db,
            open_blob_store(Settings().storage_url),
            repair=repair,
            sample=1.0 if all_blobs else sample,
            grace=timedelta(hours=grace_hours),
        )
    finally:
        db.dispose()
    if report.findings:
        table = Table("finding", "subject", "detail", "repaired", title="pixlake fsck")
        for f in report.findings:
            table.add_row(f.kind, escape(f.subject), escape(f.detail), "yes" if f.repaired else "")
        Console().print(table)
    left = len(report.unrepaired)
    typer.echo(
        f"checked {report.blobs} blob records and {report.files} stored files "
        f"({report.hashed} hashed): {len(report.findings)} findings, "
        f"{len(report.findings) - left} repaired"
    )
    if left:
        hint = "" if repair else "; run pixlake fsck --repair to fix what is safe"
        _err().print(f"{left} findings left{hint}")
        raise typer.Exit(1)


@token_app.command("create")
def token_create(
    username: Annotated[
        str, typer.Argument(metavar="USERNAME", help="The user; created when missing.")
    ],
    organization: Annotated[
        str | None,
        typer.Option(
            metavar="NAME",
            help="Organization to join; created when missing. A new user's default "
            "organization is this one, else a personal one named after the user.",
        ),
    ] = None,
    name: Annotated[str, typer.Option(metavar="NOTE", help="A note to tell tokens apart.")] = "",
    role: Annotated[
        str | None,
        typer.Option(
            metavar="ROLE",
            help="The user's role in --organization: owner, admin, member (the default when "
            "joining) or viewer (reads only); changes the role of a user already in it.",
        ),
    ] = None,
    expires_in: Annotated[
        str | None,
        typer.Option(
            "--expires-in",
            metavar="DURATION",
            help="The token stops working after this long: 90m, 12h, 30d or 2w "
            "(default: never, until revoked).",
        ),
    ] = None,
) -> None:
    """Create an API token and print it alone on stdout (it is shown only once).

    Example: `export PIXLAKE_TOKEN=$(pixlake token create alice --organization acme)`

    A read-only token for a CI job, valid for a week:
    `pixlake token create ci-bot --organization acme --role viewer --expires-in 7d`
    """
    from pixlake.core import accounts
    from pixlake.entities.accounts import ROLES

    lifetime = _duration(expires_in, "--expires-in") if expires_in is not None else None
    if role is not None and role not in ROLES:
        raise typer.BadParameter(
            f"{role!r}: expected one of {', '.join(ROLES)}", param_hint="--role"
        )
    if role is not None and organization is None:
        raise typer.BadParameter(
            "a role is a role in an organization: give --organization too", param_hint="--role"
        )
    db = _database()
    try:
        token, info = accounts.create_token(
            db,
            username,
            organization=organization,
            name=name,
            role=role,  # checked against ROLES above
            expires_in=lifetime,
        )
    finally:
        db.dispose()
    until = f", expires {info.expires_at:%Y-%m-%d %H:%M} UTC" if info.expires_at else ""
    _err().print(
        f"token {info.prefix}… for {info.username} (organization {info.organization.name}"
        f"{until}); store it now, it will not be shown again"
    )
    typer.echo(token)


_PASSWORD_STDIN_HELP = (
    "Read the password from the first line of standard input instead of asking for it "
    '(for scripts: `echo "$PASSWORD" | pixlake user create ... --password-stdin`).'
)


def _password(from_stdin: bool) -> str:
    """The new password: the first line of standard input with ``--password-stdin``, else
    asked for twice without echo (which needs a terminal)."""
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            raise typer.BadParameter(
                "standard input is empty: send the password on it", param_hint="--password-stdin"
            )
        return line.removesuffix("\n").removesuffix("\r")
    if not sys.stdin.isatty():
        raise typer.BadParameter(
            "standard input is not a terminal, so the password cannot be asked for: "
            "send it on standard input with --password-stdin",
            param_hint="--password-stdin",
        )
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


@user_app.command("create")
def user_create(
    username: Annotated[
        str, typer.Argument(metavar="USERNAME", help="The user; created when missing.")
    ],
    organization: Annotated[
        str | None,
        typer.Option(
            metavar="NAME",
            help="Organization to join; created when missing. A new user's default "
            "organization is this one, else a personal one named after the user.",
        ),
    ] = None,
    role: Annotated[
        str | None,
        typer.Option(
            metavar="ROLE",
            help="The user's role in --organization: owner, admin, member (the default when "
            "joining) or viewer (reads only).",
        ),
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help=_PASSWORD_STDIN_HELP)
    ] = False,
) -> None:
    """Give a user a password to sign in to the web UI with, creating the user when missing.

    Asks for the password twice (it is stored as its Argon2id hash only). A user that
    `pixlake token create` made keeps its tokens and gets a password too.

    Example: `pixlake user create alice --organization acme`
    """
    from pixlake.core import sessions
    from pixlake.entities.accounts import ROLES

    if role is not None and role not in ROLES:
        raise typer.BadParameter(
            f"{role!r}: expected one of {', '.join(ROLES)}", param_hint="--role"
        )
    password = _password(password_stdin)
    db = _database()
    try:
        sessions.create_user(db, username, password, organization=organization, role=role)
    finally:
        db.dispose()
    _err().print(f"{username} can now sign in with this password")


@user_app.command("password")
def user_password(
    username: Annotated[str, typer.Argument(metavar="USERNAME", help="Whose password.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help=_PASSWORD_STDIN_HELP)
    ] = False,
) -> None:
    """Change a user's password; the user is signed out everywhere.

    Example: `pixlake user password alice`
    """
    from pixlake.core import sessions

    password = _password(password_stdin)
    db = _database()
    try:
        ended = sessions.set_password(db, username, password)
    finally:
        db.dispose()
    signed_out = f"; {ended} session(s) ended" if ended else ""
    _err().print(f"{username}'s password is changed{signed_out}")


_DURATION_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def _duration(text: str, flag: str) -> timedelta:
    """``90m``, ``12h``, ``30d``, ``2w`` as a duration; a usage error naming ``flag`` else."""
    number, unit = text[:-1], text[-1:].lower()
    if unit not in _DURATION_UNITS or not number.isdigit() or int(number) == 0:
        raise typer.BadParameter(
            f"{text!r} is not a duration: expected a positive number and a unit, m (minutes), "
            "h (hours), d (days) or w (weeks), such as 30d",
            param_hint=flag,
        )
    return timedelta(seconds=int(number) * _DURATION_UNITS[unit])


@token_app.command("list")
def token_list(
    username: Annotated[str, typer.Argument(metavar="USERNAME", help="Whose tokens.")],
) -> None:
    """List a user's tokens by prefix (never the tokens themselves)."""
    from pixlake.core import accounts

    db = _database()
    try:
        for t in accounts.list_tokens(db, username):
            if t.revoked_at:
                state = f"revoked {t.revoked_at:%Y-%m-%d}"
            elif t.expires_at and t.expires_at <= datetime.now(UTC):
                state = f"expired {t.expires_at:%Y-%m-%d}"
            elif t.expires_at:
                state = f"until {t.expires_at:%Y-%m-%d %H:%M}"
            else:
                state = "active"
            used = f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never"
            typer.echo(f"{t.prefix}  {state:<18} last used {used:<16} {t.name}")
    finally:
        db.dispose()


@token_app.command("revoke")
def token_revoke(
    token: Annotated[
        str,
        typer.Argument(metavar="TOKEN", help="The token, or the prefix `token list` shows."),
    ],
) -> None:
    """Revoke a token: requests with it are refused from now on."""
    from pixlake.core import accounts

    db = _database()
    try:
        info = accounts.revoke_token(db, token)
    finally:
        db.dispose()
    _err().print(f"token {info.prefix}… of {info.username} revoked")


TokenOption = Annotated[
    str | None,
    typer.Option(
        envvar="PIXLAKE_TOKEN",
        metavar="TOKEN",
        help="API token (default: $PIXLAKE_TOKEN).",
        show_default=False,
    ),
]
HostOption = Annotated[
    str | None,
    typer.Option(
        envvar="PIXLAKE_HOST",
        metavar="URL",
        help="Server URL (default: $PIXLAKE_HOST or http://127.0.0.1:8000).",
        show_default=False,
    ),
]
OrgOption = Annotated[
    str | None,
    typer.Option(metavar="NAME", help="Organization name (default: your default organization)."),
]


@app.command("import")
def import_(
    name: Annotated[
        str,
        typer.Argument(
            metavar="NAME", help="The dataset to create (or, without --images, to annotate)."
        ),
    ],
    images: Annotated[
        str | None,
        typer.Option(
            "--images",
            metavar="FOLDER",
            help="Folder of images: its image files, and those the annotations place in its "
            "subfolders (train/a.jpg; for YOLO and a COCO folder, the dataset's own folder); "
            "leave it out to annotate an existing version.",
        ),
    ] = None,
    annotations: Annotated[
        str | None,
        typer.Option(
            "--annotations",
            metavar="PATH",
            help=f"The annotations, as their format has them ({_INPUTS}).",
        ),
    ] = None,
    format: Annotated[
        str, typer.Option("--format", metavar="FORMAT", help=f"{_READ_FORMATS}.")
    ] = "COCO",
    tags: Annotated[
        str | None,
        typer.Option(metavar="TAGS", help="Comma-separated tags for the images (default: today)."),
    ] = None,
    rectangle: Annotated[
        bool, typer.Option(help="Import boxes where COCO has both boxes and polygons.")
    ] = False,
    split_tags: Annotated[
        bool,
        typer.Option(
            help="Tag each picture with its split (train, val...) as well; the version keeps "
            "the splits either way."
        ),
    ] = True,
    version: Annotated[
        str | None,
        typer.Option(
            "--version",
            metavar="VERSION",
            help="Without --images: the version to annotate (default: the latest). An import "
            "with --images always creates the version 'first'.",
        ),
    ] = None,
    token: TokenOption = None,
    host: HostOption = None,
    organization: OrgOption = None,
) -> None:
    """Import a dataset: a folder of images plus their annotations, in one call.

    Example: `pixlake import cars --images imgs/ --annotations instances.json --format COCO`

    A YOLO dataset (Ultralytics' data.yaml with its splits, Darknet's obj.data, or images/
    beside labels/) is its own images folder:
    `pixlake import cars --images ds/ --annotations ds/ --format YOLO`

    Without `--images`, the annotations are added to an existing version, matched to its
    pictures by file name: `pixlake import cars --version first --annotations more.json`
    """
    from pixlake.errors import AlreadyExistsError, InvalidQueryError
    from pixlake.sdk import Datalake

    if images is not None and version is not None:
        raise InvalidQueryError(
            "--version names the version to annotate, without --images; an import with "
            "--images creates the dataset's version 'first'"
        )
    try:
        with _flags(_IMPORT_FLAGS):
            lake = Datalake(_context=_sdk(token, organization, host))
            record = lake.upload(
                name=name,
                version=version,
                imgdir=images,
                ann_path=annotations,
                ann_format=format if annotations else None,
                tags=[t for t in tags.split(",") if t] if tags else None,
                rectangle=rectangle,
                split_tags=split_tags,
            )
    except AlreadyExistsError as exc:  # said in the command's own terms
        raise AlreadyExistsError(
            f"a dataset named {name!r} already exists, and an import with --images creates "
            "one: choose another name, or leave --images out to annotate one of its versions "
            "(--version)"
        ) from exc
    typer.echo(
        f"{record['dataset_name']}/{record['version']}: {record['size']} pictures"
        f"{splits_text(record.get('splits') or {})}, "
        f"{record['nb_annotations']} annotated, {record['nb_objects']} objects"
    )


@app.command()
def export(
    dataset: Annotated[
        str,
        typer.Argument(
            metavar="NAME/VERSION", help="The version to export (VERSION may be latest)."
        ),
    ],
    to: Annotated[
        str, typer.Option("--to", metavar="PATH", help="Target folder (or .zip file with --zip).")
    ],
    format: Annotated[
        str, typer.Option("--format", metavar="FORMAT", help=f"{_EXPORT_FORMATS}.")
    ] = "COCO",
    zip: Annotated[
        bool, typer.Option("--zip", help="Write one zip file instead of a folder.")
    ] = False,
    yolo_mode: Annotated[
        str | None,
        typer.Option(
            "--yolo-mode",
            metavar="MODE",
            help="YOLO only: 'detect' (box rows, the default) or 'segment' (polygon rows).",
        ),
    ] = None,
    yolo_absolute: Annotated[
        bool,
        typer.Option(
            "--yolo-absolute",
            help="YOLO only: data.yaml gives the export's absolute folder as 'path' (without "
            "it, Ultralytics reads the folders beside data.yaml).",
        ),
    ] = False,
    status: Annotated[
        str | None,
        typer.Option(
            "--status",
            metavar="STATUS",
            help="Only the pictures whose annotation has this review status: pending, "
            "accepted, rejected or review.",
        ),
    ] = None,
    token: TokenOption = None,
    host: HostOption = None,
    organization: OrgOption = None,
) -> None:
    """Export a dataset version with its images, as COCO, PASCAL-VOC or YOLO.

    Example: `pixlake export cars/first --format YOLO --to exports/cars-yolo`

    Only the pictures whose annotation was accepted, with every label:

    `pixlake export cars/first --status accepted --to exports/cars-accepted`
    """
    from pixlake.formats import format_name
    from pixlake.sdk import Dataset
    from pixlake.sdk.dataset import split_name

    with _flags(_EXPORT_FLAGS):
        name, version = split_name(dataset)
        ds = Dataset(_context=_sdk(token, organization, host)).fetch(name, version)
        path = ds.export(
            format, to, zip=zip, yolo_mode=yolo_mode, yolo_absolute=yolo_absolute, status=status
        )
    resolved = f"{name}/{ds.fetched_dataset['version']}"  # "latest" named
    which = f" ({status} pictures)" if status is not None else ""
    typer.echo(f"{resolved}{which} exported as {format_name(format)} to {path}")
    for note in ds.export_notes:
        typer.echo(f"Note: {note}", err=True)


@app.command()
def download(
    dataset: Annotated[
        str,
        typer.Argument(
            metavar="NAME/VERSION", help="The version to download (VERSION may be latest)."
        ),
    ],
    to: Annotated[
        str | None,
        typer.Option(
            "--to",
            metavar="FOLDER",
            help="Target folder (default: NAME/VERSION under this one, latest resolved).",
        ),
    ] = None,
    threads: Annotated[
        int,
        typer.Option("--threads", min=1, metavar="N", help="Parallel downloads (up to 8 at once)."),
    ] = 20,
    token: TokenOption = None,
    host: HostOption = None,
    organization: OrgOption = None,
) -> None:
    """Download the images of a dataset version into a folder, by file name.

    Files already there with the right bytes are kept, so an interrupted download resumes.

    Example: `pixlake download cars/first --to data/cars`
    """
    from pixlake.sdk import Dataset

    with _flags(_CONNECTION_FLAGS):
        ds = Dataset(_context=_sdk(token, organization, host))
        report = ds.download(dataset, to, nb_threads=threads)
    typer.echo(
        f"{report.dataset}: {counted(report.fetched + report.kept, 'picture')} in "
        f"{report.folder} ({report.fetched} fetched, {report.kept} already there)"
    )


@app.command("datasets")
def list_datasets(
    token: TokenOption = None,
    host: HostOption = None,
    organization: OrgOption = None,
) -> None:
    """List the organization's dataset versions, oldest first within each dataset, with
    their counts.

    Example: `pixlake datasets`
    """
    from pixlake.sdk import Dataset

    with _flags(_CONNECTION_FLAGS):
        records = Dataset(_context=_sdk(token, organization, host)).list()
    if not records:
        _err().print("No datasets yet: import one with `pixlake import NAME --images FOLDER`.")
        return
    names = [f"{r['dataset_name']}/{r['version']}" for r in records]
    counts = [
        f"{counted(r['size'], 'picture')}{splits_text(r.get('splits') or {})}," for r in records
    ]
    name_width, count_width = max(map(len, names)), max(map(len, counts))
    for name, count, r in zip(names, counts, records, strict=True):
        labels = counted(len(r["labels"]), "label")
        created = datetime.fromisoformat(str(r["date_created"])).astimezone()  # local time
        typer.echo(
            f"{name:<{name_width}}  {count:<{count_width}} {r['nb_annotations']} annotated, "
            f"{counted(r['nb_objects'], 'object')}, {labels}  created {created:%Y-%m-%d %H:%M}"
        )


@app.command()
def demo(
    serve: Annotated[
        bool, typer.Option("--serve", help="Keep the server running afterwards, for a browser.")
    ] = False,
    port: Annotated[
        int, typer.Option(metavar="PORT", help="Port for the demo server (0: any free one).")
    ] = 8000,
    images: Annotated[
        int, typer.Option(min=1, metavar="N", help="How many images to generate.")
    ] = 50,
) -> None:
    """Show pixlake working end to end on the embedded default (SQLite + a local folder).

    Starts a server, creates a demo organization, user and token, then: uploads generated
    images with tags and fetches a sample by tag; imports a generated COCO dataset, prints
    its label counts and exports it as YOLO; registers a network with its files, labels and
    thumbnail; and logs a short simulated training run. Everything stays in `PIXLAKE_HOME`.

    Example: `pixlake demo --serve` keeps the server up, to look around in a browser.
    """
    from pixlake.cli.demo import run_demo

    run_demo(serve=serve, port=port, n_images=images)


def _database() -> Database:
    from pixlake.core.config import Settings
    from pixlake.store.db.engine import Database
    from pixlake.store.db.schema import ensure_schema

    db = Database(Settings().database_url)
    ensure_schema(db)
    return db


def _print_error(message: str) -> None:
    # not wrapped at the console's width: a problem stays on one line, in logs too
    from rich.markup import escape

    _err().print(f"[red]Error:[/red] {escape(message)}", highlight=False, soft_wrap=True)


def main() -> None:
    """Entry point: run the app, turning pixlake errors and failed file operations into
    one line and an exit code."""
    from pixlake.errors import NetworkError

    try:
        app()
    except PicselliaError as exc:
        _print_error(str(exc))
        if isinstance(exc, NetworkError):
            sys.exit(EXIT_NETWORK)
        if "pixlake.store.db.schema" in sys.modules:  # else no schema was checked
            from pixlake.store.db.schema import OutdatedSchemaError

            if isinstance(exc, OutdatedSchemaError):
                sys.exit(EXIT_SCHEMA)
        sys.exit(EXIT_ERROR)
    except OSError as exc:  # a folder that cannot be written, a disk full: no traceback
        where = f": {exc.filename}" if exc.filename is not None else ""
        _print_error(f"{exc.strerror or exc}{where}")
        sys.exit(EXIT_ERROR)
