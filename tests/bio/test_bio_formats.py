"""Hit files stay well-formed whatever the names: GFF3 percent-encoding (column 9 values and seqids),
BED names without whitespace, TSV fields without tabs, strict JSON."""

from __future__ import annotations

import json
from urllib.parse import unquote

import numpy as np

from carrousel.bio.config import ScanConfig
from carrousel.bio.formats import bed_name, gff3_escape, gff3_seqid, to_bed, to_gff3, to_json, to_tsv
from carrousel.bio.motifs import Motif
from carrousel.bio.scan import scan_genome

NAME = "Nr5a2,Esrrb;x=1 %y"  # a name with every GFF3-reserved character and spaces
RECORD = "chr1;a=b%c,d&e"


def _scan(tmp_path):
    counts = np.array([[10, 0, 0, 0], [0, 10, 0, 0], [0, 0, 10, 0], [0, 0, 0, 10]] * 3, dtype=float)
    motif = Motif("MA9999.1", NAME, counts)
    site = "ACGT" * 3
    fa = tmp_path / "g.fa"
    fa.write_text(f">{RECORD} description\n{'T' * 40}{site}{'A' * 40}\n")
    res = scan_genome(fa, ScanConfig(background="uniform"), motifs=[motif])
    assert len(res.hits) >= 1 and res.records[0].name == RECORD
    return res


def test_gff3_escapes_attribute_values_and_seqids(tmp_path) -> None:
    res = _scan(tmp_path)
    lines = to_gff3(res.hits, res).splitlines()
    assert lines[1] == "##sequence-region chr1%3Ba%3Db%25c%2Cd%26e 1 92"
    cols = lines[2].split("\t")
    assert len(cols) == 9 and cols[0] == "chr1%3Ba%3Db%25c%2Cd%26e"
    attrs = dict(a.split("=") for a in cols[8].split(";"))  # every ';' and '=' left is a separator
    assert attrs["Name"] == "Nr5a2%2CEsrrb%3Bx%3D1 %25y"  # spaces are not encoded (GFF3 allows them)
    assert unquote(attrs["Name"]) == NAME and unquote(cols[0]) == RECORD
    assert gff3_escape("a\tb\nc\rd\x01e\x7f%") == "a%09b%0Ac%0Dd%01e%7F%25"
    assert gff3_seqid("chr 1>é") == "chr%201%3E%C3%A9" and gff3_seqid("chrX_1.2|a") == "chrX_1.2|a"


def test_bed_names_have_no_whitespace(tmp_path) -> None:
    res = _scan(tmp_path)
    for line in to_bed(res.hits).splitlines():
        cols = line.split("\t")
        assert len(cols) == 6 and len(line.split()) == 6
        assert cols[0] == RECORD and cols[3] == "Nr5a2,Esrrb;x=1_%y_MA9999.1"
    assert (
        bed_name("ID", "a \t\nb\x00c") == "a_b_c_ID" and bed_name("X", "X") == "X" and bed_name("", "") == "."
    )


def test_tsv_and_json_keep_their_shape(tmp_path) -> None:
    res = _scan(tmp_path)
    rows = to_tsv(res.hits).splitlines()
    assert all(len(r.split("\t")) == 13 for r in rows)
    assert rows[1].split("\t")[1] == NAME
    doc = json.loads(to_json(res, include_hits=True), parse_constant=lambda c: 1 / 0)  # no NaN allowed
    assert doc["hit_rows"][0]["motif_name"] == NAME and doc["hit_rows"][0]["model_score"] is None
