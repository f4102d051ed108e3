"""carrousel.finance: Stock forecasting with LSTMs, honest baselines and walk-forward backtests."""

from importlib.metadata import PackageNotFoundError, version

from carrousel.finance.errors import FinanceError

try:
    __version__ = version("carrousel-finance")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"

__all__ = ["FinanceError", "__version__"]
