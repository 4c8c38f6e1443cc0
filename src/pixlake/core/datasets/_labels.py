"""Labels: a version's typed names that objects refer to, in creation order."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from pixlake._text import count_is
from pixlake.core.accounts import require_organization
from pixlake.core.datasets._rules import LABEL_TYPES
from pixlake.core.datasets._versions import version_by_id
from pixlake.entities.accounts import Caller
from pixlake.entities.datasets import Label
from pixlake.errors import InvalidInputError
from pixlake.formats import LabelSpec
from pixlake.names import label_problem
from pixlake.problems import Problems
from pixlake.store.db.engine import Database
from pixlake.store.db.unit_of_work import UnitOfWork

__all__ = ["create_labels", "ensure_labels", "get_metadata"]


def ensure_labels(
    tx: UnitOfWork,
    version_pk: int,
    labels: Sequence[LabelSpec | tuple[str, str]],
    extras: Mapping[str, Mapping[str, Any]] | None = None,
) -> None:
    """Create the labels the version lacks (``extras``: format-level leftovers by name); an
    existing label of the same type is not an error, one of another type is."""
    stored = tx.annotations.label_keys(version_pk)
    types = {name: label.type for name, label in stored.items()}
    position = max((label.position for label in stored.values()), default=0)
    problems = Problems()
    new: list[Label] = []
    for i, spec in enumerate(labels):
        name, kind = (spec.name, spec.kind) if isinstance(spec, LabelSpec) else spec
        problem = label_problem(name)
        if problem is not None:
            problems.add(problem, field=f"labels[{i}].name")
            continue
        if kind not in LABEL_TYPES:
            problems.add(
                f"expected a type among {', '.join(LABEL_TYPES)}, got {kind!r}",
                field=f"labels[{i}].type",
            )
            continue
        existing = types.get(name)
        if existing is not None:
            if existing != kind:
                problems.add(
                    f"label {name!r} already exists with type {existing!r}, not {kind!r}",
                    field=f"labels[{i}]",
                )
            continue
        position += 1
        extra = dict(extras[name]) if extras and name in extras else None
        new.append(Label(name, kind, position, extra))
        types[name] = kind
    if problems:
        raise InvalidInputError(
            f"{count_is(len(problems), 'label')} not valid", details=problems.details()
        )
    if new:
        tx.annotations.add_labels(version_pk, new)


def create_labels(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    *,
    version_id: uuid.UUID,
    labels: Sequence[tuple[str, str]],
) -> list[Label]:
    """Add labels to a version; an existing label of the same type is not an error."""
    require_organization(caller, organization_id, write=True)
    with db.transaction() as tx:
        version_pk = version_by_id(tx, organization_id, version_id).pk
        ensure_labels(tx, version_pk, labels)
        return tx.annotations.labels(version_pk)


def get_metadata(
    db: Database, caller: Caller, organization_id: uuid.UUID, *, version_id: uuid.UUID
) -> tuple[list[Label], dict[str, Any]]:
    """A version's labels with their format-level extras, and its format-level ``info``."""
    require_organization(caller, organization_id, write=False)
    with db.read() as tx:
        found = version_by_id(tx, organization_id, version_id)
        return tx.annotations.labels(found.pk), dict(found.info or {})
