"""carrousel.core: recurrent-network blocks and a domain-free training loop on PyTorch.

Importing this package pulls in torch, numpy and safetensors only.
"""

from importlib.metadata import PackageNotFoundError, version

from carrousel.core.errors import (
    CarrouselError,
    CheckpointError,
    ConfigError,
    DataError,
    FormatVersionError,
    NonFiniteLossError,
    RegistryError,
    ShapeError,
)
from carrousel.core.io import load_module, register_module, save_module
from carrousel.core.nn import EncoderOutput, RecurrentConfig, RecurrentEncoder, State
from carrousel.core.train import FitResult, Task, TrainConfig, Trainer, set_seed

try:
    __version__ = version("carrousel-core")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"

__all__ = [
    "CarrouselError",
    "CheckpointError",
    "ConfigError",
    "DataError",
    "EncoderOutput",
    "FitResult",
    "FormatVersionError",
    "NonFiniteLossError",
    "RecurrentConfig",
    "RecurrentEncoder",
    "RegistryError",
    "ShapeError",
    "State",
    "Task",
    "TrainConfig",
    "Trainer",
    "__version__",
    "load_module",
    "register_module",
    "save_module",
    "set_seed",
]
