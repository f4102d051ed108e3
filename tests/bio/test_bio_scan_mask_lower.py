"""``bio scan --mask-lower`` (HOMER's -mask): soft-masked (lower-case) bases read as N, so no reported PWM
site touches one; off by default, where case is ignored as before."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from carrousel.bio.cli import app
from carrousel.bio.config import ScanConfig
from carrousel.bio.motifs import resolve_motifs

runner = CliRunner()


def _starts(res) -> list[int]:  # type: ignore[no-untyped-def]
    assert res.exit_code == 0, res.output
    return sorted(int(line.split("\t")[1]) for line in res.stdout.strip().splitlines())


def test_mask_lower_drops_sites_touching_a_lower_case_base(tmp_path, write_fasta) -> None:
    site = resolve_motifs("CTCF")[0].consensus()
    fill = "ATTA" * 30
    seq = fill + site + fill + site.lower() + fill + site[:-1] + site[-1].lower() + fill
    fa = write_fasta(tmp_path / "m.fa", {"chr1": seq})
    args = ["scan", str(fa), "-m", "CTCF", "--no-progress"]
    plain = _starts(runner.invoke(app, args))
    masked = _starts(runner.invoke(app, [*args, "--mask-lower"]))
    step = len(fill) + len(site)
    assert plain == [len(fill), len(fill) + step, len(fill) + 2 * step]  # case ignored, as before
    assert masked == [len(fill)]  # only the all-upper-case site
    summary = json.loads(runner.invoke(app, [*args, "--mask-lower", "--json"]).stdout)
    assert summary["mask_lower"] is True and summary["hits"] == 1
    tested = [
        sum(json.loads(runner.invoke(app, [*args, *m, "--json"]).stdout)["tests_per_motif"].values())
        for m in ([], ["--mask-lower"])
    ]
    assert tested[1] < tested[0]  # windows touching a masked base are not even tested
    own = [*args, "--json", "--background", "input"]  # the input's composition leaves masked bases out
    gc = [
        sum(json.loads(runner.invoke(app, a).stdout)["background"][1:3])
        for a in (own, [*own, "--mask-lower"])
    ]
    assert gc[1] < gc[0]  # the masked copies of the GC-rich site no longer count
    assert ScanConfig().mask_lower is False


def test_an_all_lower_case_file_is_not_soft_masked_and_says_so(tmp_path, write_fasta) -> None:
    """UCSC's dm3 upstream2000.fa.gz (Biostrings' sample) is lower case throughout: --mask-lower masks
    every base, and a warning says the file carries no soft-masking rather than a silent 0 hits."""
    site = resolve_motifs("CTCF")[0].consensus()
    fa = write_fasta(tmp_path / "low.fa", {"chr1": ("ATTA" * 30 + site + "ATTA" * 30).lower()})
    res = runner.invoke(app, ["scan", str(fa), "-m", "CTCF", "--no-progress", "--mask-lower", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["hits"] == 0
    assert "every base is lower case, so --mask-lower left nothing to scan" in res.stderr
