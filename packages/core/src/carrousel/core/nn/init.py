"""Weight initialisation suited to recurrent networks.

The default scheme, ``"recurrent"``, is what the literature recommends for RNNs:

* recurrent weights ``weight_hh``: orthogonal, one orthogonal block per gate (Saxe et al. 2014), which
  keeps the recurrent Jacobian well conditioned early in training;
* input weights ``weight_ih`` and projections: Xavier/Glorot uniform;
* biases zero, except the LSTM forget gate whose bias is 1 (Gers et al. 2000; Jozefowicz et al. 2015),
  so cells remember by default. PyTorch has two bias vectors; only ``bias_ih`` gets the 1.

``"pytorch"`` keeps PyTorch's own uniform(-1/sqrt(H), 1/sqrt(H)) initialisation.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

from carrousel.core.args import check_args
from carrousel.core.errors import ConfigError

__all__ = ["InitScheme", "init_recurrent_"]

InitScheme = Literal["recurrent", "pytorch"]


@check_args
@torch.no_grad()
def init_recurrent_(module: nn.Module, scheme: str = "recurrent", lstm_gate_count: int = 4) -> nn.Module:
    """Initialises every recurrent weight inside ``module`` in place.

    Parameters are recognised by name: ``weight_hh*`` (recurrent), ``weight_ih*`` (input), ``weight_hr*``
    (LSTM projection), ``bias_ih*`` / ``bias_hh*``. Gate blocks are found from the weight's first
    dimension divided by the hidden size (the weight's second dimension for ``weight_hh`` without
    projection). The forget-gate bias is set for parameters of modules that declare ``is_lstm = True``
    or are :class:`torch.nn.LSTM`.

    Args:
        module: any module (an encoder, a cell, a whole model).
        scheme: ``"recurrent"`` (default, see module docstring) or ``"pytorch"`` (leave as is).
        lstm_gate_count: number of gate blocks of an LSTM weight (4: input, forget, cell, output).

    Returns:
        ``module``, for chaining.
    """
    if scheme == "pytorch":
        return module
    if scheme != "recurrent":
        raise ConfigError(f"unknown init scheme {scheme!r}; use 'recurrent' or 'pytorch'")
    for sub in module.modules():
        is_lstm = isinstance(sub, nn.LSTM) or bool(getattr(sub, "is_lstm", False))
        for name, p in sub.named_parameters(recurse=False):
            if name.startswith("weight_hh"):
                gates = p.shape[0] // _hidden_of(sub, p)
                for block in p.chunk(gates, dim=0):
                    nn.init.orthogonal_(block)
            elif name.startswith(("weight_ih", "weight_hr")):
                nn.init.xavier_uniform_(p)
            elif name.startswith("bias_ih") or name.startswith("bias_hh"):
                p.zero_()
                if is_lstm and name.startswith("bias_ih"):
                    h = p.shape[0] // lstm_gate_count
                    p[h : 2 * h] = 1.0  # gate order i, f, g, o (PyTorch's)
    return module


def _hidden_of(module: nn.Module, weight_hh: torch.Tensor) -> int:
    hidden = getattr(module, "hidden_size", None)
    if isinstance(hidden, int) and hidden > 0 and weight_hh.shape[0] % hidden == 0:
        return hidden
    return weight_hh.shape[1]
