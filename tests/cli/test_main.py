"""The ``pixlake`` command, run as a user runs it: a subprocess with its own PIXLAKE_HOME."""

from __future__ import annotations

import os
import re
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, NamedTuple

import httpx
import pytest

from pixlake.api.embedded import EmbeddedServer
from pixlake.core.config import Settings
from pixlake.errors import UnauthorizedError
from pixlake.sdk import Picture

PIXLAKE = str(Path(sys.executable).with_name("pixlake"))


def run(
    home: Path, *args: str, check: bool = True, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PIXLAKE_HOME": str(home), "COLUMNS": "200"}
    env.pop("PIXLAKE_DATABASE_URL", None)
    env.pop("PIXLAKE_STORAGE_URL", None)
    result = subprocess.run(
        [PIXLAKE, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        input="" if stdin is None else stdin,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"exit {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result


def test_help_teaches() -> None:
    out = subprocess.run([PIXLAKE, "--help"], capture_output=True, text=True, check=True).stdout
    commands = (
        "serve",
        "demo",
        "token",
        "user",
        "migrate",
        "gc",
        "fsck",
        "import",
        "datasets",
        "export",
    )
    for command in (*commands, "download"):
        assert command in out
    token_help = subprocess.run(
        [PIXLAKE, "token", "create", "--help"], capture_output=True, text=True, check=True
    ).stdout
    assert "--organization" in token_help and "export PIXLAKE_TOKEN" in token_help


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["import", "--help"]])
def test_starting_loads_neither_the_sdk_nor_the_server(args: list[str]) -> None:
    code = (
        "import sys\n"
        f"sys.argv = ['pixlake', *{args!r}]\n"
        "from pixlake.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "rooms = ('pixlake.sdk', 'pixlake.store', 'pixlake.core', 'pixlake.api', 'httpx', "
        "'sqlalchemy', 'fastapi', 'uvicorn', 'alembic', 'rich.markdown')\n"
        "print(','.join(sorted(m for m in sys.modules "
        "if any(m == r or m.startswith(r + '.') for r in rooms))), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "pixlake" in done.stdout  # the help, or the version
    assert done.stderr.strip() == ""


def test_help_names_what_options_take_and_keeps_sentences_whole(tmp_path: Path) -> None:
    import_help = run(tmp_path, "import", "--help").stdout
    for option, metavar in [
        ("--images", "FOLDER"),
        ("--annotations", "PATH"),
        ("--format", "FORMAT"),
        ("--tags", "TAGS"),
        ("--version", "VERSION"),
        ("--token", "TOKEN"),
        ("--host", "URL"),
    ]:
        assert re.search(rf"{option} +{metavar} ", import_help), option
    # a docstring's line breaks are not the terminal's: a sentence reads on one line
    assert "matched to its pictures by file name" in import_help
    export_help = run(tmp_path, "export", "--help").stdout
    assert "NAME/VERSION" in export_help and re.search(r"--to +PATH ", export_help)
    download_help = run(tmp_path, "download", "--help").stdout
    example = r"^ *Example: `?pixlake download cars/first --to data/cars"  # plain text help
    assert re.search(example, download_help, re.M)


def test_token_create_prints_the_token_alone(tmp_path: Path) -> None:
    result = run(tmp_path, "token", "create", "alice", "--organization", "acme")
    token = result.stdout.strip()
    assert result.stdout == token + "\n"
    assert token.startswith("pxl_") and len(token) > 40
    assert "alice" in result.stderr and "acme" in result.stderr
    # the token is stored hashed: it appears nowhere in the database file
    database = (tmp_path / "pixlake.sqlite").read_bytes()
    assert token.encode() not in database


def test_user_create_takes_a_password_on_stdin_and_stores_only_its_hash(tmp_path: Path) -> None:
    from pixlake.core import sessions
    from pixlake.store.db.engine import Database

    password = "a long enough password"
    done = run(
        tmp_path,
        "user",
        "create",
        "alice",
        "--organization",
        "acme",
        "--password-stdin",
        stdin=password + "\n",
    )
    assert done.stdout == "" and "alice can now sign in" in done.stderr
    assert password.encode() not in (tmp_path / "pixlake.sqlite").read_bytes()
    db = Database(f"sqlite:///{tmp_path / 'pixlake.sqlite'}")
    try:
        caller = sessions.authenticate_session(db, sessions.sign_in(db, "alice", password).token)
        assert caller.default_organization.name == "acme"
    finally:
        db.dispose()
    # a second create refuses, naming the command that changes a password
    again = run(
        tmp_path, "user", "create", "alice", "--password-stdin", stdin="x" * 12, check=False
    )
    assert again.returncode == 1 and "pixlake user password alice" in again.stderr
    changed = run(tmp_path, "user", "password", "alice", "--password-stdin", stdin="new pass 123")
    assert "alice's password is changed; 1 session(s) ended" in changed.stderr


@pytest.mark.parametrize(
    ("args", "stdin", "expected"),
    [
        (["--password-stdin"], "short\n", "at least 8 characters"),
        (["--password-stdin"], "", "standard input is empty"),
        ([], "", "--password-stdin"),  # no terminal to ask on: the flag is named
        (["--role", "boss", "--organization", "acme"], "", "expected one of owner"),
    ],
)
def test_user_create_refuses_clearly_and_writes_nothing(
    tmp_path: Path, args: list[str], stdin: str, expected: str
) -> None:
    done = run(tmp_path, "user", "create", "bob", *args, stdin=stdin, check=False)
    assert done.returncode in (1, 2) and expected in done.stderr
    assert "Traceback" not in done.stderr
    listing = run(tmp_path, "token", "list", "bob", check=False)
    assert "no user named 'bob'" in listing.stderr


def test_tokens_work_then_revoked_tokens_do_not(tmp_path: Path) -> None:
    token = run(tmp_path, "token", "create", "dave").stdout.strip()
    with EmbeddedServer(Settings(home=tmp_path)) as server:
        assert Picture(api_token=token, host=server.url).organization_name == "dave"
        listing = run(tmp_path, "token", "list", "dave").stdout
        assert "active" in listing and token not in listing
        prefix = listing.split()[0]
        run(tmp_path, "token", "revoke", prefix)
        with pytest.raises(UnauthorizedError):
            Picture(api_token=token, host=server.url)
    assert "revoked" in run(tmp_path, "token", "list", "dave").stdout


def test_tokens_can_be_read_only_and_expire(tmp_path: Path) -> None:
    run(tmp_path, "token", "create", "olga", "--organization", "lab")
    made = run(
        tmp_path,
        "token", "create", "ci-bot", "--organization", "lab", "--role", "viewer",
        "--expires-in", "7d",
    )  # fmt: skip
    assert "expires 20" in made.stderr
    assert "until 20" in run(tmp_path, "token", "list", "ci-bot").stdout
    with EmbeddedServer(Settings(home=tmp_path)) as server:
        viewer = Picture(api_token=made.stdout.strip(), host=server.url)
        assert viewer.organization_name == "lab"
    for flags, words in [
        (["--expires-in", "soon"], "--expires-in"),
        (["--expires-in", "0d"], "--expires-in"),
        (["--organization", "lab", "--role", "god"], "--role"),
        (["--role", "viewer"], "--organization"),
    ]:
        bad = run(tmp_path, "token", "create", "x", *flags, check=False)
        assert bad.returncode == 2 and words in bad.stderr, bad.stderr


def test_errors_are_one_line_with_an_exit_code(tmp_path: Path) -> None:
    result = run(tmp_path, "token", "revoke", "pxl_nothing", check=False)
    assert result.returncode == 1
    assert result.stderr.startswith("Error: Not found :")
    assert "Traceback" not in result.stderr
    bad = run(tmp_path, "token", "create", "no spaces allowed", check=False)
    assert bad.returncode == 1 and "username" in bad.stderr
    # a long message is not cut at the console's width (80 columns when not a terminal)
    env = {**os.environ, "PIXLAKE_HOME": str(tmp_path)}
    env.pop("COLUMNS", None)
    long_name = "no spaces " * 10
    long = subprocess.run(
        [PIXLAKE, "token", "create", long_name], capture_output=True, text=True, env=env
    )
    assert long.returncode == 1 and repr(long_name) in long.stderr.splitlines()[0]


def test_migrate_and_outdated_database(tmp_path: Path) -> None:
    first = run(tmp_path, "migrate").stdout
    assert "upgraded from nothing" in first
    assert "already at revision" in run(tmp_path, "migrate").stdout
    import sqlite3

    with sqlite3.connect(tmp_path / "pixlake.sqlite") as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0000'")
    refused = run(tmp_path, "token", "create", "erin", check=False)
    assert refused.returncode == 4
    assert "pixlake migrate" in refused.stderr


def test_demo_runs_twice(tmp_path: Path) -> None:
    first = run(tmp_path, "demo", "--port", "0", "--images", "12")
    assert "fetched 30% of 'train'" in first.stdout
    assert "dataset demo-scenes/first (imported from COCO)" in first.stdout
    assert (tmp_path / "demo" / "exports" / "yolo" / "classes.txt").read_text().split() == [
        "crate",
        "sign",
    ]
    assert "API token for user 'demo': pxl_" in first.stdout
    assert "/docs" in first.stdout
    second = run(tmp_path, "demo", "--port", "0", "--images", "12")
    assert "12 pictures" in second.stdout
    assert "dataset demo-scenes/first (already imported)" in second.stdout


class HomeWithCoco(NamedTuple):
    home: Path  # a PIXLAKE_HOME
    token: str  # of a user of it
    coco: Path  # a COCO dataset: images/ and instances.json
    document: dict[str, Any]  # instances.json


def home_with_coco(tmp_path: Path, user: str, count: int) -> HomeWithCoco:
    from tests.factories import coco_dataset

    home = tmp_path / "home"
    token = run(home, "token", "create", user).stdout.strip()
    document = coco_dataset(tmp_path / "coco", count)
    return HomeWithCoco(home, token, tmp_path / "coco", document)


def test_errors_name_the_flags_not_the_sdk_parameters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home, token, coco, _ = home_with_coco(tmp_path, "gus", 2)
    images, instances = str(coco / "images"), str(coco / "instances.json")
    for variable in ("PIXLAKE_TOKEN", "PICSELLIA_TOKEN"):
        monkeypatch.delenv(variable, raising=False)
    no_token = run(home, "import", "cars", "--images", images, check=False)
    assert no_token.returncode == 1
    assert "pass --token TOKEN or set the PIXLAKE_TOKEN" in no_token.stderr
    assert "api_token" not in no_token.stderr
    with EmbeddedServer(Settings(home=home)) as server:
        monkeypatch.setenv("PIXLAKE_TOKEN", token)
        monkeypatch.setenv("PIXLAKE_HOST", server.url)
        folder = tmp_path / "imgdir"  # a path holding a parameter's name keeps it
        missing = run(home, "import", "cars", "--images", str(folder), check=False)
        assert f"--images '{folder}' is not a folder of images" in missing.stderr
        gone = str(tmp_path / "gone.json")
        no_file = run(
            home, "import", "cars", "--images", images, "--annotations", gone, check=False
        )
        assert f"--annotations '{gone}' does not exist" in no_file.stderr
        unknown = run(
            home, "import", "cars", "--images", images, "--annotations", instances, "--format",
            "nope", check=False,
        )  # fmt: skip
        assert unknown.returncode == 1 and "'nope'" in unknown.stderr
        for result in (missing, no_file, unknown):
            said = result.stderr.replace(str(folder), "FOLDER")
            assert not re.search(r"\b(imgdir|ann_path|ann_format)\b", said), said
        zipped_into = run(home, "export", "cars/latest", "--to", images, "--zip", check=False)
        assert zipped_into.returncode == 1  # no such dataset yet: refused by name
        assert "zip=True" not in zipped_into.stderr


def test_import_and_export_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home, token, coco, document = home_with_coco(tmp_path, "erin", 4)
    with EmbeddedServer(Settings(home=home)) as server:
        monkeypatch.setenv("PIXLAKE_TOKEN", token)
        monkeypatch.setenv("PIXLAKE_HOST", server.url)
        imported = run(
            home,
            "import",
            "cars",
            "--images",
            str(coco / "images"),
            "--annotations",
            str(coco / "instances.json"),
            "--format",
            "coco",
        )
        # one line: what was imported, and none of the SDK's own messages
        objects = len(document["annotations"])
        assert imported.stdout.splitlines() == [
            f"cars/first: 4 pictures, 4 annotated, {objects} objects"
        ]
        listed = run(home, "datasets").stdout.splitlines()
        labels = len(document["categories"])
        assert len(listed) == 1 and listed[0].startswith(
            f"cars/first  4 pictures, 4 annotated, {objects} objects, {labels} labels  created "
        )
        again = run(home, "import", "cars", "--images", str(coco / "images"), check=False)
        assert again.returncode == 1
        assert "'cars' already exists" in again.stderr
        assert "leave --images out to annotate one of its versions" in again.stderr
        out = tmp_path / "yolo"
        exported = run(home, "export", "cars/latest", "--format", "yolo", "--to", str(out))
        assert exported.stdout.splitlines() == [f"cars/first exported as YOLO to {out}"]
        assert len(list((out / "labels").iterdir())) == 4
        pending, accepted = tmp_path / "pending", tmp_path / "accepted"
        kept = run(home, "export", "cars/first", "--status", "pending", "--to", str(pending))
        assert kept.stdout.splitlines() == [
            f"cars/first (pending pictures) exported as COCO to {pending}"
        ]
        assert len(list((pending / "images").iterdir())) == 4  # imported: pending review
        run(home, "export", "cars/first", "--status", "accepted", "--to", str(accepted))
        assert not (accepted / "images").exists()  # none accepted yet
        voc = run(home, "export", "cars/first", "--format", "voc", "--to", str(tmp_path / "voc"))
        assert f"exported as PASCAL-VOC to {tmp_path / 'voc'}" in voc.stdout  # the format's name
        seg = tmp_path / "yolo-seg"
        run(
            home,
            "export",
            "cars/first",
            "--format",
            "yolo",
            "--yolo-mode",
            "segment",
            "--to",
            str(seg),
        )
        rows = [r.split() for p in (seg / "labels").iterdir() for r in p.read_text().splitlines()]
        assert rows and any(len(row) > 5 for row in rows)  # polygons: more than a box's 4
        bad = run(home, "export", "cars", "--to", str(out), check=False)
        assert bad.returncode == 1 and "name/version" in bad.stderr


def test_import_shows_each_step_on_a_terminal(tmp_path: Path) -> None:
    import pty

    home, token, coco, _ = home_with_coco(tmp_path, "erin", 4)
    with EmbeddedServer(Settings(home=home)) as server:
        env = {**os.environ, "PIXLAKE_HOME": str(home), "COLUMNS": "120"}
        env.update(PIXLAKE_TOKEN=token, PIXLAKE_HOST=server.url, TERM="xterm")
        terminal, stderr = pty.openpty()  # the bars are drawn on a terminal only
        with subprocess.Popen(
            [PIXLAKE, "import", "cars", "--images", str(coco / "images")]
            + ["--annotations", str(coco / "instances.json")],
            stdout=subprocess.PIPE,
            stderr=stderr,
            env=env,
        ) as process:
            os.close(stderr)
            drawn = b""
            deadline = time.monotonic() + 120
            while select.select([terminal], [], [], max(0.0, deadline - time.monotonic()))[0]:
                try:
                    chunk = os.read(terminal, 65536)
                except OSError:  # the other end closed: the command ended
                    break
                if not chunk:
                    break
                drawn += chunk
            assert process.wait(timeout=10) == 0
        os.close(terminal)
    screen = drawn.decode("utf-8", "replace")
    for step in ("Reading instances.json", "Uploading", "Importing annotations"):
        assert step in screen, screen


def test_annotations_only_import_and_download_commands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home, token, coco, document = home_with_coco(tmp_path, "fay", 3)
    with EmbeddedServer(Settings(home=home)) as server:
        monkeypatch.setenv("PIXLAKE_TOKEN", token)
        monkeypatch.setenv("PIXLAKE_HOST", server.url)
        none = run(home, "datasets")
        assert none.stdout == "" and "No datasets yet" in none.stderr
        bare = run(home, "import", "cars", "--images", str(coco / "images"))
        assert "cars/first: 3 pictures, 0 annotated, 0 objects" in bare.stdout

        both = run(home, "import", "cars", "--images", str(coco), "--version", "v2", check=False)
        assert both.returncode == 1 and "--version names the version to annotate" in both.stderr
        nothing = run(
            home, "import", "bikes", "--annotations", str(coco / "instances.json"), check=False
        )
        assert nothing.returncode == 1
        assert "no dataset named 'bikes' to add these annotations to" in nothing.stderr

        annotated = run(
            home,
            "import",
            "cars",
            "--version",
            "first",
            "--annotations",
            str(coco / "instances.json"),
        )
        objects = len(document["annotations"])
        assert f"cars/first: 3 pictures, 3 annotated, {objects} objects" in annotated.stdout

        out = tmp_path / "downloaded"
        downloaded = run(home, "download", "cars/first", "--to", str(out))
        assert downloaded.stdout.splitlines() == [
            f"cars/first: 3 pictures in {out} (3 fetched, 0 already there)"
        ]
        assert {p.name: p.read_bytes() for p in out.iterdir()} == {
            p.name: p.read_bytes() for p in (coco / "images").iterdir()
        }
        first, second, _ = sorted(out.iterdir())
        first.unlink()
        second.write_bytes(b"damaged")
        again = run(home, "-v", "download", "cars/latest", "--to", str(out))
        assert f"cars/first: 3 pictures in {out} (2 fetched, 1 already there)" in again.stdout
        assert "Images downloaded: 2 fetched, 1 already there" in again.stderr  # --verbose
        assert {p.name: p.read_bytes() for p in out.iterdir()} == {
            p.name: p.read_bytes() for p in (coco / "images").iterdir()
        }

        missing = run(home, "download", "cars/nope", "--to", str(out), check=False)
        assert missing.returncode == 1 and "nope" in missing.stderr

        a_file = tmp_path / "a-file"
        a_file.write_text("kept")
        onto_file = run(home, "download", "cars/first", "--to", str(a_file), check=False)
        assert onto_file.returncode == 1
        assert f"{a_file} is a file, not a folder" in onto_file.stderr
        under_file = run(home, "download", "cars/first", "--to", str(a_file / "x"), check=False)
        assert under_file.returncode == 1  # the file system's refusal, in one line
        said = f"Error: Invalid query : {a_file / 'x'}: cannot be written (Not a directory)"
        assert under_file.stderr.strip() == said
        assert a_file.read_text() == "kept"


def test_gc_frees_the_bytes_of_deleted_pictures(tmp_path: Path) -> None:
    from tests.conftest import write_images

    home = tmp_path / "home"
    token = run(home, "token", "create", "gus").stdout.strip()
    kept, gone = write_images(tmp_path / "images", 2)
    with EmbeddedServer(Settings(home=home)) as server:
        pic = Picture(api_token=token, host=server.url, interactive=False)
        pic.upload([str(kept), str(gone)])
        doomed = [p for p in pic.list() if p["external_url"] == gone.name]
        pic.delete(doomed)  # the rows go; the bytes stay until collected

        young = run(home, "gc")
        assert "removed 0 grants, 0 blob records and 0 files" in young.stdout  # a day's grace
        size = f"({gone.stat().st_size / 2**20:.1f} MiB)"
        dry = run(home, "gc", "--grace-hours", "0", "--dry-run")
        assert f"would remove 1 grants, 1 blob records and 1 files {size}" in dry.stdout
        done = run(home, "gc", "--grace-hours", "0")
        assert f"removed 1 grants, 1 blob records and 1 files {size}" in done.stdout

        (left,) = pic.list()
        assert left["external_url"] == kept.name
        served = httpx.get(left["url"], headers={"Authorization": f"Token {token}"})
        assert served.content == kept.read_bytes()  # what is still referred to is whole


def test_a_yolo_dataset_with_splits_from_the_shell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.factories import ultralytics_dataset

    home = tmp_path / "home"
    token = run(home, "token", "create", "frank").stdout.strip()
    root = ultralytics_dataset(tmp_path / "ds")
    with EmbeddedServer(Settings(home=home)) as server:
        monkeypatch.setenv("PIXLAKE_TOKEN", token)
        monkeypatch.setenv("PIXLAKE_HOST", server.url)
        imported = run(
            home,
            "import",
            "roads",
            "--images",
            str(root),
            "--annotations",
            str(root),
            "--format",
            "YOLO",
        )
        assert imported.stdout.splitlines() == [
            "roads/first: 6 pictures (train 4, val 2), 6 annotated, 6 objects"
        ]
        listed = run(home, "datasets").stdout
        assert "roads/first  6 pictures (train 4, val 2), 6 annotated" in listed
        out = tmp_path / "out"
        exported = run(
            home,
            "export",
            "roads/first",
            "--format",
            "YOLO",
            "--to",
            str(out),
            "--yolo-absolute",
        )
        assert exported.stdout.splitlines() == [f"roads/first exported as YOLO to {out}"]
        assert f"path: {out.resolve()}" in (out / "data.yaml").read_text()
        assert sorted(p.name for p in (out / "labels").iterdir()) == ["train", "val"]


def test_fsck_says_what_is_wrong_and_repair_fixes_what_is_safe(tmp_path: Path) -> None:
    from tests.conftest import write_images

    home = tmp_path / "home"
    token = run(home, "token", "create", "fay").stdout.strip()
    (image,) = write_images(tmp_path / "images", 1)
    with EmbeddedServer(Settings(home=home)) as server:  # which waits for its jobs
        Picture(api_token=token, host=server.url, interactive=False).upload([str(image)])
    clean = run(home, "fsck", "--all")
    assert clean.stdout.strip() == (  # the picture and its thumbnail
        "checked 2 blob records and 2 stored files (2 hashed): 0 findings, 0 repaired"
    )
    unfinished = home / "blobs" / "tmp" / "upload-7-7"
    unfinished.write_bytes(b"a write a crash stopped")
    found = run(home, "fsck", "--grace-hours", "0", check=False)
    assert found.returncode == 1
    assert "temporary-file" in found.stdout and "tmp/upload-7-7" in found.stdout
    assert "run pixlake fsck --repair to fix what is safe" in found.stderr
    assert unfinished.exists()  # only --repair removes
    fixed = run(home, "fsck", "--grace-hours", "0", "--repair")
    assert "1 findings, 1 repaired" in fixed.stdout and not unfinished.exists()
    assert run(home, "fsck").returncode == 0
