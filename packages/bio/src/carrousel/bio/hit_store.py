"""PWM scan hits held compactly until they are written: a few bytes per hit, never Python objects per hit.

A scan with many motifs over a large genome finds tens of millions of hits, and their q-values are only
known at the end (Benjamini-Hochberg over every tested window of each motif). The scanner hands each
chunk's hits to a :class:`HitStore`, which sorts them (start, strand, motif) and keeps them as packed
rows (start, integer score, motif, strand: 25 bytes) plus their sequences (one byte per base); past
:data:`SPILL_BYTES` the rows go to an anonymous temporary file (deleted by the system when closed, on an
error or a kill too). The q-values come from each motif's score histogram, so the rows need no second
look until they are read back, in the final order, as tables of at most :data:`BLOCK_ROWS` rows
(:meth:`SpilledHits.blocks`); the formats write them one table at a time.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np

from carrousel.bio.hits import Hits
from carrousel.bio.pwm import IntegerPWM
from carrousel.core.args import check_args
from carrousel.core.errors import OutputError, ShapeError
from carrousel.core.metrics import benjamini_hochberg

__all__ = ["BLOCK_ROWS", "SPILL_BYTES", "HitStore", "SpilledHits", "hit_blocks"]

SPILL_BYTES = 64 << 20  # hit bytes held in memory before they go to the temporary file
BLOCK_ROWS = 1 << 16  # rows per table read back (rendering a row costs about a kilobyte, briefly)

_ROW = np.dtype([("start", "<i8"), ("score", "<i8"), ("k", "<i4"), ("minus", "?")])  # packed: 21 bytes

# one motif's hits on one chunk: (motif index, starts, integer scores, reverse-strand flags, sequences)
Part = tuple[int, np.ndarray, np.ndarray, np.ndarray, list[str]]


@dataclass
class _Block:
    """One chunk's hits, sorted by start, strand and motif."""

    record: int  # index into HitStore.names
    first: int  # first window start the chunk owns (record coordinates)
    n: int  # rows
    seq_bytes: int  # bytes of the concatenated sequences
    offset: int = -1  # where the rows start in the temporary file (-1: held in memory)
    data: tuple[np.ndarray, bytes] | None = None  # the rows and sequences while held in memory


class HitStore:
    """The hits of a PWM scan, chunk by chunk, in bounded memory (see the module docstring).

    Args:
        pwms: the scanned motifs (hit parts name them by index).
        spill_dir: folder of the temporary file (default: the system's temporary folder).
        spill_bytes: bytes held in memory before spilling (default :data:`SPILL_BYTES`).
        floors: per motif, the smallest integer score a hit can have (the scan's threshold; default: the
            motif's ``lo``). The hits per score bin are counted from there up only: at p <= 1e-4 about a
            tenth of a motif's bins, ~54 MB less for the 879 JASPAR vertebrate motifs.
    """

    @check_args
    def __init__(
        self,
        pwms: Sequence[IntegerPWM],
        spill_dir: str | Path | None = None,
        spill_bytes: int | None = None,
        floors: Sequence[int] | None = None,
    ) -> None:
        self.pwms = list(pwms)
        self.spill_dir = spill_dir
        self.spill_bytes = SPILL_BYTES if spill_bytes is None else spill_bytes
        self.names: list[str] = []
        self._index: dict[str, int] = {}
        self.blocks: list[_Block] = []
        self.by_record: dict[int, list[int]] = {}
        lows = [p.lo for p in self.pwms] if floors is None else list(floors)
        if len(lows) != len(self.pwms):
            raise ShapeError(f"HitStore: {len(lows)} floors for {len(self.pwms)} motifs")
        # counts[k][i]: hits of motif k in score bin first_bin[k] + i (no hit scores below its floor)
        self.first_bin = [min(max(f - p.lo, 0), p.sf.size) for p, f in zip(self.pwms, lows, strict=True)]
        self.counts = [
            np.zeros(p.sf.size - b, dtype=np.int64) for p, b in zip(self.pwms, self.first_bin, strict=True)
        ]
        self.seen: list[list[list[int]]] = [[] for _ in self.pwms]  # per motif: [record, max score]
        ids = [p.motif.id for p in self.pwms]
        rank = {m: i for i, m in enumerate(sorted(set(ids)))}
        self.rank = np.array([rank[m] for m in ids], dtype=np.int64)
        self.lengths = np.array([p.length for p in self.pwms], dtype=np.int64)
        self._held = 0
        self._file: IO[bytes] | None = None
        self.spilled = 0  # bytes written to the temporary file

    @check_args
    def add(self, record: str, first: int, parts: list[Part]) -> None:
        """Stores one chunk's hits (``parts`` in motif order; starts in record coordinates)."""
        r = self._index.setdefault(record, len(self.names))
        if r == len(self.names):
            self.names.append(record)
        self.by_record.setdefault(r, []).append(len(self.blocks))
        parts = [p for p in parts if p[1].size]
        if not parts:
            self.blocks.append(_Block(r, first, 0, 0, data=(np.zeros(0, _ROW), b"")))
            return
        k = np.concatenate([np.full(p[1].size, p[0], dtype=np.int32) for p in parts])
        start = np.concatenate([p[1] for p in parts])
        score = np.concatenate([p[2] for p in parts])
        minus = np.concatenate([p[3] for p in parts])
        order = np.lexsort((k, self.rank[k], minus, start))
        rows = np.empty(order.size, dtype=_ROW)
        rows["start"], rows["score"], rows["k"], rows["minus"] = (
            start[order],
            score[order],
            k[order],
            minus[order],
        )
        seqs = [s for p in parts for s in p[4]]
        blob = "".join([seqs[i] for i in order.tolist()]).encode("ascii")
        for kk, _, sc, _, _ in parts:
            pw, base, counts = self.pwms[kk], self.first_bin[kk], self.counts[kk]
            bins = np.clip(sc - pw.lo, 0, pw.sf.size - 1) - base
            if int(bins.min()) < 0:
                raise ShapeError(
                    f"HitStore: a hit of motif {pw.motif.id} scores below its floor {pw.lo + base}"
                )
            counts += np.bincount(bins, minlength=counts.size)
            top, seen = int(sc.max()), self.seen[kk]
            if seen and seen[-1][0] == r:
                seen[-1][1] = max(seen[-1][1], top)
            else:
                seen.append([r, top])
        self.blocks.append(_Block(r, first, rows.size, len(blob), data=(rows, blob)))
        self._held += rows.nbytes + len(blob)
        if self._held > self.spill_bytes:
            self._spill()

    def _spill(self) -> None:
        """Moves every block held in memory to the end of the temporary file."""
        try:
            if self._file is None:
                self._file = tempfile.TemporaryFile(prefix="carrousel-hits.", dir=self.spill_dir)  # noqa: SIM115
            fh = self._file
            fh.seek(0, 2)
            for b in self.blocks:
                if b.data is not None and b.n:
                    b.offset = fh.tell()
                    fh.write(b.data[0].tobytes())
                    fh.write(b.data[1])
                    self.spilled += b.data[0].nbytes + b.seq_bytes
                    b.data = None
        except OSError as exc:
            where = self.spill_dir or tempfile.gettempdir()
            raise OutputError(
                f"cannot write the scan's temporary hit file in {where} ({exc.strerror or exc}); "
                "free space there or point TMPDIR at a larger folder"
            ) from None
        self._held = 0

    @check_args
    def read(self, i: int) -> tuple[np.ndarray, bytes]:
        """Block ``i``'s rows and sequences."""
        b = self.blocks[i]
        if b.data is not None:
            return b.data
        assert self._file is not None
        self._file.seek(b.offset)
        rows = np.frombuffer(self._file.read(b.n * _ROW.itemsize), dtype=_ROW)
        return rows, self._file.read(b.seq_bytes)

    def close(self) -> None:
        """Deletes the temporary file (idempotent)."""
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.close()
            self._file = None


class SpilledHits(Hits):
    """The sorted hits of a scan, read back from a :class:`HitStore` on demand.

    ``len`` needs no reading; :meth:`blocks` yields the rows in their final order a table at a time; the
    columns (``hits["start"]``, :meth:`rows`) are built whole on first use, for Python callers.

    Args:
        store: the scanner's hits.
        hist: per motif, the histogram of tested scores (for the q-values).
        n_tests: per motif, the windows tested.
        qvalue: keep only hits with a q-value at most this (None: all).
        extra: other hits merged into the order (the model scan's, in their own order).
        hist_base: per motif, the score bin its histogram starts at (none counted below; default 0).
    """

    @check_args
    def __init__(
        self,
        store: HitStore,
        hist: Sequence[np.ndarray],
        n_tests: Sequence[int],
        qvalue: float | None = None,
        extra: Hits | None = None,
        hist_base: Sequence[int] | None = None,
    ) -> None:
        self.store, self.qvalue = store, qvalue
        self.extra = extra if extra is not None and len(extra) else None
        self._cols: dict[str, np.ndarray] | None = None
        self.per_motif: dict[str, int] | None = None  # cache of the summary's hits per motif
        pwms = store.pwms
        sizes = np.array([p.sf.size for p in pwms], dtype=np.int64)
        self._off = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        self._sizes, self._lo = sizes, np.array([p.lo for p in pwms], dtype=np.int64)
        self._hi = np.array([p.hi for p in pwms], dtype=np.int64)
        self._scale = np.array([p.scale for p in pwms], dtype=np.float64)
        self._q = np.empty(int(sizes.sum()), dtype=np.float64)  # filled in place: no list of copies
        q = [self._q[o : o + z] for o, z in zip(self._off.tolist(), sizes.tolist(), strict=True)]
        bases = [0] * len(pwms) if hist_base is None else hist_base
        for p, h, n, qk, b in zip(pwms, hist, n_tests, q, bases, strict=True):
            if b:  # the whole histogram, one motif at a time
                h = np.concatenate([np.zeros(b, dtype=h.dtype), h])
            qk[:] = benjamini_hochberg(p.sf, n, counts=h)
        self._ids = np.array([p.motif.id for p in pwms], dtype=object)
        self._names = np.array([p.motif.name for p in pwms], dtype=object)
        self._n = 0
        order: list[int] = []
        for k, (qk, c, b) in enumerate(zip(q, store.counts, store.first_bin, strict=True)):
            self._n += int(c[qk[b:] <= qvalue].sum()) if qvalue is not None else int(c.sum())
            lo, top = pwms[k].lo, pwms[k].sf.size - 1
            order += [r for r, s in store.seen[k] if qvalue is None or qk[min(max(s - lo, 0), top)] <= qvalue]
        self._model: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        if self.extra is not None:
            names = self.extra["record"].tolist()
            for name in dict.fromkeys(names):
                if name not in store._index:
                    store._index[name] = len(store.names)
                    store.names.append(name)
            rec = np.array([store._index[n] for n in names], dtype=np.int64)
            order += rec.tolist()
            for r in np.unique(rec).tolist():
                idx = np.flatnonzero(rec == r)
                idx = idx[np.argsort(self.extra["start"][idx], kind="stable")]
                self._model[r] = (idx, self.extra["start"][idx])
            self._n += len(self.extra)
        self.record_order = list(dict.fromkeys(order))

    @property  # type: ignore[override]
    def cols(self) -> dict[str, np.ndarray]:
        if self._cols is None:
            self._cols = Hits.concat(list(self.blocks())).cols
        return self._cols

    @cols.setter
    def cols(self, value: dict[str, np.ndarray]) -> None:
        self._cols = value

    def __len__(self) -> int:
        return self._n

    @check_args
    def blocks(self, sequences: bool = True) -> Iterator[Hits]:
        """The hits in their final order (record, start, strand, motif), at most :data:`BLOCK_ROWS` rows a
        table; ``sequences=False`` leaves the sequence column empty (faster, for counting).

        The other hits of a record go into the chunk that owns their start, after PWM hits at the same
        place, as one stable sort of all the hits would put them."""
        extra, blocks = self.extra, self.store.blocks
        for r in self.record_order:
            ids = self.store.by_record.get(r, [])
            model = self._model.get(r)
            if extra is None or model is None:
                for i in ids:
                    yield from _slices(self._table(i, sequences))
                continue
            rows, starts = model
            if not ids:
                yield from _slices(_sorted(extra.take(rows)))
            for j, i in enumerate(ids):
                a = int(np.searchsorted(starts, blocks[i].first)) if j else 0
                b = int(np.searchsorted(starts, blocks[ids[j + 1]].first)) if j + 1 < len(ids) else rows.size
                table = self._table(i, sequences)
                yield from _slices(_sorted(Hits.concat([table, extra.take(rows[a:b])])) if b > a else table)

    def _table(self, i: int, sequences: bool) -> Hits:
        """Block ``i`` as a table: the columns a PWM hit has, from its packed rows."""
        rows, blob = self.store.read(i)
        k, score = rows["k"].astype(np.int64), rows["score"]
        idx = self._off[k] + np.clip(score - self._lo[k], 0, self._sizes[k] - 1)
        q = self._q[idx]
        keep = q <= self.qvalue if self.qvalue is not None else np.ones(k.size, dtype=bool)
        if not keep.any():
            return Hits()
        lengths = self.store.lengths[k]
        if sequences:
            text = blob.decode("ascii")
            at = (np.cumsum(lengths) - lengths)[keep].tolist()
            seqs = [text[o : o + n] for o, n in zip(at, lengths[keep].tolist(), strict=True)]
        else:
            seqs = [""] * int(keep.sum())
        k, score, start, bins = k[keep], score[keep], rows["start"][keep], (idx - self._off[k])[keep]
        pvalue = np.empty(k.size, dtype=np.float64)  # read from each motif's own sf (no joined copy)
        for kk in np.unique(k).tolist():
            at = k == kk
            pvalue[at] = self.store.pwms[kk].sf[bins[at]]
        return Hits.from_columns(
            record=np.full(k.size, self.store.names[self.store.blocks[i].record], dtype=object),
            start=start,
            end=start + lengths[keep],
            strand=np.where(rows["minus"][keep], "-", "+").astype(object),
            motif_id=self._ids[k],
            motif_name=self._names[k],
            pwm_score=np.asarray(score, dtype=np.float64) / self._scale[k],
            pvalue=np.where(score > self._hi[k], 0.0, pvalue),
            qvalue=q[keep],
            method=np.full(k.size, "pwm", dtype=object),
            sequence=np.array(seqs, dtype=object),
        )

    def methods(self) -> set[str]:
        """The methods of the rows, without reading them."""
        pwm = {"pwm"} if self._n > (len(self.extra) if self.extra is not None else 0) else set()
        return pwm | (self.extra.methods() if self.extra is not None else set())

    @check_args
    def motif_counts(self, both: bool) -> dict[str, int]:
        """Hits per motif (``ID:method`` keys when ``both``), in order of first appearance."""
        if self._cols is not None:
            return super().motif_counts(both)
        if self.per_motif is None:
            per: Counter[str] = Counter()
            for t in self.blocks(sequences=False):
                ids = t["motif_id"].tolist()
                keys = [f"{m}:{x}" for m, x in zip(ids, t["method"].tolist(), strict=True)] if both else ids
                per.update(keys)
            self.per_motif = dict(per)
        return self.per_motif


def _sorted(hits: Hits) -> Hits:
    """One record's hits by start, strand and motif (stable: ties keep their order)."""
    ids = hits["motif_id"].tolist()
    rank = {m: i for i, m in enumerate(sorted(set(ids)))}
    motif = np.fromiter((rank[m] for m in ids), dtype=np.int64, count=len(ids))
    return hits.take(np.lexsort((motif, hits["strand"] == "-", hits["start"])))


def _slices(hits: Hits) -> Iterator[Hits]:
    for a in range(0, len(hits), BLOCK_ROWS):
        yield hits if len(hits) <= BLOCK_ROWS else hits.take(slice(a, a + BLOCK_ROWS))


@check_args
def hit_blocks(hits: Hits, sequences: bool = True) -> Iterator[Hits]:
    """The tables of ``hits`` in order: :meth:`SpilledHits.blocks`, or ``hits`` itself when it is whole."""
    if isinstance(hits, SpilledHits):
        yield from hits.blocks(sequences)
    elif len(hits):
        yield hits
