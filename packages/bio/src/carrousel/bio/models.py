"""DanQ-style network: convolutional motif detectors -> max pooling -> bidirectional LSTM (carrousel.core)
-> one sigmoid output per motif (multi-task); its strand-averaged batched inference (through
:func:`carrousel.core.train.predict`); and :class:`MotifModel`, the trained network with its motifs and
null calibration (saved and loaded as a core bundle by :mod:`carrousel.bio.pipeline`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn import functional as F

from carrousel.bio.calibration import NullCalibration
from carrousel.bio.errors import ModelConfigError, WindowError
from carrousel.bio.fasta import one_hot
from carrousel.bio.motifs import Motif
from carrousel.core.args import check_args
from carrousel.core.config import check_numbers
from carrousel.core.io import register_module
from carrousel.core.nn.recurrent import RecurrentConfig, RecurrentEncoder
from carrousel.core.provenance import PrecisionReport, precision_report, trained_precision
from carrousel.core.train import predict

__all__ = ["DanQ", "DanQConfig", "MotifModel", "attribution", "build_danq", "predict_logits", "rc_one_hot"]


@dataclass(frozen=True)
class DanQConfig:
    """Shape of a :class:`DanQ` network."""

    n_outputs: int  # one sigmoid output per motif / task
    filters: int = 64  # convolutional motif detectors
    kernel: int = 19  # detector width in bases
    pool: int = 10  # max-pool width and stride over the detector track
    hidden: int = 32  # LSTM hidden units per direction
    dropout: float = 0.2  # dropout after pooling and before the output layer
    window: int = 200  # input window in bases the model is trained on

    def __post_init__(self) -> None:
        check_numbers(self, ModelConfigError)
        sizes = {
            "n_outputs": 10_000,
            "filters": 4096,
            "kernel": 1001,
            "pool": 1000,
            "hidden": 4096,
            "window": 1_000_000,
        }
        for name, high in sizes.items():
            v = getattr(self, name)
            if not 1 <= v <= high:
                raise ModelConfigError(f"DanQ {name} must be an integer in [1, {high:,}], got {v!r}")
        if self.window < self.kernel:
            raise ModelConfigError(f"window {self.window} must be at least the kernel width {self.kernel}")
        if not 0.0 <= self.dropout < 1.0:
            raise ModelConfigError(f"dropout must be in [0, 1), got {self.dropout}")


@register_module("bio.danq")
class DanQ(nn.Module):
    """Conv -> ReLU -> MaxPool -> BiLSTM -> [max over time of LSTM outputs, max of conv] -> Linear.

    Args:
        config: network shape.
    """

    config_class = DanQConfig

    def __init__(self, config: DanQConfig) -> None:
        super().__init__()
        self.config = config
        self.conv = nn.Conv1d(4, config.filters, config.kernel, padding=config.kernel // 2)
        self.norm = nn.BatchNorm1d(config.filters)
        self.pool = nn.MaxPool1d(config.pool, ceil_mode=True)
        self.drop = nn.Dropout(config.dropout)
        self.rnn = RecurrentEncoder(
            RecurrentConfig(
                input_size=config.filters, hidden_size=config.hidden, cell="lstm", bidirectional=True
            )
        )
        self.head = nn.Linear(self.rnn.output_size + config.filters, config.n_outputs)

    @torch.no_grad()
    def init_from_log_odds(self, matrices: list[Tensor]) -> None:
        """Seeds the first filters with known motifs (and their reverse complements).

        Filter ``2i`` gets motif ``i``'s mean-centred log-odds ``(L, 4)``, filter ``2i + 1`` its reverse
        complement, centred in the kernel (the central columns when the motif is longer); the other
        filters keep their random initialisation. Training then refines all of them.
        """
        k = self.config.kernel
        f = 0
        for lo in matrices:
            for m in (lo, lo.flip(0).flip(1)):
                if f >= self.config.filters:
                    return
                m = m - m.mean(dim=1, keepdim=True)
                if m.shape[0] > k:
                    a = (m.shape[0] - k) // 2
                    m = m[a : a + k]
                off = (k - m.shape[0]) // 2
                w = torch.zeros(4, k)
                w[:, off : off + m.shape[0]] = m.T
                self.conv.weight[f] = w.to(self.conv.weight) * 0.5
                if self.conv.bias is not None:
                    self.conv.bias[f] = 0.0
                f += 1

    def features(self, x: Tensor) -> Tensor:
        """Detector activations ``(batch, filters, length)`` after ReLU."""
        return torch.relu(self.norm(self.conv(x)))

    def forward(self, x: Tensor) -> Tensor:
        """Logits per motif.

        Args:
            x: ``(batch, 4, length)`` one-hot DNA (N = all zeros).

        Returns:
            ``(batch, n_outputs)`` logits.
        """
        h = self.features(x)
        pooled = self.drop(self.pool(h))  # (B, F, T')
        out = self.rnn(pooled.transpose(1, 2)).output  # (B, T', 2H)
        feats = torch.cat([out.amax(dim=1), h.amax(dim=2)], dim=1)
        return self.head(self.drop(feats))

    def _folded_conv(self) -> tuple[Tensor, Tensor]:
        """Convolution weights ``(F, 4, K)`` and bias ``(F,)`` with the (evaluation-mode) batch norm folded in."""
        bn = self.norm
        assert bn.running_mean is not None and bn.running_var is not None
        scale = torch.rsqrt(bn.running_var + bn.eps)
        if bn.weight is not None:
            scale = scale * bn.weight
        bias = self.conv.bias if self.conv.bias is not None else torch.zeros_like(bn.running_mean)
        shift = (bias - bn.running_mean) * scale
        if bn.bias is not None:
            shift = shift + bn.bias
        return self.conv.weight * scale[:, None, None], shift

    @check_args
    def predict(self, x: Tensor, rc_average: bool = True, pool_op: bool = False) -> Tensor:
        """Evaluation-mode logits, optionally averaged over both strands, computed the fast way.

        The same function as :meth:`forward` in evaluation mode (up to float rounding): batch norm is
        folded into the convolution, which runs as a channels-last 1 x K 2-D convolution (3-4x faster on
        CPU), the ReLU moves after the max pool (max and ReLU commute), the global max of the detector
        track is taken from the pooled track (the pool covers every position), and both strands run as
        one batch.

        Args:
            x: ``(batch, 4, length)`` one-hot DNA (N = all zeros).
            rc_average: also run the reverse complement and average the two strands' probabilities.
            pool_op: the graph for ONNX export: a plain convolution, ReLU and a max-pool operator (ONNX
                Runtime keeps convolution and pool in its blocked layout and reorders only the pooled track,
                10x smaller: 1.3x faster at batch 64) instead of PyTorch's faster channels-last
                reshape-and-max. The same function.

        Returns:
            ``(batch, n_outputs)`` logits (of the strand-averaged probability when ``rc_average``).
        """
        if self.training:
            raise RuntimeError("DanQ.predict is for evaluation mode; call .eval() first")
        n = x.shape[0]
        x4 = x.unsqueeze(2)  # (B, 4, 1, L); a transposed (B, L, 4) array is already channels-last
        if rc_average:
            x4 = torch.cat([x4, x4.flip((1, 3))])
        w, b = self._folded_conv()
        k, pool = self.config.kernel, self.config.pool
        if pool_op:
            z = torch.relu(F.conv2d(x4, w.unsqueeze(2), b, padding=(0, k // 2)))  # (B, F, 1, L)
            track = F.max_pool2d(z, (1, pool), ceil_mode=True).squeeze(2).transpose(1, 2)  # (B, T', F)
            return self._head(track, n, rc_average)
        x4 = x4.contiguous(memory_format=torch.channels_last)
        # a 1 x K 2-D convolution in channels-last layout: the same arithmetic as conv1d, several times
        # faster on CPU (oneDNN's 4-channel conv1d path is slow), and its output is already (B, L, F)
        z = F.conv2d(
            x4,
            w.unsqueeze(2).contiguous(memory_format=torch.channels_last),
            b,
            padding=(0, k // 2),
        )  # (B, F, 1, L) stored as (B, 1, L, F)
        z = z.permute(0, 2, 3, 1).reshape(x4.shape[0], -1, w.shape[0])  # (B, L, F), no copy
        length = z.shape[1]
        steps = -(-length // pool)  # ceil_mode pooling
        if steps * pool != length:  # pad the last pool cell with -inf (a max ignores it)
            z = F.pad(z, (0, 0, 0, steps * pool - length), value=float("-inf"))
        pooled = torch.relu(z.reshape(x4.shape[0], steps, pool, -1).amax(dim=2))  # (B, T', F)
        return self._head(pooled, n, rc_average)

    def _head(self, pooled: Tensor, n: int, rc_average: bool) -> Tensor:
        """Logits ``(n, n_outputs)`` from the pooled detector track ``(B, T', F)`` (B = 2n when both strands)."""
        out = self.rnn(pooled).output  # (B, T', 2H)
        logits = self.head(torch.cat([out.amax(dim=1), pooled.amax(dim=1)], dim=1))
        if not rc_average:
            return logits
        p = 0.5 * (torch.sigmoid(logits[:n]) + torch.sigmoid(logits[n:]))
        return torch.logit(p.clamp(1e-7, 1 - 1e-7))


@check_args
def build_danq(n_outputs: int, **kwargs: int | float) -> DanQ:
    """Factory: a :class:`DanQ` with ``n_outputs`` tasks and optional shape overrides."""
    return DanQ(DanQConfig(n_outputs=n_outputs, **kwargs))  # type: ignore[arg-type]


def rc_one_hot(x: Tensor) -> Tensor:
    """Reverse complement of one-hot DNA ``(batch, 4, length)`` (A<->T, C<->G is a flip of the channels)."""
    return x.flip(1).flip(2)


def _both_strands(model: nn.Module, x: Tensor) -> Tensor:
    """Logit of the mean of both strands' probabilities, from two plain forward passes."""
    p = torch.sigmoid(model(x).float())
    p = 0.5 * (p + torch.sigmoid(model(rc_one_hot(x)).float()))
    return torch.logit(p.clamp(1e-7, 1 - 1e-7), eps=None)


def _both_strands_fast(model: nn.Module, x: Tensor) -> Tensor:
    return model.predict(x)  # type: ignore[operator,no-any-return]


def _one_hot(codes: np.ndarray | Tensor) -> Tensor:
    return torch.from_numpy(one_hot(np.asarray(codes)))


def _one_hot_channels_last(codes: np.ndarray | Tensor) -> Tensor:
    return torch.from_numpy(one_hot(np.asarray(codes), bases_last=True)).transpose(1, 2)


@check_args
def predict_logits(
    model: DanQ,
    codes: np.ndarray,
    batch_size: int = 512,
    fast: bool = False,
    runtime: nn.Module | None = None,
    precision: str = "fp32",
) -> np.ndarray:
    """Strand-averaged logits of windows: each window and its reverse complement run through the
    network and the two probabilities are averaged (returned as a logit), in batches by
    :func:`carrousel.core.train.predict`.

    Args:
        model: the network (evaluation mode is set for the call).
        codes: ``(N, W)`` uint8 codes.
        batch_size: windows per batch (each batch runs its windows and their reverse complements).
        fast: use :meth:`DanQ.predict` (batch norm folded, channels-last convolution, both strands in
            one pass; the same function up to float rounding, 2-3x faster on CPU) instead of two plain
            forward passes.
        runtime: an exported network (:class:`carrousel.core.export.OnnxModule` of :meth:`DanQ.predict`,
            from an exported bundle), run instead of ``model``.
        precision: ``"fp32"``, or ``"bf16"`` / ``"fp16"`` autocast of ``model`` (checked against its device
            by :func:`carrousel.core.train.predict`; an exported ``runtime`` runs fp32 only).

    Returns:
        ``(N, K)`` float64 logits.
    """
    if runtime is not None:
        return predict(
            runtime,
            codes,
            batch_size,
            prepare=_one_hot_channels_last,
            empty_shape=(model.config.n_outputs,),
            precision=precision,
        )
    return predict(
        model,
        codes,
        batch_size,
        forward=_both_strands_fast if fast else _both_strands,
        prepare=_one_hot_channels_last if fast else _one_hot,
        empty_shape=(model.config.n_outputs,),
        precision=precision,
    )


@dataclass(frozen=True, eq=False)
class MotifModel:
    """A trained DanQ network with its motifs (one per output) and its null calibration.

    Saved and loaded as a core bundle of kind ``"bio.danq"`` by :func:`carrousel.bio.pipeline.save_model`
    and :func:`carrousel.bio.pipeline.load_model`.

    Attributes:
        model: the network.
        motifs: one motif per output (PWM p-values of model sites, site placement, discovery).
        calibration: the model's logits on dinucleotide-shuffled background windows.
        info: provenance (the command that trained it, seed, windows, trainer settings, validation
            figures, input files' checksums).
        background: the model's logits on real background windows it was not trained on (held-out
            negatives, or fresh genome windows), when it has them: the null of a peak-set scan.
        runtime: the exported network of an exported bundle (``bio export``), which scores windows
            instead of ``model`` (still used for gradients); None for a plain bundle.
        precision: ``"fp32"``, or ``"bf16"`` / ``"fp16"``: :meth:`logits` runs ``model`` under that autocast.
        exported: the precision of ``runtime``'s ONNX file (``"int8"``, ``"fp32"``), which it runs in.
    """

    model: DanQ
    motifs: list[Motif]
    calibration: NullCalibration
    info: dict[str, Any] = field(default_factory=dict)
    background: NullCalibration | None = None
    runtime: nn.Module | None = None
    precision: str = "fp32"
    exported: str | None = None

    def precisions(self) -> PrecisionReport:
        """``trained_precision`` (``info``'s record) and ``precision`` (what :meth:`logits` runs in), as
        ``--json`` reports them."""
        run = self.exported if self.runtime is not None else None
        return precision_report(trained_precision(self.info), self.precision, run)

    @property
    def own_motifs(self) -> bool:
        """The motifs were read from the network's filters (trained without motifs), not given: as training
        records it (``info["motifs_from_filters"]``), else (saved before it did) by their ``task{k}...`` IDs."""
        told = self.info.get("motifs_from_filters")
        ids = all(re.fullmatch(r"task\d+(_filter\d+)?", m.id) for m in self.motifs)
        return told if isinstance(told, bool) else bool(self.motifs) and ids

    @property
    def window(self) -> int:
        """Input window in bases."""
        return self.model.config.window

    @check_args
    def logits(self, codes: np.ndarray, batch_size: int = 512) -> np.ndarray:
        """``(N, W)`` codes -> ``(N, K)`` strand-averaged logits (:func:`predict_logits`).

        Args:
            codes: ``(N, W)`` integer base codes 0..4 (``A C G T N``, :func:`carrousel.bio.dna.encode`),
                ``W`` the model's :attr:`window`.
            batch_size: windows per batch.

        Raises:
            WindowError: not ``(N, W)`` integer codes 0..4 (one window, letters, another width).
        """
        codes = _window_codes(codes, self.window)
        return predict_logits(self.model, codes, batch_size, runtime=self.runtime, precision=self.precision)


def _window_codes(codes: object, window: int) -> np.ndarray:
    """``codes`` as ``(N, window)`` uint8 base codes, or the :class:`WindowError` saying what is wrong."""
    fix = f"give an (N, {window}) array of codes 0-4, e.g. np.stack([encode(s) for s in seqs])"
    try:
        arr = np.asarray(codes)
    except ValueError:  # ragged nested lists
        raise WindowError(f"windows of different lengths; {fix} (carrousel.bio.data.fit_windows)") from None
    if arr.size == 0 and arr.ndim <= 2:  # no windows (an empty list)
        return np.zeros((0, window), dtype=np.uint8)
    if arr.dtype.kind in "USO":
        raise WindowError(f"windows given as letters, not base codes; encode them: {fix}")
    if arr.ndim == 1:
        raise WindowError(f"one window of shape {arr.shape}, not (N, {window}) windows; pass codes[None]")
    if arr.ndim != 2 or arr.dtype.kind not in "iu":
        raise WindowError(
            f"windows of shape {arr.shape} and dtype {arr.dtype}, not integer base codes; {fix}"
        )
    if arr.shape[1] != window:
        raise WindowError(
            f"{arr.shape[1]}-base windows; this model reads {window}-base windows: centre, cut or pad them "
            "with carrousel.bio.data.fit_windows(codes_list, model.window)"
        )
    if int(arr.min()) < 0 or int(arr.max()) > 4:
        bad = int(arr.min()) if int(arr.min()) < 0 else int(arr.max())
        raise WindowError(f"code {bad} in the windows; base codes are 0-4 (A C G T N): {fix}")
    return arr.astype(np.uint8, copy=False)


def attribution(model: torch.nn.Module, codes: np.ndarray, tasks: np.ndarray) -> np.ndarray:
    """Gradient x input of each window's task logit (summed over both strands' passes).

    Args:
        model: the network.
        codes: ``(P, W)`` window codes.
        tasks: ``(P,)`` task index per window.

    Returns:
        ``(P, W)`` per-base attribution (positive = supports the task).
    """
    if codes.shape[0] == 0:
        return np.zeros((0, codes.shape[1]))
    device = next(model.parameters()).device
    model.eval()
    out = []
    for i in range(0, codes.shape[0], 256):
        x = torch.from_numpy(one_hot(codes[i : i + 256])).to(device).requires_grad_(True)
        t = torch.from_numpy(tasks[i : i + 256].astype(np.int64)).to(device)
        logit = model(x).gather(1, t[:, None]).sum() + model(rc_one_hot(x)).gather(1, t[:, None]).sum()
        (grad,) = torch.autograd.grad(logit, x)
        out.append((grad * x).sum(dim=1).detach().cpu().numpy())
    return np.concatenate(out).astype(np.float64)
