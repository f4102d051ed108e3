"""``--mask-lower`` means the same in every method: no reported hit touches a soft-masked (lower-case)
base, and the model's nulls and backgrounds are built from unmasked sequence only. Each test builds a
sequence holding a planted site in upper case and copies of it in lower case (whole, or one base)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from carrousel.bio.cli import app
from carrousel.bio.config import ScanConfig
from carrousel.bio.model_null import background_windows, shuffled_windows
from tests.bio.conftest import SITE, _lcg

runner = CliRunner()

UPPER, COPY = 500, 1014  # the upper-case site; its copy, middle base and 12-base flanks in lower case
MASKED = set(range(COPY - 12, COPY)) | {COPY + 7} | set(range(COPY + len(SITE), COPY + len(SITE) + 12))


def _genome(path: Path) -> Path:
    """``chr1``: background from :func:`_lcg`, SITE upper case at 500 and its copy at 1014 with the middle
    base and 12 bases either side in lower case (every 9-mer near the copy touches a masked base)."""
    copy = _lcg(12, 3).lower() + SITE[:7] + SITE[7].lower() + SITE[8:] + _lcg(12, 4).lower()
    path.write_text(">chr1\n" + _lcg(500, 7) + SITE + _lcg(488, 8) + copy + _lcg(300, 9) + "\n")
    return path


def _sites(tmp_path: Path, model: Path, method: str, mask: bool) -> tuple[list[range], dict[str, int]]:
    """Each hit's bases and the model scan's stages, from ``bio scan --json`` and its BED."""
    bed = tmp_path / f"{method}{mask}.bed"
    args = ["scan", str(_genome(tmp_path / "g.fa")), "--model", str(model), "--method", method]
    extra = ["--mask-lower"] if mask else []
    res = runner.invoke(app, [*args, "--pvalue", "0.05", "--no-progress", "--json", "-o", str(bed), *extra])
    assert res.exit_code == 0, res.output
    rows = [line.split("\t") for line in bed.read_text().splitlines() if line.startswith("chr1")]
    return [range(int(r[1]), int(r[2])) for r in rows], json.loads(res.stdout)["model_stages"]


@pytest.mark.parametrize("method", ["model", "both"])
def test_no_hit_of_any_method_touches_a_masked_base(tmp_path, toy, method) -> None:
    """The network would still call the copy's window (the site less one base), whose site touched a
    masked base (all offsets near it do) and was reported once; the windows holding it are not tested."""
    plain, _ = _sites(tmp_path, toy["model"], method, False)
    assert any(MASKED & set(h) for h in plain)  # case ignored: the copy is found
    masked, stages = _sites(tmp_path, toy["model"], method, True)
    assert [h for h in masked if MASKED & set(h)] == []
    assert any(UPPER in h or UPPER + len(SITE) - 1 in h for h in masked)  # the upper-case site still is
    assert stages["windows_masked"] >= 1


def test_model_background_is_read_masked(tmp_path) -> None:
    """``--model-background``: a window of lower-case bases is masked as the scanned windows are."""
    fa = tmp_path / "bg.fa"
    fa.write_text("".join(f">b{i}\n{_lcg(60, i)}{_lcg(60, 100 + i).lower()}\n" for i in range(40)))
    rng = np.random.default_rng(0)
    plain = background_windows(fa, 60, 1000, rng)
    masked = background_windows(fa, 60, 1000, np.random.default_rng(0), mask_lower=True)
    assert (plain < 4).all()  # case ignored: every window counts
    assert (masked < 4).all() and masked.shape[0] < plain.shape[0]  # only the upper-case halves are left
    upper = {_lcg(60, i) for i in range(40)}
    assert {"".join("ACGT"[c] for c in w) for w in masked} <= upper


def test_shuffled_null_draws_unmasked_windows_only(tmp_path) -> None:
    """The genome null (dinucleotide shuffles of the scanned FASTA's windows) draws no masked window."""
    fa = tmp_path / "g.fa"
    fa.write_text(">chr1\n" + _lcg(3000, 1) + ("GC" * 1500).lower() + "\n")
    plain = shuffled_windows(fa, 20, 400, np.random.default_rng(0))
    masked = shuffled_windows(fa, 20, 400, np.random.default_rng(0), mask_lower=True)
    assert plain is not None and masked is not None
    gc_only = lambda w: set(w.tolist()) <= {1, 2}  # noqa: E731  # windows of the masked GC repeat
    assert any(gc_only(w) for w in plain)
    assert not any(gc_only(w) for w in masked)


def test_scan_builds_the_model_background_from_unmasked_windows(tmp_path, toy) -> None:
    """``bio scan --mask-lower --model-background``: the null is the model's scores on the background's
    windows without a masked base (each record: 60 upper-case bases, then 60 lower-case)."""
    bg = tmp_path / "bg.fa"
    bg.write_text("".join(f">b{i}\n{_lcg(60, i)}{_lcg(60, 100 + i).lower()}\n" for i in range(40)))
    args = ["scan", str(_genome(tmp_path / "g.fa")), "--model", str(toy["model"]), "--method", "model"]
    args += ["--model-background", str(bg), "--json", "--no-progress"]
    nulls = []
    for extra in ([], ["--mask-lower"]):
        res = runner.invoke(app, [*args, *extra])
        assert res.exit_code == 0, res.output
        nulls.append(json.loads(res.stdout)["model_null"])
    assert [n["windows"] for n in nulls] == [120, 40]  # windows at 0, 30, 60 of each record; masked: 0
    assert ScanConfig(mask_lower=True).mask_lower


def test_model_scan_does_not_test_a_window_touching_a_masked_base(tmp_path, toy) -> None:
    """A copy of the site with its first half soft-masked (nothing else masked): HOMER -mask reads those
    bases as N, so no score uses them and the copy is not found. Before, the two model windows holding the
    masked bases were still scored (the masked half read as N, against nulls drawn from unmasked windows
    only) and counted as tests; now they are not tested (``windows_masked``), as a PWM site touching a
    masked base is not."""
    half = len(SITE) // 2
    fa = tmp_path / "half.fa"
    copy = SITE[:half].lower() + SITE[half:]
    fa.write_text(">chr1\n" + _lcg(500, 7) + SITE + _lcg(488, 8) + copy + _lcg(300, 9) + "\n")
    args = ["scan", str(fa), "--model", str(toy["model"]), "--method", "model", "--pvalue", "0.05"]
    found = []
    for extra in ([], ["--mask-lower"]):
        bed = tmp_path / f"h{len(extra)}.bed"
        res = runner.invoke(app, [*args, "--no-progress", "--json", "-o", str(bed), *extra])
        assert res.exit_code == 0, res.output
        rows = [line.split("\t") for line in bed.read_text().splitlines() if line.startswith("chr1")]
        found.append(([range(int(r[1]), int(r[2])) for r in rows], json.loads(res.stdout)))
    at = 500 + len(SITE) + 488
    on_copy = lambda hits: [h for h in hits if set(h) & set(range(at, at + len(SITE)))]  # noqa: E731
    assert on_copy(found[0][0])  # case ignored: the copy is found
    (masked, summary), plain = found[1], found[0][1]
    assert on_copy(masked) == [] and any(500 in h for h in masked)  # the upper-case site still is
    tested = [sum(s["tests_per_motif"].values()) for s in (plain, summary)]
    assert tested[1] == tested[0] - 2  # before: equal
    assert summary["model_stages"]["windows_masked"] == 2  # the windows at 950 and 1000 (60 bases, step 50)


def test_a_scan_whose_model_windows_mostly_touch_the_mask_says_so(tmp_path, toy) -> None:
    """Short masked runs every 50 bases: every 60-base window touches one, none is tested, and a warning
    says why (rather than a silent 0 hits) and that ``--method both`` tests the PWM sites between them."""
    fa = tmp_path / "repeats.fa"
    fa.write_text(">chr1\n" + "".join(_lcg(40, i) + _lcg(10, 50 + i).lower() for i in range(20)) + "\n")
    args = ["scan", str(fa), "--model", str(toy["model"]), "--method", "model", "--mask-lower"]
    res = runner.invoke(app, [*args, "--no-progress", "--json"])
    assert res.exit_code == 0, res.output
    stages = json.loads(res.stdout)["model_stages"]
    assert stages["windows_masked"] == stages["windows"] > 0 and stages["tests"] == 0
    assert "touch a soft-masked base or an N and were not tested" in " ".join(res.stderr.split())


def test_model_scan_finds_sites_in_clean_stretches_of_a_window_or_more(tmp_path, toy) -> None:
    """``bio scan --mask-lower --method model`` on a soft-masked genome (lower case but for clean stretches):
    the site in a 300-base upper-case stretch is found; a site wholly in lower case is not; nor is one in a
    clean stretch shorter than the model's window (40 < 60 bases: every window holding it touches the mask,
    so none is tested), which the PWM of ``--method both`` still tests and reports."""
    lower = lambda n, seed: _lcg(n, seed).lower()  # noqa: E731
    stretch = _lcg(143, 21) + SITE + _lcg(143, 22)  # 300 clean bases, the site in the middle
    short = _lcg(13, 23) + SITE + _lcg(13, 24)  # 40 clean bases
    parts = [lower(400, 1), stretch, lower(400, 2), SITE.lower(), lower(400, 3), short, lower(400, 4)]
    starts = np.cumsum([0, *map(len, parts)])
    upper_at, lower_at, short_at = starts[1] + 143, starts[3], starts[5] + 13
    fa = tmp_path / "soft.fa"
    fa.write_text(">chr1\n" + "".join(parts) + "\n")
    args = ["scan", str(fa), "--model", str(toy["model"]), "--pvalue", "0.05", "--no-progress", "--json"]
    on = lambda hits, at: any(set(h) & set(range(at, at + len(SITE))) for h in hits)  # noqa: E731
    seen = {}
    for method, mask in (("model", False), ("model", True), ("both", True)):
        bed = tmp_path / f"{method}{mask}.bed"
        extra = ["--mask-lower"] if mask else []
        res = runner.invoke(app, [*args, "--method", method, "-o", str(bed), *extra])
        assert res.exit_code == 0, res.output
        rows = [line.split("\t") for line in bed.read_text().splitlines() if line.startswith("chr1")]
        hits = [range(int(r[1]), int(r[2])) for r in rows]
        seen[method, mask] = [on(hits, at) for at in (upper_at, lower_at, short_at)]
    assert seen["model", False] == [True, True, True]  # case ignored: the model finds all three
    assert seen["model", True] == [True, False, False]
    assert seen["both", True] == [True, False, True]  # the PWM tests the short stretch's site


def test_mask_lower_tests_clean_records_shorter_than_the_window(tmp_path, toy) -> None:
    """Records shorter than the model's window are scanned as one window padded with N; with no lower case
    in the file, ``--mask-lower`` changes nothing. Before, the padding counted as touching an N: every
    short record was left untested (``windows_masked``), 0 hits and a warning about soft-masked bases the
    file does not have, while the shuffled null drew those same padded records as clean."""
    records = [
        _lcg(20, 100 + i) + (SITE if i % 2 else _lcg(len(SITE), 200 + i)) + _lcg(16, 300 + i)
        for i in range(30)
    ]
    fa = tmp_path / "short.fa"
    fa.write_text("".join(f">r{i}\n{s}\n" for i, s in enumerate(records)))  # 50 bases each, window 60
    args = ["scan", str(fa), "--model", str(toy["model"]), "--method", "model", "--no-progress", "--json"]
    runs = []
    for extra in ([], ["--mask-lower"]):
        bed = tmp_path / f"s{len(extra)}.bed"
        res = runner.invoke(app, [*args, "-o", str(bed), *extra])
        assert res.exit_code == 0, res.output
        runs.append((bed.read_text(), json.loads(res.stdout)["model_stages"], res.stderr))
    (plain, plain_stages, _), (masked, stages, err) = runs
    assert stages["windows_masked"] == 0 and stages["tests"] == plain_stages["tests"] == 30
    assert masked == plain and plain.count("\n") >= 10  # the sites are found either way
    assert "soft-masked" not in err
