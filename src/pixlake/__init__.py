"""pixlake: a self-hosted computer-vision data platform, and its Python SDK.

    >>> from pixlake import Client, Datalake, Picture  # doctest: +SKIP

The SDK keeps the public API of the Picsellia Python SDK (v4 documentation era); see
``docs/sdk.md``.  The server is started with ``pixlake serve``.

The SDK's classes are loaded when first asked for (``pixlake.Client``, ``from pixlake import
Client``): importing any part of pixlake, such as the command line for ``pixlake --help``,
does not load the SDK and its HTTP client (decision 0026).
"""

import typing as _typing

from pixlake import errors
from pixlake._version import __version__

if _typing.TYPE_CHECKING:
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

_SDK_NAMES = frozenset(__all__) - {"__version__", "errors"}


def __getattr__(name: str) -> object:
    if name in _SDK_NAMES:
        import pixlake.sdk

        value = getattr(pixlake.sdk, name)
        globals()[name] = value  # asked once
        return value
    raise AttributeError(f"module 'pixlake' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_SDK_NAMES})
