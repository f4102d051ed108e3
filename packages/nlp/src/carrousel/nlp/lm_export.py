"""The step of a :class:`~carrousel.nlp.models.LanguageModel` as an exportable graph, and the network an
exported language-model bundle samples with.

Generation calls the network once per token with the recurrent state carried; the exported graph is that
call, :class:`LMStep`: token ids ``(B, T)`` and the state ``h``/``c`` ``(L, B, H)`` -> next-token logits
``(B, T, V)`` and the new state; batch and tokens dynamic, so one graph reads a prompt (``T`` tokens),
samples one token at a time (``T = 1``) and scores held-out text in chunks. A GRU network has no ``c``.

:class:`OnnxLanguageModel` is a module with :class:`LanguageModel`'s ``forward(ids, state)`` run by ONNX
Runtime; :class:`~carrousel.nlp.pipeline.generate.TextGenerator` uses it for an exported bundle
(:func:`exported_lm`), so sampling and perplexity are the same code as for the eager network.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from carrousel.core.args import check_args
from carrousel.core.bundle import Bundle
from carrousel.core.errors import ExportError
from carrousel.core.export import ExportSpec, OnnxModule, load_runtime
from carrousel.core.nn import State
from carrousel.core.option_names import naming_flags, option
from carrousel.nlp.models import LanguageModel, float32_output

__all__ = ["LMStep", "OnnxLanguageModel", "exported_lm", "lm_export_spec"]


def _rnn(model: LanguageModel) -> nn.LSTM | nn.GRU:
    rnn = model.encoder.rnn
    if not isinstance(rnn, nn.LSTM | nn.GRU):
        raise ExportError(
            f"the language model's {model.config.net.cell} layers have no fused kernel to export; "
            f"train it with {option('model.cell', 'lstm')} or {'gru' if naming_flags() else repr('gru')}"
        )
    return rnn


class LMStep(nn.Module):
    """:meth:`LanguageModel.forward` (evaluation mode) with the state as plain tensors.

    The fused ``nn.LSTM`` / ``nn.GRU`` of the model's encoder is called with the state directly (no lengths:
    every stream advances by the same tokens), which every exporter handles.
    """

    def __init__(self, model: LanguageModel) -> None:
        super().__init__()
        self.model = model.eval()
        self.rnn = _rnn(model)
        self.lstm = isinstance(self.rnn, nn.LSTM)

    def forward(self, ids: Tensor, h: Tensor, c: Tensor | None = None) -> tuple[Tensor, ...]:
        """``ids`` ``(B, T)``, ``h`` [and ``c``] ``(L, B, H)`` -> ``logits (B, T, V)``, ``h`` [, ``c``]."""
        m = self.model
        x = m.embedding(ids)
        if self.lstm:
            out, (h2, c2) = self.rnn(x, (h, c))
            return float32_output(m.decoder, m.projection(out)), h2, c2
        out, h2 = self.rnn(x, h)
        return float32_output(m.decoder, m.projection(out)), h2


class OnnxLanguageModel(nn.Module):
    """``forward(ids, state)`` of an exported language model, run by ONNX Runtime (float32 outputs).

    It holds the eager network (in evaluation mode) for its parameters' device and for
    ``init_state``; the eager weights are not used to compute.
    """

    def __init__(self, model: LanguageModel, runtime: OnnxModule) -> None:
        super().__init__()
        self.eager = model.eval()
        self.runtime = runtime
        self.config = model.config
        self.lstm = isinstance(_rnn(model), nn.LSTM)

    @check_args
    def init_state(self, batch_size: int) -> State:
        """Zero recurrent state for ``batch_size`` streams."""
        return self.eager.init_state(batch_size)

    def forward(self, ids: Tensor, state: State | None = None) -> tuple[Tensor, State]:
        """``(logits (B, T, V), state)`` as :meth:`LanguageModel.forward`."""
        st = state if state is not None else self.init_state(ids.shape[0])
        inputs = (ids.cpu(), st.h.float().cpu()) + ((st.c.float().cpu(),) if self.lstm else ())  # type: ignore[union-attr]
        outs = [torch.from_numpy(a) for a in self.runtime.run(*inputs)]
        return outs[0], State(outs[1], outs[2] if self.lstm else None)


def _example(model: LanguageModel, b: int, t: int, seed: int) -> tuple[Tensor, ...]:
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(1, model.config.vocab_size, (b, t), generator=g)
    st = model.init_state(b)
    h = torch.randn(st.h.shape, generator=g) * 0.5  # a state as after some text, not zeros
    if st.c is None:
        return ids, h
    return ids, h, torch.randn(st.c.shape, generator=g) * 0.5


def lm_export_spec(model: LanguageModel) -> ExportSpec:
    """How the step is exported: batch and tokens dynamic, checked at other sizes (and at one token)."""
    step = LMStep(model).eval()
    names: tuple[str, ...] = ("ids", "h", "c") if step.lstm else ("ids", "h")
    outputs: tuple[str, ...] = ("logits", "h_out", "c_out") if step.lstm else ("logits", "h_out")
    dynamic = {"ids": {0: "batch", 1: "tokens"}, "h": {1: "batch"}, "c": {1: "batch"}}
    return ExportSpec(
        graph=step,
        example=_example(model, 3, 7, 0),
        check_inputs=_example(model, 5, 1, 1),  # one token per stream, as when sampling
        input_names=names,
        dynamic={k: v for k, v in dynamic.items() if k in names},
        output_names=outputs,
        atol=1e-4,
        int8_atol=5.0,  # logits; perplexity before and after is the real measure
        meta={"graph": "language_model_step"},
    )


def exported_lm(bundle: Bundle, model: LanguageModel) -> LanguageModel | OnnxLanguageModel:
    """The network :class:`TextGenerator` runs: ONNX Runtime's step for an exported bundle."""
    runtime = load_runtime(bundle)
    return model if runtime is None else OnnxLanguageModel(model, runtime)
