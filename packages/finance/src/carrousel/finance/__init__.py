"""carrousel.finance: Stock forecasting with LSTMs, honest baselines and walk-forward backtests."""

from typing import TYPE_CHECKING

from carrousel.core.lazy import lazy_exports
from carrousel.finance.errors import FinanceError

if TYPE_CHECKING:
    __version__: str  # the installed carrousel-finance's (lazy_exports' version=, read on first use)

_LAZY: dict[str, str] = {}  # nothing else to load lazily: importing the package loads its errors
__getattr__, __dir__ = lazy_exports(__name__, _LAZY, version="carrousel-finance")  # __version__: on first use

__all__ = ["FinanceError", "__version__"]
