"""The exception tree: names, codes, statuses, messages, and the mapping back from HTTP."""

from __future__ import annotations

import pickle

import pytest

from pixlake import errors
from pixlake.errors import (
    AlreadyExistsError,
    InvalidInputError,
    InvalidQueryError,
    NetworkError,
    PayloadTooLargeError,
    PicselliaError,
    PixlakeError,
    ResourceNotFoundError,
    UnsupportedFeatureError,
    error_class_for,
)


def test_contract_names_share_one_root() -> None:
    for name in errors.__all__:
        obj = getattr(errors, name)
        if isinstance(obj, type):
            assert issubclass(obj, PicselliaError), name
    assert PixlakeError is PicselliaError


@pytest.mark.parametrize(
    ("cls", "status", "prefix"),
    [
        (InvalidQueryError, 400, "Invalid query : "),
        (errors.UnauthorizedError, 401, "Unauthorized : "),
        (errors.ForbiddenError, 403, "Not allowed : "),
        (ResourceNotFoundError, 404, "Not found : "),
        (AlreadyExistsError, 409, "Invalid query : "),
        (PayloadTooLargeError, 413, "Invalid query : "),
        (InvalidInputError, 422, "Invalid query : "),
    ],
)
def test_statuses_and_message_prefixes(cls: type[PicselliaError], status: int, prefix: str) -> None:
    assert cls.status_code == status
    assert str(cls("the reason")) == prefix + "the reason"
    assert error_class_for(None, status) is cls


def test_pixlake_additions_are_invalid_queries() -> None:
    for cls in (AlreadyExistsError, PayloadTooLargeError, InvalidInputError, errors.TyperError):
        assert issubclass(cls, InvalidQueryError)


def test_code_wins_over_status() -> None:
    assert error_class_for("already_exists", 400) is AlreadyExistsError
    assert error_class_for("no-such-code", 418) is PicselliaError
    assert error_class_for(None, 500) is PicselliaError


def test_details_are_listed_in_the_message() -> None:
    exc = InvalidInputError(
        "2 files were refused",
        details=[
            {"file": "a.jpg", "message": "not an image"},
            {"field": "tags[0]", "message": "expected a tag"},
        ],
    )
    text = str(exc)
    assert "a.jpg: not an image" in text
    assert "tags[0]: expected a tag" in text


def test_a_line_is_written_as_compilers_write_it() -> None:
    exc = InvalidInputError(
        "2 files are not valid",
        details=[
            {"file": "labels/a.txt", "line": 3, "field": None, "message": "expected 5 values"},
            {"file": "x.json", "line": 2, "field": "images[0]", "message": "expected a list"},
        ],
    )
    lines = str(exc).splitlines()[1:]
    assert lines == [
        "  - labels/a.txt:3: expected 5 values",
        "  - x.json:2: images[0]: expected a list",
    ]


def test_long_detail_lists_are_cut() -> None:
    exc = InvalidInputError("many", details=[{"message": f"p{i}"} for i in range(50)])
    assert "... and 30 more" in str(exc)


def test_errors_survive_pickling() -> None:
    exc = InvalidInputError("bad", details=[{"field": "x", "message": "y"}])
    back = pickle.loads(pickle.dumps(exc))
    assert type(back) is InvalidInputError
    assert back.details == exc.details


def test_unsupported_is_also_not_implemented() -> None:
    assert issubclass(UnsupportedFeatureError, NotImplementedError)
    assert issubclass(NetworkError, PicselliaError)
