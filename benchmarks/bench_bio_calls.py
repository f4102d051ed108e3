"""Calling rules of the model scan compared on the same windows: the shipped panel on REAL peaks.

The held-out mixes of ``bench_bio_peaks.py`` (janggu's Oct4 and Mafk 200-bp peaks, split 80/20 by record
with the same seeds; one 200-bp window per peak) are scored once: the panel's logit for the motif's output,
the model p-value against the scan's null (2,000 dinucleotide shuffles of the file, as ``bio scan`` draws
them) and the window-level PWM p-value (best site, Sidak). Every rule is then applied to these numbers:

* ``pwm``: window PWM p <= a (the PWM method: site p <= 1e-4; a = 1 - (1 - 1e-4)^(2 (W - L + 1)));
* ``BH 2 x min``: BH q <= 0.05 over 2 x min(model p, PWM p) (``--model-calls fdr``, the rule before);
* ``2 x min <= a``: Bonferroni at the PWM's window rate;
* ``min <= c``: the shipped ``pwm-rate`` rule (c set on the null windows to call no more of them than the
  PWM rule);
* ``Fisher``: -log model p - log PWM p, its cut set on the null windows the same way.

Also printed: the fraction of target peaks each score alone ranks above the PWM rule's other-factor rate
(the ROC at the PWM's false-positive rate): whether the model output ranks these peaks better or worse
than the PWM. The ``pwm-rate`` default was chosen on Oct4 vs Mafk, seed 0.

Usage: ``python benchmarks/bench_bio_calls.py [--seeds 0,1]``
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))


def run(target: str, other: str, motif: str, seed: int) -> None:
    import bench_bio_peaks as bp

    from carrousel.bio.bundle import load_model
    from carrousel.bio.calibration import NullCalibration
    from carrousel.bio.fasta import encode
    from carrousel.bio.model_calls import pwm_window_rate
    from carrousel.bio.model_null import padded_window, shuffled_windows
    from carrousel.bio.models import predict_logits
    from carrousel.bio.motifs import resolve_motifs
    from carrousel.bio.pwm import IntegerPWM
    from carrousel.bio.sites import window_pwm_pvalues
    from carrousel.core.metrics import benjamini_hochberg
    from carrousel.core.samples import sample_path

    _, t_test = bp._split(sample_path(f"bio.{target}"), seed)
    _, o_test = bp._split(sample_path(f"bio.{other}"), seed)
    model = load_model(None)
    k = [m.id for m in model.motifs].index(resolve_motifs([motif])[0].id)
    pw = IntegerPWM(model.motifs[k])
    W = model.window
    recs = t_test + o_test
    lab = np.arange(len(recs)) < len(t_test)
    wins = np.stack([padded_window(encode(s)[:W], W) for _, s in recs])
    with tempfile.TemporaryDirectory() as d:
        fa = Path(d) / "mixed.fa"
        fa.write_text("".join(f">{n}\n{s}\n" for n, s in recs))
        null = shuffled_windows(fa, W, 2000, np.random.default_rng(0))
    assert null is not None

    def logits(x: np.ndarray) -> np.ndarray:
        return predict_logits(model.model, x, 128, fast=True, runtime=model.runtime)[:, k]

    z, zn = logits(wins), logits(null)
    cal = NullCalibration.from_scores(zn[:, None])
    pm, pmn = cal.pvalues(z[:, None])[:, 0], cal.pvalues(zn[:, None])[:, 0]
    pp, ppn = window_pwm_pvalues(wins, pw), window_pwm_pvalues(null, pw)
    a = pwm_window_rate(1e-4, W, pw.length)
    calls = int((ppn <= a).sum())

    def matched(s: np.ndarray, sn: np.ndarray) -> np.ndarray:  # larger = stronger; null calls <= PWM's
        cut = np.sort(sn)[::-1][calls - 1]
        return s > cut if (sn >= cut).sum() > calls else s >= cut

    t, tn = np.minimum(pm, pp), np.minimum(pmn, ppn)
    rules = {
        "pwm": pp <= a,
        "BH 2 x min": benjamini_hochberg(np.minimum(2 * t, 1.0), t.size) <= 0.05,
        "2 x min <= a": 2 * t <= a,
        "min <= c (pwm-rate)": matched(-np.log(t), -np.log(tn)),
        "Fisher": matched(-np.log(pm) - np.log(pp), -np.log(pmn) - np.log(ppn)),
    }
    print(f"{target} vs {other}, seed {seed}, {motif}: PWM rule calls {calls / ppn.size:.3f} of the null")
    for name, hit in rules.items():
        print(f"  {name:22s} target {hit[lab].mean():.3f} other {hit[~lab].mean():.3f}")
    rate = (pp[~lab] <= a).mean()
    for name, s in (("PWM", -np.log(pp)), ("model", z), ("min", -np.log(t))):
        cut = np.quantile(s[~lab], 1 - rate)
        print(
            f"  ranking by {name:5s}: target fraction at the PWM's other rate {rate:.3f}: {(s[lab] > cut).mean():.3f}"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="0,1", help="comma-separated split seeds")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    import bench_bio_peaks as bp

    for seed in (int(s) for s in args.seeds.split(",")):
        for target, other, motif in bp.PAIRS:
            run(target, other, motif, seed)


if __name__ == "__main__":
    main()
