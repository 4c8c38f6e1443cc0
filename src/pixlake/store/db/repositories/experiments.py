"""Experiments and what they own: file assets and data assets (one generic "named asset of
an experiment" under both), a line's points, and the run log.

A line asset's points are rows (``LinePointRow``) written with Core ``executemany`` inserts:
an SDK run appends points all along, and the ORM's per-row bookkeeping would cost more than
the database.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, cast

from sqlalchemy import Select, delete, func, insert, select

from pixlake.entities.experiments import DataAsset, Experiment, FileAsset, Series
from pixlake.store.db import lines
from pixlake.store.db.bulk import chunked
from pixlake.store.db.models import (
    BlobRow,
    DataAssetRow,
    DatasetRow,
    DatasetVersionRow,
    ExperimentRow,
    FileAssetRow,
    LineBlockRow,
    LinePointRow,
    LogLineRow,
    NetworkRow,
    ProjectRow,
    UserRow,
)
from pixlake.store.db.repositories._base import Repository

__all__ = [
    "DataAssetRepository",
    "ExperimentRepository",
    "FileAssetRepository",
    "NamedAssetRepository",
    "NewFile",
    "StoredData",
    "StoredExperiment",
]


#: Points read from the database at a time when a line is bucketed.
_BUCKET_BATCH = 20_000

#: The columns of a block's row, as ``lines.Summary.of_block`` reads them.
_BLOCK_COLUMNS = tuple(getattr(LineBlockRow, name) for name in lines.COLUMNS)


@dataclass(frozen=True, slots=True)
class StoredExperiment:
    """An experiment found: its key and what the services check."""

    pk: int
    id: uuid.UUID
    name: str
    project_pk: int


@dataclass(frozen=True, slots=True)
class StoredData:
    """A data asset found: its key, its type and whether a line has x values."""

    pk: int
    name: str
    type: str
    has_x: bool


@dataclass(frozen=True, slots=True)
class NewFile:
    name: str
    digest: str
    object_name: str
    large: bool = False


def _experiment(row: ExperimentRow) -> StoredExperiment:
    return StoredExperiment(row.pk, row.id, row.name, row.project_pk)


def _data(row: DataAssetRow) -> StoredData:
    return StoredData(row.pk, row.name, row.type, row.has_x)


# --------------------------------------------------------------------------- named assets


class NamedAssetRepository(Repository):
    """What file assets and data assets share: each is named uniquely in its experiment,
    found, renamed and deleted by that name."""

    __slots__ = ()
    _row: ClassVar[type[FileAssetRow] | type[DataAssetRow]]

    def key(self, experiment_pk: int, name: str) -> int | None:
        """The key of the experiment's asset named so (its row stays at hand for the
        transaction's next calls)."""
        row = cast(
            "FileAssetRow | DataAssetRow | None",
            self.session.scalar(
                select(self._row).where(
                    self._row.experiment_pk == experiment_pk, self._row.name == name
                )
            ),
        )
        return None if row is None else row.pk

    def delete(self, key: int) -> None:
        self.session.execute(delete(self._row).where(self._row.pk == key))

    def delete_all(self, experiment_pk: int) -> None:
        self.session.execute(delete(self._row).where(self._row.experiment_pk == experiment_pk))


class FileAssetRepository(NamedAssetRepository):
    """File assets: names for blobs the organization holds."""

    __slots__ = ()
    _row = FileAssetRow

    def of(self, experiment_pk: int) -> list[FileAsset]:
        """The experiment's files, by name."""
        rows = self.session.execute(
            select(FileAssetRow, BlobRow.size)
            .join(BlobRow, BlobRow.digest == FileAssetRow.digest)
            .where(FileAssetRow.experiment_pk == experiment_pk)
            .order_by(FileAssetRow.name)
        ).all()
        return [
            FileAsset(
                f.id, f.name, f.object_name, f.large, f.digest, size, f.created_at, f.updated_at
            )
            for f, size in rows
        ]

    def record(self, key: int) -> FileAsset:
        f, size = self.session.execute(
            select(FileAssetRow, BlobRow.size)
            .join(BlobRow, BlobRow.digest == FileAssetRow.digest)
            .where(FileAssetRow.pk == key)
        ).one()
        return FileAsset(
            f.id, f.name, f.object_name, f.large, f.digest, size, f.created_at, f.updated_at
        )

    def digest(self, key: int) -> str:
        return self.session.get_one(FileAssetRow, key).digest

    def add(self, experiment_pk: int, files: Sequence[NewFile], *, at: datetime) -> list[int]:
        """Add files to the experiment; returns their keys, in the order given."""
        rows = [
            FileAssetRow(
                id=uuid.uuid4(),
                experiment_pk=experiment_pk,
                name=f.name,
                digest=f.digest,
                object_name=f.object_name,
                large=f.large,
                created_at=at,
                updated_at=at,
            )
            for f in files
        ]
        with self._guard(
            exists="the experiment already has a file of one of these names",
            missing="the experiment or the bytes of a file are gone",
        ):
            self.session.add_all(rows)
        return [row.pk for row in rows]

    def replace(
        self,
        key: int,
        *,
        digest: str,
        large: bool,
        at: datetime,
        object_name: str | None = None,
    ) -> None:
        """New bytes for the file (and a new object key, when they are of another file)."""
        row = self.session.get_one(FileAssetRow, key)
        with self._guard(missing=f"the bytes {digest[:12]}… are gone from the store"):
            row.digest, row.large, row.updated_at = digest, large, at
            if object_name is not None:
                row.object_name = object_name

    def under_key(self, experiment_pk: int, object_name: str) -> FileAsset | None:
        """The experiment's file whose object key is ``object_name``: of two stored under
        one key (two names for files named alike), the one stored last, as a key names the
        bytes last sent under it."""
        found = self.session.execute(
            select(FileAssetRow, BlobRow.size)
            .join(BlobRow, BlobRow.digest == FileAssetRow.digest)
            .where(
                FileAssetRow.experiment_pk == experiment_pk,
                FileAssetRow.object_name == object_name,
            )
            .order_by(FileAssetRow.updated_at.desc(), FileAssetRow.pk.desc())
            .limit(1)
        ).first()
        if found is None:
            return None
        f, size = found
        return FileAsset(
            f.id, f.name, f.object_name, f.large, f.digest, size, f.created_at, f.updated_at
        )

    def rename(self, key: int, *, name: str, object_name: str, at: datetime) -> None:
        row = self.session.get_one(FileAssetRow, key)
        with self._guard(exists=f"the experiment already has a file named {name!r}"):
            row.name, row.object_name, row.updated_at = name, object_name, at


class DataAssetRepository(NamedAssetRepository):
    """Data assets: JSON of a type, except a line's, whose points are rows."""

    __slots__ = ()
    _row = DataAssetRow

    # ----------------------------------------------------------------------- reading

    def head(self, experiment_pk: int, name: str, *, lock: bool = False) -> StoredData | None:
        """The asset named so (``lock``: held for this transaction's writes)."""
        query = select(DataAssetRow).where(
            DataAssetRow.experiment_pk == experiment_pk, DataAssetRow.name == name
        )
        row = self.session.scalar(query.with_for_update() if lock else query)
        return None if row is None else _data(row)

    def stored(self, key: int) -> StoredData:
        return _data(self.session.get_one(DataAssetRow, key))

    def record(self, key: int, *, with_data: bool, max_points: int | None) -> DataAsset:
        """The asset, with its data when asked (a line read downsampled to ``max_points``)."""
        return self._record(self.session.get_one(DataAssetRow, key), with_data, max_points)

    def of(self, experiment_pk: int, *, with_data: bool, max_points: int | None) -> list[DataAsset]:
        """The experiment's data assets, by name."""
        rows = self.session.scalars(
            select(DataAssetRow)
            .where(DataAssetRow.experiment_pk == experiment_pk)
            .order_by(DataAssetRow.name)
        )
        return [self._record(row, with_data, max_points) for row in rows]

    def _record(self, row: DataAssetRow, with_data: bool, max_points: int | None) -> DataAsset:
        data: Any = None
        size = None
        if with_data and row.type == "line":
            series = self._series(row, max_points)
            data = series.y if series.x is None else {"x": series.x, "y": series.y}
            size = series.size
        elif with_data:
            data = row.data
        return DataAsset(row.id, row.name, row.type, data, size, row.created_at, row.updated_at)

    def labelmap(self, experiment_pk: int) -> Any:
        """The data of the experiment's first ``labelmap`` asset by name (``None``: none)."""
        return self.session.scalar(
            select(DataAssetRow.data)
            .where(DataAssetRow.experiment_pk == experiment_pk, DataAssetRow.type == "labelmap")
            .order_by(DataAssetRow.name)
            .limit(1)
        )

    # ----------------------------------------------------------------------- points

    def points_count(self, key: int) -> int:
        return (
            self.session.scalar(
                select(func.count()).select_from(LinePointRow).where(LinePointRow.asset_pk == key)
            )
            or 0
        )

    def series(self, key: int, *, max_points: int | None) -> Series:
        """A line's points, every stride-th one and the last when it has more than
        ``max_points``."""
        return self._series(self.session.get_one(DataAssetRow, key), max_points)

    def _series(self, asset: DataAssetRow, max_points: int | None) -> Series:
        count = self.points_count(asset.pk)
        cols = [LinePointRow.idx, LinePointRow.value, LinePointRow.special]
        if asset.has_x:
            cols.append(LinePointRow.x)
        query = select(*cols).where(LinePointRow.asset_pk == asset.pk)
        rows: list[Any] = []
        if max_points is not None and 0 < max_points < count:
            # every stride-th point, and the last one: the series' shape at a bounded size,
            # read by index (a condition on ``idx % stride`` would scan the whole line)
            stride = math.ceil(count / max_points)
            wanted = sorted({*range(0, count, stride), count - 1})
            for part in chunked(wanted):
                rows += self.session.execute(
                    query.where(LinePointRow.idx.in_(part)).order_by(LinePointRow.idx)
                ).all()
        else:
            rows = list(self.session.execute(query.order_by(LinePointRow.idx)).all())
        return Series(
            size=count,
            idx=[r[0] for r in rows],
            y=[r[2] if r[2] is not None else (r[1] if r[1] is not None else "NaN") for r in rows],
            x=[r[3] for r in rows] if asset.has_x else None,
        )

    def _rows(self, query: Select[int, float | None, str | None]) -> Iterator[tuple[Any, ...]]:
        """A query's rows as the driver gives them, a batch at a time: plain tuples, with
        nothing of SQLAlchemy's result machinery, which costs three times the read itself
        over a million rows. The query's values are numbers, written into its text."""
        compiled = query.compile(
            dialect=self.session.get_bind().dialect, compile_kwargs={"literal_binds": True}
        )
        cursor = self.session.connection().connection.cursor()
        try:
            cursor.execute(str(compiled))
            while batch := cursor.fetchmany(_BUCKET_BATCH):
                yield from batch
        finally:
            cursor.close()

    def buckets(self, key: int, *, first: int, last: int, buckets: int) -> Series:
        """The points of indexes ``first`` to ``last``, at most four per each of ``buckets``
        spans of them: each span's first and last points, its lowest and its highest (and the
        first of each non-finite value it holds), so that a spike shows whatever the size. A
        range of no more than ``4 * buckets`` points comes whole.

        Spans of more than a block's points are made of whole blocks (their sizes then differ
        by a block at most) and read from the blocks' summaries, with the points of the
        partial blocks at the range's two ends: the cost grows with ``buckets``, not with the
        range. Narrower ones are read point by point, a batch at a time: memory grows with
        ``buckets``, not with the line (``pixlake.store.db.lines``)."""
        asset = self.session.get_one(DataAssetRow, key)
        count = self.points_count(key)
        first, last = max(first, 0), min(last, count - 1)
        span = last - first + 1
        chosen: dict[int, Any] = {}
        if span <= 0:
            pass
        elif span <= 4 * buckets:
            for idx, value, special in self._rows(self._points_query(key, first, last)):
                chosen[idx] = special if special is not None else value
        elif span < max(buckets, 4) * lines.BLOCK:
            edges = lines.boundaries(first, last, buckets)
            chosen = lines.bucketed(self._rows(self._points_query(key, first, last)), edges)
        else:
            edges = lines.boundaries(first, last, buckets, snap=lines.BLOCK)
            chosen = lines.merged(self._pieces(key, first, last), edges)
        indexes = sorted(chosen)
        xs = None
        if asset.has_x:
            found: dict[int, Any] = {}
            for part in chunked(indexes):
                found.update(
                    self.session.execute(
                        select(LinePointRow.idx, LinePointRow.x).where(
                            LinePointRow.asset_pk == key, LinePointRow.idx.in_(part)
                        )
                    ).all()
                )
            xs = [found[i] for i in indexes]
        ys = [chosen[i] for i in indexes]
        return Series(size=count, idx=indexes, y=[v if v is not None else "NaN" for v in ys], x=xs)

    @staticmethod
    def _points_query(key: int, first: int, last: int) -> Select[int, float | None, str | None]:
        return (
            select(LinePointRow.idx, LinePointRow.value, LinePointRow.special)
            .where(LinePointRow.asset_pk == key, LinePointRow.idx.between(first, last))
            .order_by(LinePointRow.idx)
        )

    def _ys(self, key: int, first: int, last: int) -> list[Any]:
        """The y of each point from index ``first`` to ``last``, in order."""
        return [
            special if special is not None else value
            for _, value, special in self._rows(self._points_query(key, first, last))
        ]

    def _pieces(self, key: int, first: int, last: int) -> Iterator[lines.Summary]:
        """Summaries of indexes ``first`` to ``last`` (over two blocks) in order: the partial
        block at each end from its points, the whole blocks between from ``line_blocks``."""
        inner = -(-first // lines.BLOCK) * lines.BLOCK  # the first whole block's first index
        outer = (last + 1) // lines.BLOCK * lines.BLOCK  # the index after the last whole one
        if first < inner:
            yield lines.summarize(first, self._ys(key, first, inner - 1))
        query = (
            select(*_BLOCK_COLUMNS)
            .where(
                LineBlockRow.asset_pk == key,
                LineBlockRow.block.between(inner // lines.BLOCK, outer // lines.BLOCK - 1),
            )
            .order_by(LineBlockRow.block)
        )
        for row in self._rows(query):
            yield lines.Summary.of_block(row)
        if outer <= last:
            yield lines.summarize(outer, self._ys(key, outer, last))

    def replace_points(self, key: int, xs: list[Any] | None, ys: Sequence[float | str]) -> None:
        """Make these the line's points (with x values when ``xs`` is given)."""
        self.clear_points(key)
        self.session.get_one(DataAssetRow, key).has_x = xs is not None
        self._insert_points(key, 0, xs, ys)

    def append_points(self, key: int, xs: list[Any] | None, ys: Sequence[float | str]) -> None:
        """Add points after the line's last (the caller checked that ``xs`` matches)."""
        last = self.session.scalar(
            select(func.max(LinePointRow.idx)).where(LinePointRow.asset_pk == key)
        )
        self._insert_points(key, 0 if last is None else last + 1, xs, ys)

    def clear_points(self, key: int) -> None:
        self.session.execute(delete(LinePointRow).where(LinePointRow.asset_pk == key))
        self.session.execute(delete(LineBlockRow).where(LineBlockRow.asset_pk == key))

    def _insert_points(
        self, key: int, start: int, xs: list[Any] | None, ys: Sequence[float | str]
    ) -> None:
        # the same keys in every row (``x`` only when the line has x), one executemany
        rows: list[dict[str, Any]] = [
            {"asset_pk": key, "idx": start + i, "value": None, "special": y}
            if isinstance(y, str)
            else {"asset_pk": key, "idx": start + i, "value": float(y), "special": None}
            for i, y in enumerate(ys)
        ]
        if xs is not None:
            for row, x in zip(rows, xs, strict=True):
                row["x"] = x
        if rows:
            # Core insert (executemany): no ORM bookkeeping per point
            self.session.execute(insert(LinePointRow.__table__), rows)  # type: ignore[arg-type]
            self._summarize(key, start, ys)

    def _summarize(self, key: int, start: int, ys: Sequence[float | str]) -> None:
        """Write the summaries of the blocks that points ``ys``, of indexes ``start``
        onwards, fill: a partial block they complete is summarized again with its points."""
        begin = start // lines.BLOCK * lines.BLOCK
        ys = list(ys)
        if begin < start:
            ys = self._ys(key, begin, start - 1) + ys
            self.session.execute(
                delete(LineBlockRow).where(
                    LineBlockRow.asset_pk == key, LineBlockRow.block == begin // lines.BLOCK
                )
            )
        self.session.execute(
            insert(LineBlockRow.__table__),  # type: ignore[arg-type]
            [
                {"asset_pk": key, **lines.summarize(begin + o, ys[o : o + lines.BLOCK]).block_row()}
                for o in range(0, len(ys), lines.BLOCK)
            ],
        )

    # ----------------------------------------------------------------------- writing

    def add(
        self, experiment_pk: int, *, name: str, type: str, data: Any, has_x: bool, at: datetime
    ) -> StoredData:
        row = DataAssetRow(
            id=uuid.uuid4(),
            experiment_pk=experiment_pk,
            name=name,
            type=type,
            data=data,
            has_x=has_x,
            created_at=at,
            updated_at=at,
        )
        with self._guard(
            exists=f"the experiment already has data named {name!r}",
            missing="the experiment no longer exists",
        ):
            self.session.add(row)
        return _data(row)

    def set(self, key: int, *, type: str, data: Any, at: datetime | None = None) -> None:
        """Set the asset's type and JSON (``None`` for a line), and its update time."""
        row = self.session.get_one(DataAssetRow, key)
        row.type, row.data = type, data
        if at is not None:
            row.updated_at = at

    def touch(self, key: int, *, at: datetime) -> None:
        self.session.get_one(DataAssetRow, key).updated_at = at

    def rename(self, key: int, *, name: str) -> None:
        row = self.session.get_one(DataAssetRow, key)
        with self._guard(exists=f"the experiment already has data named {name!r}"):
            row.name = name

    def copy(self, source_pk: int, target_pk: int, *, at: datetime) -> None:
        """Copy every data asset of experiment ``source_pk`` (a line with its points)."""
        for a in list(
            self.session.scalars(
                select(DataAssetRow).where(DataAssetRow.experiment_pk == source_pk)
            )
        ):
            copy = DataAssetRow(
                id=uuid.uuid4(),
                experiment_pk=target_pk,
                name=a.name,
                type=a.type,
                data=a.data,
                has_x=a.has_x,
                created_at=at,
                updated_at=at,
            )
            self.session.add(copy)
            self.session.flush()
            if a.type != "line":
                continue
            points = self.session.execute(
                select(
                    LinePointRow.idx, LinePointRow.value, LinePointRow.special, LinePointRow.x
                ).where(LinePointRow.asset_pk == a.pk)
            ).all()
            if points:
                self.session.execute(
                    insert(LinePointRow),
                    [
                        {"asset_pk": copy.pk, "idx": i, "value": v, "special": s, "x": x}
                        for i, v, s, x in points
                    ],
                )
            blocks = self.session.execute(
                select(*_BLOCK_COLUMNS).where(LineBlockRow.asset_pk == a.pk)
            ).all()
            if blocks:
                self.session.execute(
                    insert(LineBlockRow),
                    [
                        {"asset_pk": copy.pk, **dict(zip(lines.COLUMNS, row, strict=True))}
                        for row in blocks
                    ],
                )


# --------------------------------------------------------------------------- experiments


class ExperimentRepository(Repository):
    """Experiments (runs) of projects, with their run logs; ``files`` and ``data`` are the
    repositories of their assets over the same session."""

    __slots__ = ()

    @property
    def files(self) -> FileAssetRepository:
        return FileAssetRepository(self.session)

    @property
    def data(self) -> DataAssetRepository:
        return DataAssetRepository(self.session)

    # ----------------------------------------------------------------------- finding

    def find(
        self, organization_id: uuid.UUID, experiment_id: uuid.UUID, *, lock: bool = False
    ) -> StoredExperiment | None:
        """An experiment of a project of the organization (``lock``: held for this
        transaction's writes)."""
        query = (
            select(ExperimentRow)
            .join(ProjectRow, ProjectRow.pk == ExperimentRow.project_pk)
            .where(ProjectRow.organization_id == organization_id, ExperimentRow.id == experiment_id)
        )
        row = self.session.scalar(query.with_for_update() if lock else query)
        return None if row is None else _experiment(row)

    def named(self, project_pk: int, name: str) -> StoredExperiment | None:
        row = self.session.scalar(
            select(ExperimentRow).where(
                ExperimentRow.project_pk == project_pk, ExperimentRow.name == name
            )
        )
        return None if row is None else _experiment(row)

    def name_taken(self, project_pk: int, name: str) -> bool:
        return bool(
            self.session.scalar(
                select(ExperimentRow.pk).where(
                    ExperimentRow.project_pk == project_pk, ExperimentRow.name == name
                )
            )
        )

    def exit_code(self, pk: int) -> int | None:
        return self.session.get_one(ExperimentRow, pk).exit_code

    # ----------------------------------------------------------------------- records

    def record(
        self, pk: int, *, with_data: bool = False, max_points: int | None = None
    ) -> Experiment:
        """The experiment with its files and data assets (their data when asked, a line
        downsampled to ``max_points``)."""
        return self._record(self.session.get_one(ExperimentRow, pk), with_data, max_points)

    def records(self, project_pk: int) -> list[Experiment]:
        """The project's experiments in creation order (their data assets without data)."""
        rows = self.session.scalars(
            select(ExperimentRow)
            .where(ExperimentRow.project_pk == project_pk)
            .order_by(ExperimentRow.pk)
        ).all()
        return [self._record(row, False, None) for row in rows]

    def _record(self, row: ExperimentRow, with_data: bool, max_points: int | None) -> Experiment:
        project = self.session.get_one(ProjectRow, row.project_pk)
        owner = self.session.get(UserRow, row.owner_id) if row.owner_id else None
        source = None
        if row.source_network_pk is not None:
            net = self.session.get(NetworkRow, row.source_network_pk)
            source = (net.id, net.name) if net else None
        data = self.data.of(row.pk, with_data=with_data, max_points=max_points)
        return Experiment(
            id=row.id,
            name=row.name,
            description=row.description,
            status=row.status,
            owner=(owner.id, owner.username) if owner else None,
            project_id=project.id,
            project_name=project.name,
            organization_id=project.organization_id,
            dataset=self._dataset(row.dataset_version_pk),
            previous=(
                self.session.scalar(
                    select(ExperimentRow.name).where(ExperimentRow.pk == row.previous_pk)
                )
                if row.previous_pk
                else None
            ),
            source=source,
            exit_code=row.exit_code,
            nb_log_lines=self.log_count(row.pk),
            files=tuple(self.files.of(row.pk)),
            data=tuple(data),
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    def _dataset(self, version_pk: int | None) -> tuple[uuid.UUID, str, str] | None:
        if version_pk is None:
            return None
        found = self.session.execute(
            select(DatasetVersionRow.id, DatasetRow.name, DatasetVersionRow.version)
            .join(DatasetRow, DatasetRow.id == DatasetVersionRow.dataset_id)
            .where(DatasetVersionRow.pk == version_pk)
        ).one_or_none()
        return (found[0], found[1], found[2]) if found else None

    # ----------------------------------------------------------------------- writing

    def add(
        self,
        project_pk: int,
        *,
        owner_id: uuid.UUID,
        name: str,
        description: str,
        previous_pk: int | None,
        dataset_version_pk: int | None,
        source_network_pk: int | None,
        at: datetime,
    ) -> StoredExperiment:
        row = ExperimentRow(
            id=uuid.uuid4(),
            project_pk=project_pk,
            owner_id=owner_id,
            name=name,
            description=description,
            status="started",
            previous_pk=previous_pk,
            dataset_version_pk=dataset_version_pk,
            source_network_pk=source_network_pk,
            created_at=at,
            updated_at=at,
        )
        with self._guard(
            exists=f"an experiment named {name!r} already exists in this project",
            missing="the project, or the dataset version or network it starts from, is gone",
        ):
            self.session.add(row)
        return _experiment(row)

    def update(
        self,
        pk: int,
        *,
        name: str | None = None,
        description: str | None = None,
        status: str | None = None,
        exit_code: int | None = None,
        at: datetime,
    ) -> None:
        """Change the fields given (``None`` leaves one as it is) and the update time."""
        row = self.session.get_one(ExperimentRow, pk)
        with self._guard(exists=f"an experiment named {name!r} already exists in this project"):
            if name is not None:
                row.name = name
            if description is not None:
                row.description = description
            if status is not None:
                row.status = status
            if exit_code is not None:
                row.exit_code = exit_code
            row.updated_at = at

    def delete(self, pk: int) -> None:
        self.session.execute(delete(ExperimentRow).where(ExperimentRow.pk == pk))

    def delete_all(self, project_pk: int) -> int:
        """Delete the project's experiments; returns how many there were."""
        result = self.session.execute(
            delete(ExperimentRow).where(ExperimentRow.project_pk == project_pk)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    # ----------------------------------------------------------------------- run log

    def append_log(self, pk: int, lines: Sequence[str], *, part: str, at: datetime) -> int:
        """Number the lines after the log's last; returns the number of lines then."""
        last = self.session.scalar(
            select(func.max(LogLineRow.line_nb)).where(LogLineRow.experiment_pk == pk)
        )
        start = 0 if last is None else last + 1
        if lines:
            self.session.execute(
                insert(LogLineRow),
                [
                    {"experiment_pk": pk, "line_nb": start + i, "part": part, "text": t, "at": at}
                    for i, t in enumerate(lines)
                ],
            )
        return start + len(lines)

    def log_lines(self, pk: int, *, after: int, limit: int) -> list[tuple[int, str, str, datetime]]:
        """Up to ``limit`` lines numbered above ``after``: number, part, text, time."""
        rows = self.session.execute(
            select(LogLineRow.line_nb, LogLineRow.part, LogLineRow.text, LogLineRow.at)
            .where(LogLineRow.experiment_pk == pk, LogLineRow.line_nb > after)
            .order_by(LogLineRow.line_nb)
            .limit(limit)
        ).all()
        return [(n, p, t, a) for n, p, t, a in rows]

    def log_count(self, pk: int) -> int:
        return (
            self.session.scalar(
                select(func.count()).select_from(LogLineRow).where(LogLineRow.experiment_pk == pk)
            )
            or 0
        )
