"""carrousel.core: recurrent-network blocks and a domain-free training loop on PyTorch.

Importing this package is cheap: the names below are imported on first use (:mod:`carrousel.core.lazy`),
so ``import carrousel.core.errors`` or the CLI helper does not pull in torch. The blocks themselves need
torch, numpy and safetensors only.
"""

from typing import TYPE_CHECKING

from carrousel.core.lazy import lazy_exports

if TYPE_CHECKING:
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

    __version__: str  # the installed carrousel-core's (lazy_exports' version=, read on first use)

_ERRORS = ("CarrouselError", "CheckpointError", "ConfigError", "DataError", "FormatVersionError",
           "NonFiniteLossError", "RegistryError", "ShapeError")  # fmt: skip
_LAZY = {  # name -> the module that defines it, imported on first use
    **dict.fromkeys(_ERRORS, "carrousel.core.errors"),
    **dict.fromkeys(("load_module", "register_module", "save_module"), "carrousel.core.io"),
    **dict.fromkeys(("EncoderOutput", "RecurrentConfig", "RecurrentEncoder", "State"), "carrousel.core.nn"),
    **dict.fromkeys(("FitResult", "Task", "TrainConfig", "Trainer", "set_seed"), "carrousel.core.train"),
}
__getattr__, __dir__ = lazy_exports(__name__, _LAZY, version="carrousel-core")  # __version__: on first use

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
