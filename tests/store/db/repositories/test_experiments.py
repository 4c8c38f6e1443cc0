"""What the experiment repositories do beyond the services' tests: violations named by the
call, one named-asset base under file and data assets, points and log lines numbered on."""

from __future__ import annotations

import pytest

from pixlake.clock import utcnow
from pixlake.errors import AlreadyExistsError, ResourceNotFoundError
from pixlake.store.db.engine import Database
from pixlake.store.db.repositories import NewFile, StoredExperiment
from tests.store.db.repositories.conftest import Seed, add_blob

DIGEST = "a" * 64


def run(seed: Seed, name: str = "run-1") -> StoredExperiment:
    with seed.db.transaction() as tx:
        return tx.experiments.add(
            seed.project_pk,
            owner_id=seed.user_id,
            name=name,
            description="",
            previous_pk=None,
            dataset_version_pk=None,
            source_network_pk=None,
            at=utcnow(),
        )


def test_a_duplicate_experiment_name_is_named(seed: Seed) -> None:
    run(seed)
    with pytest.raises(AlreadyExistsError, match="an experiment named 'run-1' already exists"):
        run(seed)
    other = run(seed, "run-2")
    with pytest.raises(AlreadyExistsError, match="an experiment named 'run-1' already exists"):
        with seed.db.transaction() as tx:
            tx.experiments.update(other.pk, name="run-1", at=utcnow())


def test_an_experiment_of_a_project_gone_is_not_found(seed: Seed) -> None:
    with pytest.raises(ResourceNotFoundError, match="the project"):
        with seed.db.transaction() as tx:
            tx.experiments.add(
                seed.project_pk + 100,
                owner_id=seed.user_id,
                name="x",
                description="",
                previous_pk=None,
                dataset_version_pk=None,
                source_network_pk=None,
                at=utcnow(),
            )


def _file(db: Database, experiment: StoredExperiment, name: str) -> int:
    with db.transaction() as tx:
        return tx.experiments.files.add(
            experiment.pk, [NewFile(name, DIGEST, f"{experiment.id}/{name}")], at=utcnow()
        )[0]


def test_file_assets_name_their_violations(seed: Seed) -> None:
    experiment = run(seed)
    with pytest.raises(ResourceNotFoundError, match="bytes of a file are gone"):
        _file(seed.db, experiment, "weights")
    add_blob(seed.db, DIGEST)
    key = _file(seed.db, experiment, "weights")
    with pytest.raises(AlreadyExistsError, match="already has a file of one of these names"):
        _file(seed.db, experiment, "weights")
    _file(seed.db, experiment, "config")
    with pytest.raises(AlreadyExistsError, match="already has a file named 'config'"):
        with seed.db.transaction() as tx:
            tx.experiments.files.rename(key, name="config", object_name="x", at=utcnow())
    with pytest.raises(ResourceNotFoundError, match="are gone from the store"):
        with seed.db.transaction() as tx:
            tx.experiments.files.replace(key, digest="b" * 64, large=False, at=utcnow())
    with seed.db.read() as tx:
        assert [f.name for f in tx.experiments.files.of(experiment.pk)] == ["config", "weights"]


def test_file_and_data_assets_share_the_named_asset_base(seed: Seed) -> None:
    experiment = run(seed)
    add_blob(seed.db, DIGEST)
    _file(seed.db, experiment, "same")
    with seed.db.transaction() as tx:
        tx.experiments.data.add(
            experiment.pk, name="same", type="value", data={"value": 1}, has_x=False, at=utcnow()
        )
    with pytest.raises(AlreadyExistsError, match="already has data named 'same'"):
        with seed.db.transaction() as tx:
            tx.experiments.data.add(
                experiment.pk, name="same", type="value", data={}, has_x=False, at=utcnow()
            )
    with seed.db.transaction() as tx:
        for assets in (tx.experiments.files, tx.experiments.data):
            key = assets.key(experiment.pk, "same")
            assert key is not None
            assets.delete(key)
            assert assets.key(experiment.pk, "same") is None


def test_points_are_numbered_on_and_downsampled_with_the_last(seed: Seed) -> None:
    experiment = run(seed)
    with seed.db.transaction() as tx:
        line = tx.experiments.data.add(
            experiment.pk, name="loss", type="line", data=None, has_x=False, at=utcnow()
        )
        tx.experiments.data.replace_points(line.pk, None, [1.0, 2.0, "NaN"])
        tx.experiments.data.append_points(line.pk, None, [4.0, 5.0, 6.0, 7.0])
    with seed.db.read() as tx:
        whole = tx.experiments.data.series(line.pk, max_points=None)
        assert (whole.size, whole.idx, whole.y, whole.x) == (
            7,
            [0, 1, 2, 3, 4, 5, 6],
            [1.0, 2.0, "NaN", 4.0, 5.0, 6.0, 7.0],
            None,
        )
        assert tx.experiments.data.series(line.pk, max_points=3).idx == [0, 3, 6]
    with seed.db.transaction() as tx:
        tx.experiments.data.replace_points(line.pk, ["a", "b"], [1.0, 2.0])
    with seed.db.read() as tx:
        assert tx.experiments.data.stored(line.pk).has_x
        assert tx.experiments.data.series(line.pk, max_points=None).x == ["a", "b"]


def test_copied_data_keeps_a_lines_points(seed: Seed) -> None:
    source, target = run(seed), run(seed, "run-2")
    with seed.db.transaction() as tx:
        line = tx.experiments.data.add(
            source.pk, name="loss", type="line", data=None, has_x=False, at=utcnow()
        )
        tx.experiments.data.replace_points(line.pk, [10, 20], [0.5, "Infinity"])
        tx.experiments.data.copy(source.pk, target.pk, at=utcnow())
    with seed.db.read() as tx:
        copied = tx.experiments.data.of(target.pk, with_data=True, max_points=None)
        assert [(d.name, d.data, d.size) for d in copied] == [
            ("loss", {"x": [10, 20], "y": [0.5, "Infinity"]}, 2)
        ]


def test_log_lines_are_numbered_on(seed: Seed) -> None:
    experiment = run(seed)
    with seed.db.transaction() as tx:
        assert tx.experiments.append_log(experiment.pk, ["a", "b"], part="train", at=utcnow()) == 2
        assert tx.experiments.append_log(experiment.pk, [], part="", at=utcnow()) == 2
        assert tx.experiments.append_log(experiment.pk, ["c"], part="eval", at=utcnow()) == 3
    with seed.db.read() as tx:
        lines = tx.experiments.log_lines(experiment.pk, after=0, limit=10)
        assert [(n, p, t) for n, p, t, _at in lines] == [(1, "train", "b"), (2, "eval", "c")]
        assert tx.experiments.log_count(experiment.pk) == 3
