"""Alias of ``pixlake.exceptions`` (upstream's ``picsellia.pxl_exceptions``)."""

from pixlake.errors import *  # noqa: F403
from pixlake.errors import __all__ as __all__
