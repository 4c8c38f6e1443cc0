"""The contract's exception module (``picsellia.exceptions``); see ``pixlake.errors``."""

from pixlake.errors import *  # noqa: F403
from pixlake.errors import __all__ as __all__
