"""The run log: numbered lines with a part (step) and a time; the exit code is the
experiment's."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from pixlake.clock import utcnow
from pixlake.core.accounts import require_organization
from pixlake.core.experiments._common import (
    MAX_LINE,
    MAX_PART,
    bad,
    check_exit_code,
    find_experiment,
)
from pixlake.entities.accounts import Caller
from pixlake.entities.experiments import LogPage
from pixlake.store.db.engine import Database


def append_logs(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    *,
    experiment_id: uuid.UUID,
    lines: Sequence[str],
    part: str = "",
    exit_code: int | None = None,
) -> int:
    """Append numbered lines (and maybe the exit code); returns the number of lines."""
    require_organization(caller, organization_id, write=True)
    exit_code = check_exit_code(exit_code)
    if len(part) > MAX_PART:
        raise bad("part", f"longer than {MAX_PART} characters")
    for i, line in enumerate(lines):
        if len(line) > MAX_LINE:
            raise bad(f"lines[{i}]", f"longer than {MAX_LINE} characters")
    with db.transaction() as tx:
        experiment = find_experiment(tx, organization_id, experiment_id, lock=True)
        now = utcnow()
        total = tx.experiments.append_log(experiment.pk, lines, part=part, at=now)
        tx.experiments.update(experiment.pk, exit_code=exit_code, at=now)
        return total


def read_logs(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    *,
    experiment_id: uuid.UUID,
    after: int = -1,
    limit: int = 10_000,
) -> LogPage:
    """Lines numbered above ``after`` (readable while the run goes on)."""
    require_organization(caller, organization_id, write=False)
    with db.read() as tx:
        experiment = find_experiment(tx, organization_id, experiment_id)
        lines = tx.experiments.log_lines(experiment.pk, after=after, limit=limit)
        total = tx.experiments.log_count(experiment.pk)
        return LogPage(lines, tx.experiments.exit_code(experiment.pk), total)
