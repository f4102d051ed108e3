"""NumPy reference ("oracle") of the Elman RNN, LSTM and GRU: forward pass and back-propagation through time.

Everything here is float64 NumPy written straight from the gate equations, one time step at a time, so a
reader can follow the math and the tests can hold PyTorch's fused kernels and carrousel's own step loop to
it. Nothing here is fast and nothing here imports torch.

Conventions:

* Batch first, like :class:`~carrousel.core.nn.RecurrentEncoder`: ``x`` is ``(B, T, I)`` and outputs are
  ``(B, T, H_out)``; one layer's states are ``h`` ``(B, H_out)`` and, for the LSTM, ``c`` ``(B, H)``.
  ``H_out`` is ``H`` except for a projected LSTM. Vectors are rows: a layer computes ``x W^T + b``.
* PyTorch's parameter layout, so weights copy straight from ``nn.LSTM`` / ``nn.GRU`` / ``nn.RNN`` and from
  the encoder (see :func:`stack_params`): ``weight_ih`` ``(G*H, I)``, ``weight_hh`` ``(G*H, H_out)``,
  ``bias_ih`` and ``bias_hh`` ``(G*H,)``, plus ``weight_hr`` ``(H_out, H)`` for a projected LSTM. The ``G``
  gate blocks are stacked in the order i, f, g, o (LSTM), r, z, n (GRU) or are one block (Elman RNN).
* Lengths: sequence ``b`` is valid for steps ``t < lengths[b]``. Past its length the state is frozen and
  the output is zero, which is what a packed sequence gives in PyTorch. A reverse direction reads each
  sequence backwards within its own length.

Back-propagation through time walks the steps backwards. Step ``t`` receives the gradient of the loss with
respect to its new state (from its own output and from step ``t+1``), sends gradients to its input ``x_t``
and to the previous state, and adds its share to every weight gradient, since the weights are shared by
all steps.
"""

from carrousel.core.nn.reference.cells import REFERENCE_CELLS, gru_step, lstm_step, rnn_step, sigmoid
from carrousel.core.nn.reference.layer import (
    LayerCache,
    LayerResult,
    gru_backward,
    gru_forward,
    layer_backward,
    layer_forward,
    lstm_backward,
    lstm_forward,
    reverse_padded,
    rnn_backward,
    rnn_forward,
)
from carrousel.core.nn.reference.stack import (
    StackCache,
    StackGrads,
    StackResult,
    locate_parameter,
    stack_backward,
    stack_forward,
    stack_params,
)

__all__ = [
    "REFERENCE_CELLS",
    "LayerCache",
    "LayerResult",
    "StackCache",
    "StackGrads",
    "StackResult",
    "gru_backward",
    "gru_forward",
    "gru_step",
    "layer_backward",
    "layer_forward",
    "locate_parameter",
    "lstm_backward",
    "lstm_forward",
    "lstm_step",
    "reverse_padded",
    "rnn_backward",
    "rnn_forward",
    "rnn_step",
    "sigmoid",
    "stack_backward",
    "stack_forward",
    "stack_params",
]
