"""Why a motif file gave no motif: the first broken matrix line, named with its number.

Biopython's readers (:func:`carrousel.bio.motifs.parse_motifs`) refuse a broken matrix without saying
where ("data has inconsistent lengths"), so the file's error said only "no motif found". :func:`diagnose`
reads the text again and names the first problem: a row with a different number of counts from the
motif's first row, a count that is not a number, a motif without one row for each of A, C, G and T
(JASPAR and letter-labelled PFM; an N row is refused, not dropped), or a MEME matrix row without
``alength`` numbers or a matrix whose row count is not its ``w=``; a FASTA or BED file given as a motif
file is named as such.
:func:`pfm_layout` reads a file of bare count rows as a PFM whatever its extension, and
:func:`read_problem` checks what Biopython read without a word (a short MEME matrix, a JASPAR fifth row).
A MEME file's alphabet is read here too: a protein one named (:func:`meme_alphabet_problem`), a MEME 5 DNA
alphabet block written as the line Biopython needs (:func:`meme_with_background`), an RNA one (``ALPHABET=
ACGU``, MEME 5's ``ALPHABET "RNA" RNA-LIKE``: :func:`meme_is_rna`) read as DNA, U as T.
"""

from __future__ import annotations

import re

from carrousel.bio.motif_columns import transfac_in_acgt
from carrousel.core.encodings import file_lines

__all__ = [
    "diagnose",
    "meme_alphabet_problem",
    "meme_alt_names",
    "meme_is_rna",
    "meme_problem",
    "meme_with_background",
    "pfm_layout",
    "read_problem",
    "reader_text",
]

_LABELLED = re.compile(r"^\s*([ACGTUN])\s*(?:\[(.*)\]|\s(.*))\s*$", re.IGNORECASE)  # 'A [ 1 2 ]' or 'A 1 2'
_MOTIF = re.compile(r"^MOTIF[ \t]+(\S+)(?:[ \t]+(\S+))?")  # MEME: MOTIF id [alt_name]
_MEME = re.compile(r"^\s*letter-probability matrix:(.*)$", re.IGNORECASE)
_SEQUENCE = re.compile(r"^[A-Za-z*.-]+$")  # a FASTA sequence line
_UNBRACKETED = re.compile(r"^\s*([ACGTacgt])\s+([-+0-9.eE \t]+?)\s*$")  # 'A 0 3 79' (JASPAR without [ ])
_BED = re.compile(r"^\S+\t\d+\t\d+(\t|$)")  # chrom <tab> start <tab> end
_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?|[-+]?(nan|inf)", re.IGNORECASE)


def _bad_number(tokens: list[str]) -> str | None:
    return next((t for t in tokens if not _NUMBER.fullmatch(t)), None)


def _labelled(lines: list[str]) -> str | None:
    """The first problem of a block of consecutive letter-labelled rows (JASPAR, PFM with letters)."""
    block: list[tuple[int, str, list[str]]] = []  # (line number, letter, counts)
    for number, line in enumerate([*lines, ""], 1):
        m = _LABELLED.match(line)
        tokens = (m.group(2) or m.group(3) or "").split() if m else []
        if m and (m.group(2) is not None or any(_NUMBER.fullmatch(t) for t in tokens)):  # not 'A note'
            block.append((number, m.group(1).upper(), tokens))
            continue
        if block:
            first_at, first, width = block[0][0], block[0][1], len(block[0][2])
            for at, letter, counts in block:
                bad = _bad_number(counts)
                if bad is not None:
                    return f"line {at}: {bad!r} in row {letter} is not a number"
                if len(counts) != width:
                    return (
                        f"line {at}: row {letter} has {len(counts)} counts, row {first} (line {first_at}) has "
                        f"{width}; every row of a motif needs one count per position"
                    )
            letters = "".join(letter for _, letter, _ in block).replace("U", "T")
            if sorted(letters) != list("ACGT"):
                fix = "; remove the N row" if "N" in letters else ""  # Biopython's JASPAR reader refuses it
                return (
                    f"lines {first_at}-{block[-1][0]}: rows {', '.join(letters)}; a motif needs one row for "
                    f"each of A, C, G and T{fix}"
                )
        block = []
    return None


def _meme(lines: list[str]) -> str | None:
    """The first problem of a MEME ``letter-probability matrix``: a row's width or the row count."""
    for number, line in enumerate(lines, 1):
        m = _MEME.match(line)
        if not m:
            continue
        alength = re.search(r"alength\s*=\s*(\d+)", m.group(1))
        w = re.search(r"\bw\s*=\s*(\d+)", m.group(1))
        width = int(alength.group(1)) if alength else 4
        rows = 0
        for at, row in enumerate(lines[number:], number + 1):
            tokens = row.split()
            if not tokens or not _NUMBER.fullmatch(tokens[0]):
                break
            bad = _bad_number(tokens)
            if bad is not None:
                return f"line {at}: {bad!r} is not a number"
            if len(tokens) != width:
                return f"line {at}: {len(tokens)} probabilities, expected {width} (alength= {width})"
            rows += 1
        if w and rows != int(w.group(1)):
            return f"line {number}: the matrix has {rows} rows, its w= says {w.group(1)}"
    return None


def _numeric(lines: list[str]) -> str | None:
    """The first row of a block of unlabelled count rows (a PFM file) whose count differs from the
    block's first row, or the first TRANSFAC position row (``01 a c g t [consensus]``) without 4 counts."""
    block: list[tuple[int, int]] = []  # (line number, counts) of consecutive all-number rows
    transfac = False
    for number, line in enumerate([*lines, ""], 1):
        tokens = line.split()
        if tokens[:1] in (["P0"], ["PO"]):
            transfac = True
        elif transfac and tokens and tokens[0].isdigit():
            counts = [t for t in tokens[1:] if _NUMBER.fullmatch(t)]
            if len(counts) != 4:
                return f"line {number}: position {tokens[0]} has {len(counts)} counts, expected 4 (A C G T)"
            continue
        elif tokens and not transfac and _bad_number(tokens) is None:
            block.append((number, len(tokens)))
            continue
        transfac = transfac and tokens[:1] != ["//"]
        for at, n in block[1:]:
            if n != block[0][1]:
                return (
                    f"line {at}: {n} counts, line {block[0][0]} has {block[0][1]}; every row of a motif "
                    "needs the same number of counts"
                )
        block = []
    return None


def _bed_rows(lines: list[str], rows: list[list[str]]) -> str | None:
    """Why rows of numbers are a BED file (chrom, start, end, maybe more numbers such as a bedGraph's
    value; numeric chromosome names) and not motif counts: whole numbers in the first 3 columns, every end
    above its start, and the totals of the PFM layout they would be read in differ (a count matrix adds
    up to the same number of sites at every position, a frequency matrix to 1), in tab-separated lines
    as BED's (4 rows of 3 whatever the separator). Tab-separated rows of no PFM layout (3 rows of 3) are
    a BED too."""
    if not all(len(r) >= 3 and all(t.isdigit() for t in r[:3]) and int(r[2]) > int(r[1]) for r in rows):
        return None
    values = [[float(t) for t in r] for r in rows]
    tabbed = all(_BED.match(line) for line in lines if line.strip())  # BED's tabs (the 4 x 3 case: any)
    if not tabbed and not (len(rows) == 4 and len(rows[0]) == 3):
        return None
    if len(rows) == 4 or len(rows[0]) == 4:
        totals = (
            [sum(col) for col in zip(*values, strict=True)] if len(rows) == 4 else [sum(r) for r in values]
        )
        if max(totals) - min(totals) <= 0.05 * max(totals):
            return None
        why = (
            f"a PFM's positions add up to the same total, these to {', '.join(f'{t:g}' for t in totals[:6])}"
        )
        why += ", ..." if len(totals) > 6 else ""
    else:
        why = f"{len(rows)} rows of {len(rows[0])} numbers are neither a PFM's 4 rows nor its 4 columns"
    return (
        f"chrom, start, end: this is a BED file of regions (every end above its start), not motif "
        f"counts ({why}); give a JASPAR, MEME (minimal), TRANSFAC or PFM file"
    )


def pfm_layout(text: str, ext: str = ".pfm") -> str | None:
    """Biopython's reader of a PFM file's text: ``"pfm"`` for 4 rows (A C G T, a column per position),
    ``"pfm-four-columns"`` for N rows of 4 counts (a row per position); ``"pfm"`` too for text that is not
    rows of numbers of one length (letter-labelled rows, a broken row: :func:`diagnose` names that).
    None when the text is not a PFM: its extension ``ext`` is not ``.pfm`` or it starts with a ``>``
    header, unless it is rows of numbers only (those are a PFM whatever the extension: the JASPAR and PFM
    readers tried in turn took 3 or 5 rows, or a ragged row, as some other motif without a word).

    Raises:
        ValueError: rows of numbers of one length, neither 4 rows nor 4 columns; its one line names the
            shape (the "pfm" reader would keep the first 4 rows and drop the rest without a word). Or the
            rows of a BED file with numeric chromosome names (``1<TAB>100<TAB>200``, any number of rows,
            3 or more number columns), named as such.
    """
    lines = file_lines(text)
    rows = [line.split() for line in lines if line.strip()]
    numbers = bool(rows) and not any(_bad_number(r) for r in rows)
    if not numbers and (ext != ".pfm" or text.lstrip().startswith(">")):
        return None
    if not numbers or len({len(r) for r in rows}) != 1:
        return "pfm"
    bed = _bed_rows(lines, rows)
    if bed:
        raise ValueError(f"line {next(n for n, line in enumerate(lines, 1) if line.strip())}: {bed}")
    if len(rows) == 4:
        return "pfm"
    if len(rows[0]) == 4:
        return "pfm-four-columns"
    raise ValueError(
        f"{len(rows)} rows of {len(rows[0])} counts; a PFM needs 4 rows (A C G T, one column per position) "
        "or 4 columns (A C G T, one row per position)"
    )


def _other_format(lines: list[str]) -> str | None:
    """A FASTA or BED file given where a motif file was expected (its first line that is not blank)."""
    at, first = next(((n, line) for n, line in enumerate(lines, 1) if line.strip()), (0, ""))
    after = next((line.strip() for line in lines[at:] if line.strip()), "")
    if first.startswith(">") and _SEQUENCE.match(after) and not _LABELLED.match(after):
        return f"line {at}: a FASTA name line followed by sequence: this is a FASTA file, not motif counts"
    if _BED.match(first):
        return f"line {at}: chrom, start, end: this is a BED file of regions, not motif counts"
    return None


def diagnose(text: str) -> str | None:
    """The first broken matrix line of a motif file's text, as ``"line N: what is wrong"`` (a FASTA or BED
    file named as such); None when no such line is found (no matrix at all, or a problem this does not
    know)."""
    lines = file_lines(text)
    return _meme(lines) or _labelled(lines) or _numeric(lines) or _other_format(lines)


def read_problem(text: str, fmt: str) -> str | None:
    """The first broken matrix line of a file Biopython read with its ``fmt`` reader without a word: a MEME
    matrix cut short (:func:`meme_problem`), or letter-labelled rows other than one each of A, C, G and T
    (a fifth row, such as a second T; an N row, which Biopython's JASPAR reader refuses, was read by the
    four-row PFM reader with the N dropped)."""
    if fmt == "minimal":
        return meme_problem(text)
    return None if fmt == "transfac" else _labelled(file_lines(text))


def meme_alt_names(text: str) -> list[str | None]:
    """The alternate name of each ``MOTIF id alt_name`` line of a MEME file, in order (None where a line
    gives none): Biopython's minimal-MEME reader keeps the ID only, so ``MOTIF MA0139.2 CTCF`` lost CTCF."""
    return [m.group(2) for line in file_lines(text) if (m := _MOTIF.match(line))]


_MEME_MATRIX = re.compile(r"^\s*letter-probability matrix:.*?alength\s*=\s*(\d+)", re.IGNORECASE)
_ALPHABET = re.compile(r"^ALPHABET\s*=\s*(\S+)|^ALPHABET[ \t]+\"?([^\"\s]*)\"?[ \t]*(\S*)", re.M)
_ALPHABET_BLOCK = re.compile(r"^ALPHABET[ \t]+(?!=)[^\n]*\n(.*?)^END ALPHABET[^\n]*(\n|$)", re.M | re.S)


_RNA_LINE = re.compile(r"^ALPHABET\s*=\s*([ACGUacgu]{4})[ \t]*$", re.M)  # MEME 4's ALPHABET= ACGU
_BACKGROUND = re.compile(r"^(Background letter frequencies[^\n]*\n)(.*?)(?=^\s*$|^MOTIF|\Z)", re.M | re.S)


def _block_core(text: str) -> tuple[re.Match[str] | None, set[str]]:
    """A MEME 5 alphabet block and its core letters (``A "Adenine" CC0000 ~ T "Thymine" 008000``; not the
    ``N = ACGT`` aliases)."""
    block = _ALPHABET_BLOCK.search(text)
    core: set[str] = set()
    for line in block.group(1).splitlines() if block else []:
        if "=" not in line and line.strip():
            core.update(part.split()[0].upper() for part in line.split("~") if part.split())
    return block, core


def _dna_alphabet_line(text: str) -> str:
    """A MEME 5 alphabet block (``ALPHABET "DNA" DNA-LIKE`` ... ``END ALPHABET``, as STREME and MEME 5
    write) whose core letters are A, C, G and T (or an RNA one's A, C, G and U), as the ``ALPHABET= ACGT``
    line Biopython's reader needs (it refused the block: 'Line does not start with ALPHABET')."""
    block, core = _block_core(text)
    if block is None or core not in (set("ACGT"), set("ACGU")):
        return text
    return text[: block.start()] + "ALPHABET= ACGT\n" + text[block.end() :]


def meme_is_rna(text: str) -> bool:
    """Whether a MEME file's alphabet is RNA: ``ALPHABET= ACGU`` (MEME 4) or a MEME 5 block whose core
    letters are A, C, G and U (``ALPHABET "RNA" RNA-LIKE``); its matrices' columns are A, C, G, U."""
    line = _RNA_LINE.search(text)
    return sorted(line.group(1).upper()) == list("ACGU") if line else _block_core(text)[1] == set("ACGU")


def _rna_as_dna(text: str) -> str:
    """An RNA MEME file as DNA, U read as T: MEME 4's ``ALPHABET= ACGU`` line ``ALPHABET= ACGT`` (a MEME 5
    block is :func:`_dna_alphabet_line`'s, which :func:`meme_with_background` calls next) and the
    background's ``U`` a ``T`` (Biopython read ``ACGU`` and failed on the missing T: "KeyError: 'T'")."""
    if not meme_is_rna(text):
        return text
    text = _RNA_LINE.sub("ALPHABET= ACGT", text)
    return _BACKGROUND.sub(
        lambda m: m.group(1) + re.sub(r"(?<!\S)[Uu](?!\S)", "T", m.group(2)), text, count=1
    )


def meme_alphabet_problem(text: str) -> str | None:
    """Why a MEME file holds no DNA motif: a matrix of other than 4 letters (``alength= 20``: a protein
    motif) or an alphabet other than A C G T (``ALPHABET= ACDEFGHIKLMNPQRSTVWY``, MEME 5's
    ``ALPHABET "Protein" PROTEIN-LIKE``); None for a DNA (or RNA) file."""
    motif = "?"
    for number, line in enumerate(file_lines(text), 1):
        if m := _MOTIF.match(line):
            motif = m.group(1)
        elif (m := _MEME_MATRIX.match(line)) and m.group(1) != "4":
            kind = "a protein motif" if m.group(1) == "20" else f"a motif of {m.group(1)} letters"
            return (
                f"line {number}: motif {motif!r} is {kind} (alength= {m.group(1)}); bio scans DNA: give "
                "DNA motifs (alength= 4, A C G T)"
            )
    alphabet = _ALPHABET.search(text)
    if alphabet is None:
        return None
    letters, name, like = alphabet.group(1), alphabet.group(2), alphabet.group(3)
    if letters is not None and sorted(set(letters.upper().replace("U", "T"))) != list("ACGT"):
        kind = "a protein" if len(letters) >= 20 else f"a {len(letters)}-letter"
        return f"the alphabet is {letters} ({kind} alphabet); bio scans DNA: give DNA motifs (A C G T)"
    if letters is None and "PROTEIN" in f"{name} {like}".upper():
        return f"the alphabet is {name} ({like or 'protein'}); bio scans DNA: give DNA motifs (A C G T)"
    return None


def meme_with_background(text: str) -> str:
    """A MEME file's text with what MEME's format lets it leave out and Biopython's minimal-MEME reader
    needs (without them it finds no motif): a uniform ``Background letter frequencies`` section (MEME's
    default when absent), for a DNA file (every matrix ``alength= 4``) ``ALPHABET= ACGT`` (also in place
    of a MEME 5 DNA alphabet block, and of an RNA alphabet, U read as T), and the
    ``MEME version`` line (a file without it was 'no motif found' though every matrix was whole)."""
    text = _dna_alphabet_line(_rna_as_dna(text))
    motif = re.search(r"^MOTIF", text, re.M)
    if motif is None:
        return text
    at = motif.start()
    if not re.search(r"^Background letter frequencies", text, re.M):
        text = text[:at] + "Background letter frequencies\nA 0.25 C 0.25 G 0.25 T 0.25\n\n" + text[at:]
    widths = re.findall(r"alength\s*=\s*(\d+)", text)  # as _meme reads it (and Biopython: alength = 4)
    if not re.search(r"^ALPHABET", text, re.M) and widths and set(widths) == {"4"}:
        version = re.search(r"^MEME version[^\n]*\n", text, re.M)
        cut = version.end() if version is not None else 0
        text = text[:cut] + "\nALPHABET= ACGT\n\n" + text[cut:]
    if not re.search(r"^MEME version", text, re.M):  # MEME's first line, left out by hand-made files
        text = "MEME version 4\n\n" + text
    return text


def meme_problem(text: str) -> str | None:
    """The first broken ``letter-probability matrix`` line of a MEME file (as :func:`diagnose`), checked
    even where Biopython reads the file: given a background section it reads a matrix with a short row or
    fewer rows than its ``w=`` as the rows before the break (a 1-column motif), without a word."""
    return _meme(file_lines(text))


def reader_text(text: str, fmt: str) -> str:
    """The text handed to Biopython's ``fmt`` reader: a MEME file completed (:func:`meme_with_background`);
    a TRANSFAC file's matrices in A C G T column order (:func:`~carrousel.bio.motif_columns.transfac_in_acgt`)
    and its last record closed by ``//`` when it is not (it was dropped); for the JASPAR reader, letter rows
    without brackets (``A 0 3 79``, ``a [ 0 3 79 ]``) written as ``A [ 0 3 79 ]``. That reader refused them,
    so the four-row PFM reader took the file, naming each motif by its whole header: ``>MA0001.1 AGL3``
    became the ID ``MA0001.1 AGL3``, not MA0001.1 (AGL3).

    Raises:
        ValueError: a TRANSFAC ``P0`` header whose first four columns are not A, C, G and T.
    """
    if fmt == "minimal":
        return meme_with_background(text)
    if fmt == "transfac":  # a P0 order other than A C G T was refused, a last record without '//' dropped
        text = transfac_in_acgt(text)
        last = next((line.strip() for line in reversed(file_lines(text)) if line.strip()), "//")
        return text if last == "//" else text.rstrip("\r\n") + "\n//\n"
    if fmt != "jaspar":
        return text
    out = []
    for line in file_lines(text):
        m = _UNBRACKETED.match(line) or re.match(r"^\s*([acgt])\s*\[(.*)\]\s*$", line)
        out.append(f"{m.group(1).upper()} [ {m.group(2).strip()} ]" if m else line)
    return "\n".join(out) + "\n"
