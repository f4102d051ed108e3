"""Structured pruning: remove whole hidden units of a :class:`~carrousel.core.nn.RecurrentEncoder`.

A hidden unit ``j`` of layer ``l``, direction ``d`` owns the rows ``g*H + j`` of ``weight_ih``,
``weight_hh`` and both biases (one per gate ``g``), column ``j`` of ``weight_hh`` (its recurrent input; of
``weight_hr`` with a projection) and of a peephole, and column ``d*H + j`` of whatever reads the layer's
output: the next layer's ``weight_ih`` (both directions) or, for the top layer, the head. Dropping units
slices all of these, so the result is a smaller *dense* encoder whose :class:`RecurrentConfig` says the new
``hidden_size``: the fused kernel (``nn.LSTM`` / ``nn.GRU``) runs on it unchanged, which is what makes it
faster (unstructured zeros are not, see :mod:`.magnitude`).

Units are ranked by an importance score per layer and direction, by default :func:`unit_scores`: the L2
norm of every weight attached to the unit (incoming gate rows and biases, recurrent column, outgoing
columns). A unit whose incoming and outgoing weights are all zero has score 0 and removing it changes no
output (its ``h`` and ``c`` stay 0 from a zero initial state). Each direction keeps its own top units;
all layers keep the same number (the config has one ``hidden_size``).
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Callable, Mapping
from typing import Any

import torch
from torch import Tensor, nn

from carrousel.core.args import check_args
from carrousel.core.errors import ConfigError
from carrousel.core.nn.recurrent import RecurrentConfig, RecurrentEncoder

__all__ = ["keep_count", "prune_encoder_units", "prune_units", "slice_linear_inputs", "unit_scores"]

log = logging.getLogger(__name__)

_GATES = {"lstm": 4, "peephole_lstm": 4, "gru": 3, "rnn_tanh": 1, "rnn_relu": 1}
_KINDS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr", "peephole")


def _param_keys(enc: RecurrentEncoder) -> list[list[dict[str, str]]]:
    """State-dict keys per ``[layer][direction]``: ``{"weight_ih": key, ...}`` (fused stack, fused
    per-layer modules or loop cells alike)."""
    cfg = enc.config
    out: list[list[dict[str, str]]] = [[{} for _ in range(cfg.directions)] for _ in range(cfg.num_layers)]
    fused = re.compile(r"^(?:rnn|layers\.(\d+))\.(\w+?)_l(\d+)(_reverse)?$")
    loop = re.compile(r"^layers\.(\d+)\.cells\.(\d+)\.(\w+)$")
    for key in enc.state_dict():
        if m := fused.match(key):
            layer = int(m.group(1)) if m.group(1) is not None else int(m.group(3))
            out[layer][1 if m.group(4) else 0][m.group(2)] = key
        elif m := loop.match(key):
            out[int(m.group(1))][int(m.group(2))][m.group(3)] = key
    return out


def _check(cfg: RecurrentConfig) -> int:
    if cfg.cell not in _GATES:
        why = " (its layer norms would change with the unit count)" if cfg.cell == "ln_lstm" else ""
        raise ConfigError(  # the layer-norm reason was given for any cell, a user's own registered one too
            f"structured pruning supports {', '.join(_GATES)}, not {cfg.cell!r}{why}; use magnitude pruning"
        )
    if cfg.residual:
        raise ConfigError("structured pruning of a residual encoder is not supported; set residual=False")
    return _GATES[cfg.cell]


def _out_cols(idx: list[Tensor], width: int) -> Tensor:
    """Output columns kept when direction ``d`` keeps units ``idx[d]`` of ``width`` outputs each."""
    return torch.cat([d * width + i for d, i in enumerate(idx)])


def unit_scores(enc: RecurrentEncoder, head_weights: list[Tensor] | None = None) -> list[Tensor]:
    """L2 importance of every hidden unit: ``[layer]`` -> ``(D, H)``.

    Args:
        enc: the encoder.
        head_weights: weights ``(out, D*H_out)`` reading the top layer's output (e.g. a head's
            ``linear.weight``), whose columns count towards the top layer's scores.
    """
    cfg = enc.config
    gates = _check(cfg)
    H, D = cfg.hidden_size, cfg.directions
    sd = enc.state_dict()
    keys = _param_keys(enc)
    scores = []
    for layer in range(cfg.num_layers):
        sq = torch.zeros(D, H, dtype=torch.float64)
        for d in range(D):
            k = keys[layer][d]
            for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                w = sd[k[kind]].detach().cpu().double()
                rows = w.view(gates, H, -1) if w.dim() == 2 else w.view(gates, H, 1)
                sq[d] += (rows**2).sum((0, 2))
            rec = sd[k["weight_hr"]] if "weight_hr" in k else sd[k["weight_hh"]]
            sq[d] += (rec.detach().cpu().double() ** 2).sum(0)
            if "peephole" in k:
                sq[d] += (sd[k["peephole"]].detach().cpu().double() ** 2).sum(0)
        if not cfg.proj_size:  # outgoing columns in the next layer or the head
            readers = (
                [sd[keys[layer + 1][d]["weight_ih"]] for d in range(D)]
                if layer + 1 < cfg.num_layers
                else list(head_weights or [])
            )
            for w in readers:
                sq += (w.detach().cpu().double() ** 2).sum(0).view(D, H)
        scores.append(sq.sqrt())
    return scores


@check_args
def keep_count(hidden_size: int, amount: float | None = None, hidden: int | None = None) -> int:
    """Units to keep: ``hidden`` itself, or ``round((1 - amount) * hidden_size)`` (at least 1)."""
    if (amount is None) == (hidden is None):
        raise ConfigError("give exactly one of amount (a fraction to remove) and hidden (units to keep)")
    if hidden is None:
        assert amount is not None
        if not 0.0 <= amount < 1.0:
            raise ConfigError(f"amount must be in [0, 1), got {amount}")
        hidden = max(1, round((1.0 - amount) * hidden_size))
    if not 1 <= hidden <= hidden_size:
        raise ConfigError(f"hidden must be in [1, {hidden_size}], got {hidden}")
    return hidden


@check_args
def prune_encoder_units(
    enc: RecurrentEncoder,
    amount: float | None = None,
    hidden: int | None = None,
    scores: list[Tensor] | None = None,
) -> tuple[RecurrentEncoder, Tensor]:
    """A smaller encoder keeping the most important units of every layer and direction.

    Args:
        enc: the encoder to prune (left unchanged).
        amount: fraction of units to remove, or
        hidden: the new hidden size.
        scores: ``[layer]`` -> ``(D, H)`` importances (default: :func:`unit_scores` without a head).

    Returns:
        The new encoder (same device and dtype, same train/eval mode) and the kept columns of the top
        layer's output (``(D*H_out_new,)`` indices into the old ``D*H_out``), for :func:`slice_linear_inputs`.

    Raises:
        ConfigError: an unsupported cell, a residual encoder, bad sizes or scores.
    """
    cfg = enc.config
    gates = _check(cfg)
    H, D = cfg.hidden_size, cfg.directions
    new_h = keep_count(H, amount, hidden)
    if cfg.proj_size and new_h <= cfg.proj_size:
        raise ConfigError(f"hidden {new_h} must stay above proj_size {cfg.proj_size}; keep more units")
    scores = unit_scores(enc) if scores is None else scores
    if len(scores) != cfg.num_layers or any(tuple(s.shape) != (D, H) for s in scores):
        raise ConfigError(f"scores must be {cfg.num_layers} tensors of shape ({D}, {H})")
    keep = [
        [torch.sort(torch.topk(s[d].detach().cpu().double(), new_h).indices).values for d in range(D)]
        for s in scores
    ]
    new_cfg = dataclasses.replace(cfg, hidden_size=new_h)
    ref = next(enc.parameters())
    with torch.device("meta"):
        new = RecurrentEncoder(new_cfg)
    sd = enc.state_dict()
    new_sd: dict[str, Tensor] = {}
    old_keys, new_keys = _param_keys(enc), _param_keys(new)
    for layer in range(cfg.num_layers):
        in_cols = None if layer == 0 or cfg.proj_size else _out_cols(keep[layer - 1], H)
        for d in range(D):
            idx = keep[layer][d]
            rows = torch.cat([g * H + idx for g in range(gates)])
            for kind in _KINDS:
                if kind not in old_keys[layer][d]:
                    continue
                w = sd[old_keys[layer][d][kind]]
                if kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                    w = w[rows.to(w.device)]
                if kind == "weight_ih" and in_cols is not None:
                    w = w[:, in_cols.to(w.device)]
                if (kind == "weight_hh" and not cfg.proj_size) or kind in ("weight_hr", "peephole"):
                    w = w[:, idx.to(w.device)]
                new_sd[new_keys[layer][d][kind]] = w.clone()
    new = new.to_empty(device=ref.device).to(ref.dtype)
    new.load_state_dict(new_sd, strict=True)
    new.train(enc.training)
    if new.rnn is not None:
        new.rnn.flatten_parameters()
    cols = torch.arange(D * cfg.proj_size) if cfg.proj_size else _out_cols(keep[-1], H)
    log.info("pruned %s units: hidden %d -> %d", cfg.cell, H, new_h)
    return new, cols


def slice_linear_inputs(linear: nn.Linear, cols: Tensor) -> nn.Linear:
    """A copy of ``linear`` reading only the input features ``cols`` (weights and bias kept exactly)."""
    w = linear.weight.detach()
    out = nn.Linear(
        len(cols), linear.out_features, bias=linear.bias is not None, device=w.device, dtype=w.dtype
    )
    with torch.no_grad():
        out.weight.copy_(w[:, cols.to(w.device)])
        if linear.bias is not None:
            out.bias.copy_(linear.bias.detach())  # type: ignore[union-attr]
    return out


@check_args
def prune_units(
    model: nn.Module,
    amount: float | None = None,
    hidden: int | None = None,
    scores: list[Tensor] | None = None,
    rebuild: Callable[[RecurrentConfig], nn.Module] | None = None,
    encoder: str = "encoder",
    readers: Mapping[str, int] | None = None,
) -> nn.Module:
    """A smaller copy of a core sequence model (``model.encoder`` a :class:`RecurrentEncoder` and
    ``model.config.encoder`` its config, e.g. :class:`~carrousel.core.nn.SequenceClassifier`), or of any
    model with a ``.encoder`` when ``rebuild`` says how to build it around a smaller encoder.

    The encoder loses its least important units (:func:`prune_encoder_units`; the default scores count
    the head's input columns) and every other weight that read the encoder's output (the head's linear
    layer, an attention pooling's projection) keeps only the surviving columns. The model is rebuilt from
    its config with the new ``hidden_size``, so it saves and loads as a bundle like any other.

    Args:
        model: the model to prune (left unchanged).
        amount: share of each layer's units to remove (or give ``hidden``).
        hidden: units to keep per layer and direction.
        scores: per layer, the importance of each unit (default :func:`unit_scores`).
        rebuild: builds the same kind of model around an encoder of the given config (for models whose
            config does not hold the encoder's as ``config.encoder``); layers that read the encoder must
            keep their own sizes apart from those inputs (e.g. an attention pooling's scoring size).
        encoder: the attribute holding the encoder (e.g. ``"rnn"``; with ``rebuild``).
        readers: state-dict keys of the 2-D weights that read the encoder's output, each with the column
            where that output starts (a head over ``[encoder output, other features]`` has 0); their
            other columns are kept. Default: every weight outside the encoder whose input width is the
            encoder's output size, at column 0.

    Raises:
        ConfigError: a model without ``encoder`` / ``config.encoder``, or what
            :func:`prune_encoder_units` refuses.
    """
    enc = getattr(model, encoder, None)
    cfg = getattr(model, "config", None)
    name = type(model).__name__
    if not isinstance(enc, RecurrentEncoder):  # name the attribute that holds one, if any
        held = [n for n, child in model.named_children() if isinstance(child, RecurrentEncoder)]
        where = f"its RecurrentEncoder is .{held[0]}: pass encoder={held[0]!r}" if held else "it holds none"
        raise ConfigError(
            f"{name} has no .{encoder} RecurrentEncoder ({where}); for an encoder deeper inside, prune it with "
            "prune_encoder_units and slice the layers that read it with slice_linear_inputs"
        )
    if rebuild is None and (
        encoder != "encoder" or not dataclasses.is_dataclass(cfg) or not hasattr(cfg, "encoder")
    ):
        raise ConfigError(
            f"{name} cannot be rebuilt around a smaller .{encoder} by itself (only a model's .encoder, from its "
            f"config.encoder): give rebuild=lambda encoder_config: a {name} built around that smaller encoder"
        )
    ecfg: RecurrentConfig = enc.config
    width = ecfg.output_size
    old_sd = model.state_dict()
    prefix = f"{encoder}."
    if readers is None:
        readers = {
            k: 0
            for k, v in old_sd.items()
            if not k.startswith(prefix) and k.endswith("weight") and v.dim() == 2 and v.shape[1] == width
        }
    for key, at in readers.items():
        if key not in old_sd or old_sd[key].dim() != 2 or not 0 <= at <= old_sd[key].shape[1] - width:
            raise ConfigError(f"readers: {key} is no 2-D weight of the model with {width} columns from {at}")
    if scores is None:
        scores = unit_scores(enc, [old_sd[k][:, at : at + width] for k, at in readers.items()])
    new_enc, cols = prune_encoder_units(enc, amount, hidden, scores)
    if rebuild is not None:
        new_model = rebuild(new_enc.config)
    else:
        changes: dict[str, Any] = {"encoder": new_enc.config}
        if getattr(cfg, "pooling", None) == "attention" and getattr(cfg, "attention_size", None) == 0:
            changes["attention_size"] = width  # keep the attention's own size: only its inputs shrink
        new_cfg: Any = dataclasses.replace(cfg, **changes)  # type: ignore[type-var]
        new_model = type(model)(new_cfg)
    ref = next(model.parameters())
    new_model = new_model.to(ref.device, ref.dtype)
    target = new_model.state_dict()
    new_sd: dict[str, Tensor] = {}
    for key, value in old_sd.items():
        if key.startswith(prefix):
            continue
        want = target[key].shape
        if value.shape != want:
            first = readers.get(key)
            if first is not None and want[1] == value.shape[1] - width + len(cols):
                kept = torch.cat(
                    [torch.arange(first), first + cols, torch.arange(first + width, value.shape[1])]
                )
                value = value[:, kept.to(value.device)]
            else:
                raise ConfigError(
                    f"cannot map {key} {tuple(value.shape)} to {tuple(want)} when pruning units"
                )
        new_sd[key] = value.clone()
    for key, value in new_enc.state_dict().items():
        new_sd[f"{prefix}{key}"] = value
    new_model.load_state_dict(new_sd, strict=True)
    new_model.train(model.training)
    return new_model
