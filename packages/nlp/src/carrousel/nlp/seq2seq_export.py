"""A :class:`~carrousel.nlp.seq2seq.Seq2Seq` as exportable graphs, and the network an exported translation
bundle decodes with.

Decoding runs the encoder once per batch and the decoder step once per output token (greedy or beam
search), so the network is exported as two graphs through core's ``export_bundle``:

* the main graph, :class:`DecoderStep`: ``labels (N,)``, ``h``/``c`` ``(N, L, H)``, ``feed (N, H)``,
  ``memory``/``keys`` ``(N, S, H)``, ``mask (N, S)``, ``src (N, S)`` -> log-probabilities ``(N, V)``
  (pointer-generator mixture included), the new ``h``, ``c``, ``feed`` and the attention ``(N, S)``;
* the ``encoder`` part, :class:`EncoderStart`: ``src (B, S)``, ``lengths (B,)`` -> the decoder's initial
  ``h``/``c`` ``(B, L, H)`` and ``memory``/``keys`` ``(B, S, H)``. The decoder starts from the encoder's
  LSTM cell state at each sentence's own length, which core's ``GraphEncoder(cell_state=True)`` gives
  through packed sequences: the torchscript exporter only (``--exporter dynamo`` is refused, saying so).

Rows and source length are dynamic in both. :class:`OnnxSeq2Seq` has :class:`~carrousel.nlp.seq2seq.Seq2Seq`'s
``start``/``step`` run by ONNX Runtime; :class:`~carrousel.nlp.pipeline.translate.Translator` uses it for
an exported bundle (:func:`exported_network`), so greedy and beam search are the same code as for the
eager network. An ensemble bundle's other members are further parts, ``member{i}`` and ``member{i}_encoder``
(:func:`member_part`). A bundle exported before the encoder part existed still runs its encoder in PyTorch.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace

import torch
from torch import Tensor, nn

from carrousel.core.args import check_args
from carrousel.core.bundle import Bundle
from carrousel.core.export import EXPORT_ASSET, ExportSpec, GraphEncoder, OnnxModule, load_runtime
from carrousel.core.nn import mask_from_lengths
from carrousel.nlp.seq2seq import DecoderState, Seq2Seq

__all__ = [
    "ENCODER",
    "INPUTS",
    "OUTPUTS",
    "DecoderStep",
    "EncoderStart",
    "OnnxSeq2Seq",
    "exported_network",
    "member_part",
    "translate_export_spec",
]

INPUTS = ("labels", "h", "c", "feed", "memory", "keys", "mask", "src")
OUTPUTS = ("log_probs", "h_out", "c_out", "feed_out", "attention")
ENCODER = "encoder"  # the export part holding EncoderStart


class EncoderStart(nn.Module):
    """:meth:`Seq2Seq.start` as a graph: ``src (B, S)``, ``lengths (B,)`` -> ``h``, ``c``, ``memory``, ``keys``.

    The encoder is core's ``GraphEncoder`` with ``cell_state=True`` (weights shared with ``model``).
    """

    def __init__(self, model: Seq2Seq) -> None:
        super().__init__()
        self.embedding = model.src_embedding
        self.encoder = GraphEncoder(model.encoder, cell_state=True)
        self.attention = model.attention
        self.layers = model.config.net.num_layers

    def forward(self, src: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        enc = self.encoder(self.embedding(src), lengths)
        B, L = src.shape[0], self.layers
        assert enc.state.c is not None

        def join(t: Tensor) -> Tensor:  # (L*2, B, H/2) -> (B, L, H), as Seq2Seq.start
            return t.view(L, 2, B, -1).permute(2, 0, 1, 3).reshape(B, L, -1)

        memory = enc.output
        return join(enc.state.h), join(enc.state.c), memory, self.attention.project_keys(memory)


class DecoderStep(nn.Module):
    """One decoder step of a :class:`Seq2Seq` as a graph (the decoder LSTM held as its fused module).

    The network's :meth:`Seq2Seq.step` with the state unpacked into tensors; the decoder's ``nn.LSTM``
    is called with its state directly (a one-step run, which every exporter handles).
    """

    def __init__(self, model: Seq2Seq) -> None:
        super().__init__()
        if model.decoder.rnn is None:
            raise ValueError("the decoder has no fused LSTM")
        self.model = model
        self.rnn = model.decoder.rnn

    def forward(
        self,
        labels: Tensor,
        h: Tensor,
        c: Tensor,
        feed: Tensor,
        memory: Tensor,
        keys: Tensor,
        mask: Tensor,
        src: Tensor,
    ) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
        m = self.model
        emb = m.tgt_embedding(labels)
        x = torch.cat([emb, feed], dim=-1).unsqueeze(1)
        out, (h2, c2) = self.rnn(x, (h.transpose(0, 1).contiguous(), c.transpose(0, 1).contiguous()))
        top = out[:, 0]
        ctx, weights = m.attention(top, memory, mask=mask, projected_keys=keys)
        new_feed = torch.tanh(m.combine(torch.cat([ctx, top], dim=-1)))
        gate = m.gate_of(ctx, top, emb)
        log_probs = m._mixture(new_feed, weights, gate, src)
        return log_probs, h2.transpose(0, 1), c2.transpose(0, 1), new_feed, weights


class OnnxSeq2Seq:
    """``start`` and ``step`` of an exported translation bundle, run by ONNX Runtime (``start`` by the
    eager encoder when the bundle has no encoder part)."""

    def __init__(self, model: Seq2Seq, runtime: OnnxModule, encoder: OnnxModule | None = None) -> None:
        self.model = model.eval()
        self.runtime = runtime
        self.encoder = encoder

    def parameters(self) -> Iterator[nn.Parameter]:
        """The eager network's parameters (where :func:`~carrousel.nlp.seq2seq_decode.decode_batch` reads the device from)."""
        return self.model.parameters()

    def start(self, src: Tensor, lengths: Tensor) -> DecoderState:
        """The encoder's initial decoding state (float32)."""
        if self.encoder is None:
            return self.model.start(src, lengths)
        h, c, memory, keys = (torch.from_numpy(a) for a in self.encoder.run(src, lengths))
        mask = mask_from_lengths(lengths, src.shape[1])
        feed = memory.new_zeros(src.shape[0], self.model.config.net.hidden_size)
        return DecoderState(h, c, feed, memory, keys, mask, src)

    def step(self, labels: Tensor, state: DecoderState) -> tuple[Tensor, DecoderState, Tensor]:
        """Core's step function, run by ONNX Runtime."""
        s = state
        lp, h, c, feed, w = self.runtime.run(labels, s.h, s.c, s.feed, s.memory, s.keys, s.mask, s.src)
        new = DecoderState(
            torch.from_numpy(h), torch.from_numpy(c), torch.from_numpy(feed), s.memory, s.keys, s.mask, s.src
        )
        return torch.from_numpy(lp), new, torch.from_numpy(w)


def _example(model: Seq2Seq, n: int, s: int, seed: int) -> tuple[Tensor, ...]:
    g = torch.Generator().manual_seed(seed)
    vocab = model.config.src_vocab_size
    src = torch.randint(4, vocab, (n, s), generator=g)
    lengths = torch.randint(1, s + 1, (n,), generator=g)
    lengths[0] = s
    src[torch.arange(s).unsqueeze(0) >= lengths.unsqueeze(1)] = 0
    with torch.no_grad():
        st = model.start(src, lengths)
    labels = torch.randint(4, model.config.tgt_vocab_size, (n,), generator=g)
    feed = torch.randn(st.feed.shape, generator=g) * 0.5  # a non-zero input feed, as after the first step
    return labels, st.h, st.c, feed, st.memory, st.keys, st.mask, st.src


def translate_export_spec(model: Seq2Seq, members: Sequence[Seq2Seq] = ()) -> ExportSpec:
    """How the decoder step is exported: rows and source length dynamic, checked at other sizes.

    Args:
        model: the network (member 0 of an ensemble bundle).
        members: an ensemble bundle's other networks, exported as the parts :func:`member_part` names.
    """
    spec = _step_spec(model)
    if not members:
        return spec
    parts = dict(spec.parts)
    for i, member in enumerate(members, 1):
        own = _step_spec(member)
        parts[str(member_part(i))] = replace(own, parts={})
        parts[str(member_part(i, True))] = own.parts[ENCODER]
    return replace(spec, parts=parts, meta={**spec.meta, "members": len(members) + 1})


def _step_spec(model: Seq2Seq) -> ExportSpec:
    model.eval()
    rows, steps = {0: "rows"}, {0: "rows", 1: "source"}
    return ExportSpec(
        graph=DecoderStep(model).eval(),
        example=_example(model, 3, 7, 0),
        check_inputs=_example(model, 11, 19, 1),
        input_names=INPUTS,
        dynamic={
            "labels": rows,
            "h": rows,
            "c": rows,
            "feed": rows,
            "memory": steps,
            "keys": steps,
            "mask": steps,
            "src": steps,
        },
        output_names=OUTPUTS,
        atol=1e-4,
        # the pointer mixture adds attention mass (float error ~1e-7) to tokens of probability ~1e-5, so their
        # log-probabilities differ by ~1e-2 in float32 while the states agree to 1e-6 (translations: tested)
        output_atol={"log_probs": 5e-2},
        int8_atol=2.0,  # log-probabilities; BLEU before and after is the real measure
        meta={"graph": "decoder_step", "encoder": ENCODER},
        parts={ENCODER: _encoder_spec(model)},
    )


def _sources(model: Seq2Seq, n: int, s: int, seed: int) -> tuple[Tensor, Tensor]:
    g = torch.Generator().manual_seed(seed)
    src = torch.randint(4, model.config.src_vocab_size, (n, s), generator=g)
    lengths = torch.randint(1, s + 1, (n,), generator=g)
    lengths[0] = max(1, s - 1)  # padding past the longest sentence too
    src[torch.arange(s).unsqueeze(0) >= lengths.unsqueeze(1)] = 0
    return src, lengths


def _encoder_spec(model: Seq2Seq) -> ExportSpec:
    rows, steps = {0: "rows"}, {0: "rows", 1: "source"}
    return ExportSpec(
        graph=EncoderStart(model).eval(),
        example=_sources(model, 3, 7, 0),
        check_inputs=_sources(model, 11, 19, 1),
        input_names=("src", "lengths"),
        dynamic={"src": steps, "lengths": rows, "memory": steps, "keys": steps},
        output_names=("h", "c", "memory", "keys"),
        atol=1e-4,
        int8_atol=2.0,  # states; BLEU before and after is the real measure
    )


@check_args
def member_part(index: int, encoder: bool = False) -> str | None:
    """The export part of member ``index`` of an ensemble bundle's decoder step (``encoder``: its encoder).

    Member 0 is the main graph (None) and the ``encoder`` part; member ``i`` the ``member{i}`` and
    ``member{i}_encoder`` parts.
    """
    if index == 0:
        return ENCODER if encoder else None
    return f"member{index}_{ENCODER}" if encoder else f"member{index}"


@check_args
def exported_network(bundle: Bundle, model: Seq2Seq, member: int = 0) -> Seq2Seq | OnnxSeq2Seq:
    """The network :class:`Translator` decodes with: ONNX Runtime's step for an exported bundle.

    Args:
        bundle: the loaded bundle.
        model: its network (``member`` of an ensemble bundle's).
        member: which of the bundle's networks ``model`` is (0 for a bundle of one network).
    """
    asset = bundle.assets.get(EXPORT_ASSET)
    if asset is None:
        return model
    runtime = load_runtime(bundle, part=member_part(member))
    if runtime is None:
        return model
    has_encoder = isinstance(asset, dict) and member_part(member, True) in (asset.get("parts") or {})
    return OnnxSeq2Seq(
        model, runtime, load_runtime(bundle, part=member_part(member, True)) if has_encoder else None
    )
