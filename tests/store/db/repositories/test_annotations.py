"""The annotation repository: constraint violations named, and the SQLite fast path for
shapes giving the same rows as the portable path other databases take."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from pixlake.clock import utcnow
from pixlake.entities.datasets import Label
from pixlake.errors import AlreadyExistsError, ResourceNotFoundError
from pixlake.store.db.models import ShapeRow
from pixlake.store.db.repositories import annotations as repository
from pixlake.store.db.unit_of_work import UnitOfWork
from tests.store.db.repositories.conftest import Stocked


def _version_pk(tx: UnitOfWork, stocked: Stocked) -> int:
    dataset_id = tx.datasets.add_dataset(stocked.organization_id, "cars")
    version = tx.datasets.add_version(
        organization_id=stocked.organization_id,
        dataset_id=dataset_id,
        name="cars",
        version="v1",
        description="",
        private=True,
        created_by=stocked.user_id,
    )
    tx.datasets.link(version.pk, list(stocked.pictures.values()))
    return version.pk


def _annotate(tx: UnitOfWork, stocked: Stocked, version_pk: int, names: list[str]) -> None:
    tx.annotations.add(
        version_pk,
        [(stocked.pictures[n], "pending", None, None, None, None, None) for n in names],
        created_by=stocked.user_id,
        now=utcnow(),
    )


def test_a_label_given_twice_is_named(stocked: Stocked) -> None:
    with stocked.db.transaction() as tx:
        version_pk = _version_pk(tx, stocked)
        tx.annotations.add_labels(version_pk, [Label("car", "rectangle", 1)])
    with pytest.raises(AlreadyExistsError, match="a label among 'car' already exists"):
        with stocked.db.transaction() as tx:
            tx.annotations.add_labels(version_pk, [Label("car", "polygon", 2)])
    with stocked.db.read() as tx:
        assert tx.annotations.labels(version_pk) == [Label("car", "rectangle", 1)]


def test_a_picture_annotated_twice_is_refused(stocked: Stocked) -> None:
    with stocked.db.transaction() as tx:
        version_pk = _version_pk(tx, stocked)
        _annotate(tx, stocked, version_pk, ["a.jpg"])
    with pytest.raises(AlreadyExistsError, match="annotated meanwhile"):
        with stocked.db.transaction() as tx:
            _annotate(tx, stocked, version_pk, ["b.jpg", "a.jpg"])
    with stocked.db.read() as tx:
        assert tx.annotations.count(version_pk) == 1


def test_a_shape_of_a_label_gone_is_not_found(stocked: Stocked) -> None:
    with stocked.db.transaction() as tx:
        version_pk = _version_pk(tx, stocked)
        _annotate(tx, stocked, version_pk, ["a.jpg"])
        annotation_pk = tx.annotations.keys(version_pk, [stocked.pictures["a.jpg"]])
    with pytest.raises(ResourceNotFoundError, match="label or annotation of these shapes"):
        with stocked.db.transaction() as tx:
            tx.annotations.add_shapes(
                [(annotation_pk[stocked.pictures["a.jpg"]], 999, "rectangle", 0, "{}")]
            )


def test_the_sqlite_path_and_the_portable_path_store_the_same_shapes(stocked: Stocked) -> None:
    data = [
        {"box": [1.5, 2, 3, 4]},
        {"rings": [[0, 0, 5, 0, 5, 5]], "qa": [{"question": "é?", "answer": "\u2603"}]},
        {},
        {"mask": {"size": [48, 64], "counts": "a1b2"}, "iscrowd": 1, "area": 12.25},
    ]
    with stocked.db.transaction() as tx:
        version_pk = _version_pk(tx, stocked)
        tx.annotations.add_labels(version_pk, [Label("car", "rectangle", 1)])
        label_pk = tx.annotations.label_keys(version_pk)["car"].pk
        _annotate(tx, stocked, version_pk, ["a.jpg", "b.jpg"])
        keys = tx.annotations.keys(version_pk, [stocked.pictures[n] for n in ("a.jpg", "b.jpg")])
        fast, portable = keys[stocked.pictures["a.jpg"]], keys[stocked.pictures["b.jpg"]]
        connection = tx.session.connection()
        assert connection.dialect.name == "sqlite"

        def shapes(annotation_pk: int) -> list[repository.NewShape]:
            return [
                (annotation_pk, label_pk, "rectangle", i, json.dumps(d)) for i, d in enumerate(data)
            ]

        repository._insert_shapes_sqlite(connection, shapes(fast))
        repository._insert_shapes_portable(connection, shapes(portable))

        def stored(annotation_pk: int) -> list[tuple[object, ...]]:
            return [
                tuple(row)
                for row in tx.session.execute(
                    select(ShapeRow.label_pk, ShapeRow.kind, ShapeRow.position, ShapeRow.data)
                    .where(ShapeRow.annotation_pk == annotation_pk)
                    .order_by(ShapeRow.position)
                )
            ]

        assert stored(fast) == stored(portable)
        assert [row[3] for row in stored(fast)] == data
        # and as the listings read them back
        by_picture = {a.picture_pk: a for a in tx.annotations.of_pictures(version_pk, list(keys))}
        assert (
            by_picture[stocked.pictures["a.jpg"]].objects
            == by_picture[stocked.pictures["b.jpg"]].objects
            == [("rectangle", "car", d) for d in data]
        )
