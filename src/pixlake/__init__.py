"""pixlake: a self-hosted computer-vision data platform, and its Python SDK.

    >>> from pixlake import Client, Datalake, Picture  # doctest: +SKIP

The SDK keeps the public API of the Picsellia Python SDK (v4 documentation era); see
``docs/sdk.md``.  The server is started with ``pixlake serve``.
"""

from pixlake import errors
from pixlake._version import __version__
from pixlake.sdk import Client, Datalake, Dataset, Experiment, Network, Picture, Project

__all__ = [
    "Client",
    "Datalake",
    "Dataset",
    "Experiment",
    "Network",
    "Picture",
    "Project",
    "__version__",
    "errors",
]
