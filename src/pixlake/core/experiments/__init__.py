"""Experiments of a project: runs, file assets, data assets, line points, run logs, publishing.

* ``_runs``: experiments themselves, created from scratch, from a previous run (its files and
  data copied when asked) or from a network (its files and label map).
* ``_assets``: the named asset of an experiment, what file assets and data assets share
  (found, renamed and deleted by a name unique in the experiment).
* ``_files``: file assets reference blobs the organization already holds (no copy), under
  the name of the file stored; the object key is ``<experiment_id>/<file name>``
  (``<experiment_id>/0/<file name>`` for ``model-latest``).
* ``_data``: data assets keep their JSON, validated by ``pixlake.schemas.experiments.check_data``,
  except ``line`` assets, whose points are rows (``_points``): an append inserts rows.
* ``_logs``: the run log is numbered lines with a part (step) and a timestamp; the exit code is
  a column of the experiment.
* ``_publish``: a network made from an experiment.
"""

from pixlake.core.experiments._data import (
    delete_all_data,
    delete_data,
    experiment_organization,
    get_data,
    image_object,
    log_data,
    update_data,
)
from pixlake.core.experiments._files import (
    delete_all_files,
    delete_file,
    file_under_key,
    get_file,
    open_file,
    store_file,
    update_file,
)
from pixlake.core.experiments._logs import append_logs, read_logs
from pixlake.core.experiments._points import (
    MAX_BUCKETS,
    append_line,
    append_points,
    read_line_range,
    read_points,
)
from pixlake.core.experiments._publish import publish
from pixlake.core.experiments._runs import (
    create_experiment,
    delete_all_experiments,
    delete_experiment,
    get_experiment,
    list_experiments,
    update_experiment,
)

__all__ = [
    "append_line",
    "append_logs",
    "append_points",
    "create_experiment",
    "delete_all_data",
    "delete_all_experiments",
    "delete_all_files",
    "delete_data",
    "delete_experiment",
    "delete_file",
    "experiment_organization",
    "file_under_key",
    "get_data",
    "get_experiment",
    "get_file",
    "image_object",
    "list_experiments",
    "log_data",
    "open_file",
    "publish",
    "read_logs",
    "MAX_BUCKETS",
    "read_line_range",
    "read_points",
    "store_file",
    "update_data",
    "update_experiment",
    "update_file",
]
