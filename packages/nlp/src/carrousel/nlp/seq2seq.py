"""The translation network: a BiLSTM encoder and an LSTM decoder with Luong attention and input feeding.

:class:`Seq2Seq` (registered as ``"nlp.seq2seq"``, saved in ``"nlp.translate"`` bundles) is built from
core blocks: two :class:`~carrousel.core.nn.RecurrentEncoder` (the bidirectional encoder, and the decoder
advanced one step at a time with its state) and :class:`~carrousel.core.nn.MultiplicativeAttention`
(Luong ``general`` or ``dot``) over the encoder outputs, masked so that padding never receives weight.

* Encoder: embedding -> BiLSTM with ``hidden_size // 2`` units per direction (outputs of ``hidden_size``);
  the decoder starts from the final forward and backward states joined per layer.
* Decoder step (Luong et al. 2015): ``h_t = LSTM([e(y_{t-1}); h~_{t-1}], s_{t-1})`` (input feeding),
  ``c_t = attention(h_t, encoder outputs)``, ``h~_t = tanh(W [c_t; h_t])``, logits
  ``= E · P h~_t`` with ``E`` the decoder embedding (tied output layer) and ``P`` a projection to its size.
* Decoding goes through :mod:`carrousel.core.decode`: :meth:`Seq2Seq.start` gives the initial state of
  a batch, :meth:`Seq2Seq.step` is the step function (it returns the attention weights as extras).

Token id 0 is padding; the source and target may share one vocabulary (``shared_embeddings``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import Tensor, nn

from carrousel.core.decode import Hypothesis, beam_search, gnmt_coverage_penalty, greedy_search
from carrousel.core.io import register_module
from carrousel.core.nn import MultiplicativeAttention, RecurrentConfig, RecurrentEncoder, mask_from_lengths
from carrousel.nlp.config import TranslateNetConfig
from carrousel.nlp.errors import NLPConfigError

__all__ = ["DecoderState", "Seq2Seq", "Seq2SeqConfig", "build_seq2seq", "decode_batch"]


@dataclass(frozen=True)
class Seq2SeqConfig:
    """What a saved :class:`Seq2Seq` is rebuilt from."""

    net: TranslateNetConfig  # layer sizes, attention score, dropout
    src_vocab_size: int  # source token ids (specials included)
    tgt_vocab_size: int  # target token ids (specials included)
    shared_embeddings: bool = True  # one embedding for source and target (needs one shared vocabulary)

    def __post_init__(self) -> None:
        if min(self.src_vocab_size, self.tgt_vocab_size) < 5:
            raise NLPConfigError("vocabularies need at least 5 entries (4 specials and one token)")
        if self.shared_embeddings and self.src_vocab_size != self.tgt_vocab_size:
            raise NLPConfigError("shared_embeddings needs one vocabulary for source and target")


class DecoderState(NamedTuple):
    """The decoding state of ``N`` rows, batch first so core's searches can reorder it.

    Attributes:
        h: ``(N, L, H)`` decoder hidden state per layer.
        c: ``(N, L, H)`` decoder cell state per layer.
        feed: ``(N, H)`` the previous attentional vector (input feeding).
        memory: ``(N, S, H)`` encoder outputs.
        keys: ``(N, S, H)`` the attention's projected keys (computed once).
        mask: ``(N, S)`` True at valid source tokens.
    """

    h: Tensor
    c: Tensor
    feed: Tensor
    memory: Tensor
    keys: Tensor
    mask: Tensor


@register_module("nlp.seq2seq")
class Seq2Seq(nn.Module):
    """BiLSTM encoder, LSTM decoder with Luong attention and input feeding, tied output embeddings.

    Args:
        config: a :class:`Seq2SeqConfig`.
    """

    config_class = Seq2SeqConfig

    def __init__(self, config: Seq2SeqConfig) -> None:
        super().__init__()
        self.config = config
        net = config.net
        E, H, L = net.embed_dim, net.hidden_size, net.num_layers
        self.tgt_embedding = nn.Embedding(config.tgt_vocab_size, E, padding_idx=0)
        self.src_embedding = (
            self.tgt_embedding
            if config.shared_embeddings
            else nn.Embedding(config.src_vocab_size, E, padding_idx=0)
        )
        between = net.dropout if L > 1 else 0.0
        self.encoder = RecurrentEncoder(
            RecurrentConfig(E, H // 2, "lstm", L, bidirectional=True, dropout=between)
        )
        self.decoder = RecurrentEncoder(RecurrentConfig(E + H, H, "lstm", L, dropout=between))
        self.attention = MultiplicativeAttention(H, H, mode=net.attention)
        self.combine = nn.Linear(2 * H, H, bias=False)
        self.projection = nn.Linear(H, E, bias=False)
        self.output_bias = nn.Parameter(torch.zeros(config.tgt_vocab_size))
        self.dropout = nn.Dropout(net.dropout)
        nn.init.normal_(self.tgt_embedding.weight, 0.0, E**-0.5)
        if not config.shared_embeddings:
            nn.init.normal_(self.src_embedding.weight, 0.0, E**-0.5)
        with torch.no_grad():
            self.tgt_embedding.weight[0].zero_()
            self.src_embedding.weight[0].zero_()

    def start(self, src: Tensor, lengths: Tensor) -> DecoderState:
        """Encodes a padded source batch into the initial decoding state.

        Args:
            src: ``(B, S)`` token ids, 0 past each length.
            lengths: ``(B,)`` valid lengths in ``[1, S]``.

        Returns:
            The :class:`DecoderState` of ``B`` rows.
        """
        B, L = src.shape[0], self.config.net.num_layers
        enc = self.encoder(self.dropout(self.src_embedding(src)), lengths=lengths)
        memory = enc.output  # (B, S, H), zero past each length
        mask = mask_from_lengths(lengths.to(src.device), src.shape[1])

        def join(t: Tensor) -> Tensor:  # (L*2, B, H/2) -> (B, L, H): forward and backward per layer
            return t.view(L, 2, B, -1).permute(2, 0, 1, 3).reshape(B, L, -1)

        assert enc.state.c is not None
        feed = memory.new_zeros(B, self.config.net.hidden_size)
        keys = self.attention.project_keys(memory)
        return DecoderState(join(enc.state.h), join(enc.state.c), feed, memory, keys, mask)

    def _advance(self, labels: Tensor, state: DecoderState) -> tuple[Tensor, DecoderState, Tensor]:
        """One decoder step: ``(N,)`` previous labels -> attentional vector ``(N, H)``, state, weights."""
        x = torch.cat([self.dropout(self.tgt_embedding(labels)), state.feed], dim=-1).unsqueeze(1)
        hc = (state.h.transpose(0, 1).contiguous(), state.c.transpose(0, 1).contiguous())
        out = self.decoder(x, state=hc)
        top = out.output[:, 0]  # (N, H)
        ctx, weights = self.attention(
            top, state.memory, mask=state.mask, projected_keys=state.keys
        )  # (N, H), (N, S)
        feed = torch.tanh(self.combine(torch.cat([ctx, top], dim=-1)))
        assert out.state.c is not None
        new = DecoderState(
            out.state.h.transpose(0, 1),
            out.state.c.transpose(0, 1),
            feed,
            state.memory,
            state.keys,
            state.mask,
        )
        return feed, new, weights

    def logits(self, attentional: Tensor) -> Tensor:
        """Output logits from attentional vectors ``(..., H) -> (..., V)`` (tied to the decoder embedding)."""
        hidden = self.projection(self.dropout(attentional))
        return hidden @ self.tgt_embedding.weight.t() + self.output_bias

    def forward(self, src: Tensor, lengths: Tensor, tgt_in: Tensor) -> Tensor:
        """Teacher-forced logits.

        Args:
            src: ``(B, S)`` source ids, 0 past each length.
            lengths: ``(B,)`` source lengths.
            tgt_in: ``(B, T)`` decoder inputs (``[BOS]`` then the target), 0 past each length.

        Returns:
            ``(B, T, V)`` logits of the next target token at every position.
        """
        state = self.start(src, lengths)
        outs = []
        for t in range(tgt_in.shape[1]):
            feed, state, _ = self._advance(tgt_in[:, t], state)
            outs.append(feed)
        return self.logits(torch.stack(outs, dim=1))

    def attention_weights(self, src: Tensor, lengths: Tensor, tgt_in: Tensor) -> Tensor:
        """Teacher-forced attention weights ``(B, T, S)``; exactly 0 at padded source positions."""
        state = self.start(src, lengths)
        weights = []
        for t in range(tgt_in.shape[1]):
            _, state, w = self._advance(tgt_in[:, t], state)
            weights.append(w)
        return torch.stack(weights, dim=1)

    def step(self, labels: Tensor, state: DecoderState) -> tuple[Tensor, DecoderState, Tensor]:
        """Core's step function: ``(N,)`` labels -> ``(N, V)`` log-probs, new state, ``(N, S)`` attention."""
        feed, new, weights = self._advance(labels, state)
        return torch.log_softmax(self.logits(feed).float(), dim=-1), new, weights


def build_seq2seq(
    net: TranslateNetConfig, src_vocab_size: int, tgt_vocab_size: int, shared_embeddings: bool = True
) -> Seq2Seq:
    """A fresh :class:`Seq2Seq`."""
    return Seq2Seq(Seq2SeqConfig(net, src_vocab_size, tgt_vocab_size, shared_embeddings))


def decode_batch(
    model: Seq2Seq,
    sources: Sequence[Sequence[int]],
    bos: int,
    eos: int,
    *,
    beam: int = 1,
    length_penalty: float = 0.0,
    coverage_penalty: float = 0.0,
    max_ratio: float = 2.0,
) -> list[Hypothesis]:
    """Translates a batch of source id lists through :mod:`carrousel.core.decode`.

    Args:
        model: the network (put in eval mode by the caller).
        sources: ``B`` non-empty lists of source ids.
        bos: the id that starts decoding.
        eos: the id that ends a translation.
        beam: 1 for greedy search, else the beam size.
        length_penalty: GNMT ``alpha`` of the beam search.
        coverage_penalty: GNMT ``beta`` of the beam search (0: off).
        max_ratio: at most ``max_ratio * longest source + 10`` output tokens.

    Returns:
        The best hypothesis per source, its ``extras`` the ``(T, S_b)`` attention over that source.
    """
    device = next(model.parameters()).device
    lengths = torch.tensor([len(s) for s in sources], dtype=torch.long)
    src = torch.zeros(len(sources), int(lengths.max()), dtype=torch.long)
    for i, s in enumerate(sources):
        src[i, : len(s)] = torch.as_tensor(list(s), dtype=torch.long)
    max_len = int(max_ratio * int(lengths.max())) + 10
    with torch.no_grad():
        state = model.start(src.to(device), lengths)
        if beam == 1:
            hyps = greedy_search(model.step, state, bos, eos, max_len)
        else:
            cover = gnmt_coverage_penalty(coverage_penalty) if coverage_penalty > 0 else None
            found = beam_search(
                model.step,
                state,
                bos,
                eos,
                max_len,
                beam,
                length_penalty=length_penalty,
                coverage_penalty=cover,
            )
            hyps = [h[0] for h in found]
    out = []
    for h, n in zip(hyps, lengths.tolist(), strict=True):
        extras = h.extras[:, :n] if h.extras is not None else None
        out.append(Hypothesis(h.labels, h.score, h.log_prob, h.finished, extras))
    return out
