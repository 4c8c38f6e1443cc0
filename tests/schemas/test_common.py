"""Request fields take only their JSON type: what Pydantic's lax mode would coerce is refused
by name, and what JSON can only spell as a string or a list still reads."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from pydantic import ValidationError

from pixlake.schemas.experiments import LogLinesCreate
from pixlake.schemas.pictures import PicturesCreate, PictureSelection, PicturesSample


@pytest.mark.parametrize(
    ("model", "body", "field", "expected"),
    [
        (PicturesCreate, {"pictures": [], "report_missing": 0}, "report_missing", "boolean"),
        (PicturesCreate, {"pictures": [], "report_missing": "yes"}, "report_missing", "boolean"),
        (LogLinesCreate, {"lines": [], "exit_code": False}, "exit_code", "integer or null"),
        (LogLinesCreate, {"lines": [], "exit_code": "3"}, "exit_code", "integer or null"),
        (PicturesSample, {"tags": [], "quantity": "0.5"}, "quantity", "number"),
        (PicturesSample, {"tags": [], "seed": True}, "seed", "integer or null"),
    ],
)
def test_a_value_of_another_json_type_is_refused_by_name(
    model: Any, body: dict[str, Any], field: str, expected: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(body)
    (error,) = caught.value.errors()
    assert error["loc"] == (field,)
    assert f"expected {expected}, not" in error["msg"]


def test_values_of_their_own_type_read_as_before() -> None:
    assert PicturesSample.model_validate({"tags": [], "quantity": 1, "seed": None}).quantity == 1
    assert PicturesCreate.model_validate({"pictures": [], "report_missing": True}).report_missing
    ids = [str(uuid.uuid4())]
    assert PictureSelection.model_validate({"pictures": ids}).pictures == [uuid.UUID(ids[0])]
