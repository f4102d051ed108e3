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
* Pointer-generator (See et al. 2017, ``net.pointer``): a gate ``p_gen = sigmoid(w [c_t; h_t; e(y_{t-1})])``
  mixes the output distribution with the attention over the source, scattered onto the target ids of the
  source tokens: ``P(w) = p_gen P_vocab(w) + (1 - p_gen) sum_{i: m(x_i) = w} a_{t,i}``, with ``m`` the
  identity for one shared vocabulary and, for separate ones, the buffer ``copy_ids`` (``(V_src,)``: the
  target id of the same piece, ``[UNK]`` where the target vocabulary lacks it; :meth:`Seq2Seq.set_copy_ids`). The network
  can then copy the subword pieces of words it never saw (option names, identifiers, placeholders)
  instead of inventing pieces. :meth:`Seq2Seq.forward` and :meth:`Seq2Seq.step` return log-probabilities
  of the mixture (log-softmax leaves them unchanged, so the cross-entropy of the task applies as is).
* Lexicon (Arthur et al. 2016, ``net.lexicon > 0`` with the pointer): a third target of the mixture,
  ``lex_t(w) = sum_i a_{t,i} p_lex(w | x_i)`` from an IBM model 1 lexicon of the training pairs
  (:mod:`carrousel.nlp.lexicon`, held as the buffers ``lex_ids``/``lex_probs``, ``(V_src, K)`` target
  ids and probabilities per source id); the gate is
  then a softmax over generate / copy / lexicon: ``P = g_0 P_vocab + g_1 copy + g_2 lex``.
* Decoding goes through :mod:`carrousel.core.decode` (:mod:`carrousel.nlp.seq2seq_decode`):
  :meth:`Seq2Seq.start` gives the initial state of a batch, :meth:`Seq2Seq.step` is the step function (it
  returns the attention weights as extras).

Token id 0 is padding; the source and target may share one vocabulary and embedding
(``shared_embeddings``) or have one each."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import Tensor, nn

from carrousel.core.args import check_args
from carrousel.core.config import check_numbers
from carrousel.core.io import register_module
from carrousel.core.nn import MultiplicativeAttention, RecurrentConfig, RecurrentEncoder, mask_from_lengths
from carrousel.nlp.config import TranslateNetConfig
from carrousel.nlp.errors import NLPConfigError
from carrousel.nlp.models import float32_output

__all__ = ["DecoderState", "Seq2Seq", "Seq2SeqConfig", "build_seq2seq"]


@dataclass(frozen=True)
class Seq2SeqConfig:
    """What a saved :class:`Seq2Seq` is rebuilt from."""

    net: TranslateNetConfig  # layer sizes, attention score, dropout
    src_vocab_size: int  # source token ids (specials included)
    tgt_vocab_size: int  # target token ids (specials included)
    shared_embeddings: bool = True  # one embedding for source and target (needs one shared vocabulary)

    def __post_init__(self) -> None:
        check_numbers(self, NLPConfigError)
        if min(self.src_vocab_size, self.tgt_vocab_size) < 5:
            raise NLPConfigError("vocabularies need at least 5 entries (4 specials and one token)")
        if self.shared_embeddings and self.src_vocab_size != self.tgt_vocab_size:
            raise NLPConfigError("shared_embeddings needs one vocabulary for source and target")


class _Step(NamedTuple):
    feed: Tensor  # (N, H) attentional vector
    state: DecoderState
    weights: Tensor  # (N, S) attention
    gate: Tensor | None  # (N, 1) p_gen, None without the pointer-generator


class DecoderState(NamedTuple):
    """The decoding state of ``N`` rows, batch first so core's searches can reorder it.

    Attributes:
        h: ``(N, L, H)`` decoder hidden state per layer.
        c: ``(N, L, H)`` decoder cell state per layer.
        feed: ``(N, H)`` the previous attentional vector (input feeding).
        memory: ``(N, S, H)`` encoder outputs.
        keys: ``(N, S, H)`` the attention's projected keys (computed once).
        mask: ``(N, S)`` True at valid source tokens.
        src: ``(N, S)`` source token ids (where the pointer-generator copies to).
    """

    h: Tensor
    c: Tensor
    feed: Tensor
    memory: Tensor
    keys: Tensor
    mask: Tensor
    src: Tensor


@register_module("nlp.seq2seq")
class Seq2Seq(nn.Module):
    """BiLSTM encoder, LSTM decoder with Luong attention and input feeding, tied output embeddings.

    Args:
        config: a :class:`Seq2SeqConfig`.
    """

    config_class = Seq2SeqConfig
    lex_ids: Tensor | None  # (V_src, K) lexicon target ids per source id (None without the lexicon)
    lex_probs: Tensor | None  # (V_src, K) their probabilities
    copy_ids: Tensor | None  # (V_src,) target id per source id (None: one shared vocabulary, the identity)

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
        lexicon = net.lexicon if net.pointer else 0
        # p_gen of the pointer-generator; with the lexicon, logits of generate / copy / lexicon
        self.gate = nn.Linear(2 * H + E, 3 if lexicon else 1) if net.pointer else None
        ids: Tensor | None = None
        probs: Tensor | None = None
        copy: Tensor | None = None
        if net.pointer and not config.shared_embeddings:
            copy = torch.full((config.src_vocab_size,), 1, dtype=torch.long)  # [UNK] until set_copy_ids
            copy[:4] = torch.arange(4)  # the specials share their ids
        if lexicon:
            ids = torch.zeros(config.src_vocab_size, lexicon, dtype=torch.long)
            ids[:, 0] = torch.arange(config.src_vocab_size) if copy is None else copy  # until set_lexicon
            probs = torch.zeros(config.src_vocab_size, lexicon)
            probs[:, 0] = 1.0
        self.register_buffer("lex_ids", ids)
        self.register_buffer("lex_probs", probs)
        self.register_buffer("copy_ids", copy)
        nn.init.normal_(self.tgt_embedding.weight, 0.0, E**-0.5)
        if not config.shared_embeddings:
            nn.init.normal_(self.src_embedding.weight, 0.0, E**-0.5)
        with torch.no_grad():
            self.tgt_embedding.weight[0].zero_()
            self.src_embedding.weight[0].zero_()

    def set_copy_ids(self, ids: Tensor) -> None:
        """Sets where the pointer copies each source id: ``(V_src,)`` target ids (separate vocabularies)."""
        if self.copy_ids is None:
            raise NLPConfigError(
                "this network copies source ids as they are (shared vocabulary or no pointer)"
            )
        if tuple(ids.shape) != tuple(self.copy_ids.shape):
            raise NLPConfigError(f"the copy ids must be {tuple(self.copy_ids.shape)}, got {tuple(ids.shape)}")
        if int(ids.min()) < 0 or int(ids.max()) >= self.config.tgt_vocab_size:
            raise NLPConfigError(f"copy ids must be target ids in [0, {self.config.tgt_vocab_size})")
        self.copy_ids.copy_(ids)

    def set_lexicon(self, ids: Tensor, probs: Tensor) -> None:
        """Sets the lexicon: ``(V_src, K)`` target ids and probabilities per source id (rows sum to 1)."""
        if self.lex_ids is None or self.lex_probs is None:
            raise NLPConfigError("this network has no lexicon (net.lexicon = 0 or no pointer)")
        if tuple(ids.shape) != tuple(self.lex_ids.shape) or tuple(probs.shape) != tuple(self.lex_probs.shape):
            raise NLPConfigError(f"the lexicon must be {tuple(self.lex_ids.shape)}, got {tuple(ids.shape)}")
        self.lex_ids.copy_(ids)
        self.lex_probs.copy_(probs)

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
        return DecoderState(join(enc.state.h), join(enc.state.c), feed, memory, keys, mask, src)

    def _advance(self, labels: Tensor, state: DecoderState) -> _Step:
        """One decoder step: ``(N,)`` previous labels -> attentional vector ``(N, H)``, state, weights, gate."""
        emb = self.dropout(self.tgt_embedding(labels))
        x = torch.cat([emb, state.feed], dim=-1).unsqueeze(1)
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
            state.src,
        )
        return _Step(feed, new, weights, self.gate_of(ctx, top, emb))

    def gate_of(self, ctx: Tensor, top: Tensor, emb: Tensor) -> Tensor | None:
        """The mixture weights ``(N, 1)`` (p_gen) or ``(N, 3)`` (with the lexicon); None without the pointer."""
        if self.gate is None:
            return None
        z = self.gate(torch.cat([ctx, top, emb], dim=-1))
        return torch.softmax(z, dim=-1) if z.shape[-1] > 1 else torch.sigmoid(z)

    def _mixture(self, feed: Tensor, weights: Tensor, gate: Tensor | None, src: Tensor) -> Tensor:
        """Log-probabilities ``(..., V)``: of the output layer, or of the pointer-generator mixture.

        ``feed`` is ``(..., H)``, ``weights`` ``(..., S)``, ``gate`` ``(..., 1)`` or ``(..., 3)``, ``src``
        ``(N, S)`` (with a time axis between, ``src`` is broadcast over it).
        """
        logits = self.logits(feed).float()
        if gate is None:
            return torch.log_softmax(logits, dim=-1)
        timed = weights.dim() == 3
        targets = src if self.copy_ids is None else self.copy_ids[src]  # (N, S) target ids of the source
        index = targets.unsqueeze(1).expand(-1, weights.shape[1], -1) if timed else targets
        w = weights.float()
        copy = logits.new_zeros(logits.shape).scatter_add_(-1, index, w)
        g = gate.float()
        if g.shape[-1] == 1:
            mixed = g * torch.softmax(logits, dim=-1) + (1.0 - g) * copy
        else:
            assert self.lex_ids is not None and self.lex_probs is not None
            ids, probs = self.lex_ids[src], self.lex_probs[src]  # (N, S, K)
            if timed:
                ids = ids.unsqueeze(1).expand(-1, weights.shape[1], -1, -1)
                probs = probs.unsqueeze(1)
            spread = (w.unsqueeze(-1) * probs).flatten(-2)  # (..., S * K)
            lex = logits.new_zeros(logits.shape).scatter_add_(-1, ids.flatten(-2), spread)
            mixed = g[..., :1] * torch.softmax(logits, dim=-1) + g[..., 1:2] * copy + g[..., 2:] * lex
        return torch.log(mixed.clamp_min(1e-12))

    def logits(self, attentional: Tensor) -> Tensor:
        """Output logits ``(..., H) -> (..., V)`` (tied to the decoder embedding; float32 under autocast)."""
        hidden = self.projection(self.dropout(attentional))
        return float32_output(lambda x: x @ self.tgt_embedding.weight.t() + self.output_bias, hidden)

    def forward(self, src: Tensor, lengths: Tensor, tgt_in: Tensor) -> Tensor:
        """Teacher-forced logits.

        Args:
            src: ``(B, S)`` source ids, 0 past each length.
            lengths: ``(B,)`` source lengths.
            tgt_in: ``(B, T)`` decoder inputs (``[BOS]`` then the target), 0 past each length.

        Returns:
            ``(B, T, V)`` log-probabilities of the next target token at every position (normalised, so
            ``log_softmax`` leaves them unchanged and a cross-entropy loss reads them as logits).
        """
        steps = self._teacher_forced(src, lengths, tgt_in)
        gates = [s.gate for s in steps if s.gate is not None]
        gate = torch.stack(gates, dim=1) if gates else None
        feeds = torch.stack([s.feed for s in steps], dim=1)
        return self._mixture(feeds, torch.stack([s.weights for s in steps], dim=1), gate, src)

    def _teacher_forced(self, src: Tensor, lengths: Tensor, tgt_in: Tensor) -> list[_Step]:
        """The decoder steps over ``(B, T)`` teacher-forced inputs, in order."""
        state, steps = self.start(src, lengths), []
        for t in range(tgt_in.shape[1]):
            steps.append(self._advance(tgt_in[:, t], state))
            state = steps[-1].state
        return steps

    def attention_weights(self, src: Tensor, lengths: Tensor, tgt_in: Tensor) -> Tensor:
        """Teacher-forced attention weights ``(B, T, S)``; exactly 0 at padded source positions."""
        return torch.stack([s.weights for s in self._teacher_forced(src, lengths, tgt_in)], dim=1)

    def step(self, labels: Tensor, state: DecoderState) -> tuple[Tensor, DecoderState, Tensor]:
        """Core's step function: ``(N,)`` labels -> ``(N, V)`` log-probs, new state, ``(N, S)`` attention."""
        out = self._advance(labels, state)
        return self._mixture(out.feed, out.weights, out.gate, state.src), out.state, out.weights

    def copy_gate(self, src: Tensor, lengths: Tensor, tgt_in: Tensor) -> Tensor | None:
        """Teacher-forced ``(B, T)`` probability of generating (``p_gen``); None without the pointer."""
        if self.gate is None:
            return None
        steps = self._teacher_forced(src, lengths, tgt_in)
        return torch.stack([s.gate[:, 0] for s in steps if s.gate is not None], dim=1)


@check_args
def build_seq2seq(
    net: TranslateNetConfig, src_vocab_size: int, tgt_vocab_size: int, shared_embeddings: bool = True
) -> Seq2Seq:
    """A fresh :class:`Seq2Seq`."""
    return Seq2Seq(Seq2SeqConfig(net, src_vocab_size, tgt_vocab_size, shared_embeddings))
