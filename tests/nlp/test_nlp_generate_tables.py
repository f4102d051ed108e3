"""`nlp generate train|evaluate --text` on a table reads its text column (`--text -`:
tests/nlp/test_nlp_generate_stdin.py).

Found walking `nlp generate` (session 49): `--text reviews.csv` (or a JSONL) trained on the file's raw lines,
exit 0 and no word of it: the header, the ids, the quotes and the JSON keys were text the model learnt
(`generate run -p '{'` wrote `{a tel t"hn"ta4i5l,...`). Now a table gives its text column, one text a line,
as `sentiment predict --file` reads one; a table without one is refused in one line naming its columns.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from carrousel.nlp.lm_data import read_corpus
from tests.nlp.conftest import Run

TEXTS = ["the cat sat on the mat", 'she said "hi" to him, twice', "a dog ran"]


def test_a_csv_or_jsonl_gives_its_text_column(tmp_path: Path) -> None:
    (csv := tmp_path / "t.csv").write_text(
        "id,text\n" + "".join(f'{i},"{t.replace(chr(34), 2 * chr(34))}"\n' for i, t in enumerate(TEXTS)),
        encoding="utf-8",
    )
    (jsonl := tmp_path / "t.jsonl").write_text(
        "".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in enumerate(TEXTS)), encoding="utf-8"
    )
    (txt := tmp_path / "t.txt").write_text("\r\n".join(TEXTS) + "\r\n", encoding="utf-8")
    assert read_corpus([str(csv)]) == read_corpus([str(jsonl)]) == "\n".join(TEXTS)
    assert read_corpus([str(txt), str(csv)]) == "\n".join(TEXTS) + "\n\n" + "\n".join(
        TEXTS
    )  # joined in order


def test_a_table_without_a_text_column_is_one_line(tmp_path: Path, nlp: Callable[..., Run]) -> None:
    (csv := tmp_path / "t.csv").write_text("id,body2\n1,a cat\n2,a dog\n", encoding="utf-8")
    run = nlp("generate", "train", "--text", str(csv), "-o", str(tmp_path / "m"), "--epochs", "1")
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert run.stderr.strip().splitlines() == [
        f"error: --text {csv}: no column 'text'; columns found: 'id', 'body2'; name the column of the texts "
        "'text' in the file (a file without a header row? add one naming the text column)"
    ]
    assert not (tmp_path / "m").exists()
