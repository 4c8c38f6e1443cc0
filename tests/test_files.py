"""Files written into a folder and nowhere else: through ``<name>.part``, never through a
link or into a second name of a file, renamed once whole."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pixlake.files import is_plain_file, open_partial, partial_of, publish, write_new


def test_a_file_is_written_through_its_part_and_renamed(tmp_path: Path) -> None:
    dest = tmp_path / "a.jpg"
    out, offset = open_partial(dest)
    with out:
        out.write(b"half")
        out.flush()
        assert offset == 0 and not dest.exists() and partial_of(dest).read_bytes() == b"half"
    assert publish(dest) == dest and dest.read_bytes() == b"half"
    assert not partial_of(dest).exists()


def test_resuming_continues_a_plain_part_file(tmp_path: Path) -> None:
    dest = tmp_path / "w.bin"
    partial_of(dest).write_bytes(b"12345")
    out, offset = open_partial(dest, resume=True)
    with out:
        out.write(b"678")
    assert offset == 5 and partial_of(dest).read_bytes() == b"12345678"


@pytest.mark.parametrize("resume", [False, True])
@pytest.mark.parametrize("plant", ["link", "dangling link", "hard link"])
def test_a_planted_part_file_is_replaced_never_written_through(
    tmp_path: Path, plant: str, resume: bool
) -> None:
    victim = tmp_path / "victim"
    victim.write_bytes(b"keep me")
    folder = tmp_path / "folder"
    folder.mkdir()
    dest = folder / "a.jpg"
    if plant == "link":
        partial_of(dest).symlink_to(victim)
    elif plant == "dangling link":
        partial_of(dest).symlink_to(tmp_path / "made-outside")
    else:
        os.link(victim, partial_of(dest))

    out, offset = open_partial(dest, resume=resume)
    with out:
        out.write(b"new")
    publish(dest)

    assert offset == 0
    assert victim.read_bytes() == b"keep me" and not (tmp_path / "made-outside").exists()
    assert is_plain_file(dest) and dest.read_bytes() == b"new"


def test_a_link_at_the_final_name_is_replaced(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_bytes(b"keep me")
    dest = tmp_path / "folder" / "a.jpg"
    dest.parent.mkdir()
    dest.symlink_to(victim)
    assert not is_plain_file(dest)
    write_new(dest, b"new")
    assert victim.read_bytes() == b"keep me" and is_plain_file(dest)


def test_a_folder_in_the_way_is_an_error_that_names_it(tmp_path: Path) -> None:
    dest = tmp_path / "a.jpg"
    partial_of(dest).mkdir()
    with pytest.raises(IsADirectoryError, match="a folder is in the way"):
        write_new(dest, b"x")
