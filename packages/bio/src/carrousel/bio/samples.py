"""Sample data sets of carrousel.bio, declared to ``carrousel-data`` (entry point ``carrousel.samples``).

``make data`` (or ``carrousel-data fetch bio``, the repository's tools/data helper) caches them; read one
with ``carrousel.core.samples.sample_path("bio.lambda")``, which never downloads. janggu is GPL: we read its
data files only and do not depend on the package.
"""

from __future__ import annotations

from carrousel.core.samples import Sample

__all__ = ["CRP_SITES", "ECOLI", "LAMBDA", "MAFK", "OCT4", "SAMPLES"]

LAMBDA = Sample(
    name="bio.lambda",
    source="debian",
    package="bowtie2-examples",
    version="2.5.0-3",
    member="usr/share/doc/bowtie2/examples/reference/lambda_virus.fa.gz",
    sha256="08fe207fcb4bbe47e80cc7469e68d1f1d8d497a836fe1c09f5a9734d2e4cd9e0",
    filename="lambda_virus.fa.gz",
    licence="GPL-3.0+ (Debian bowtie2-examples); sequence from NCBI RefSeq NC_001416.1",
    description="phage lambda complete genome, gzipped FASTA, 1 record, 48,502 bp",
)
"""Phage lambda genome (bowtie2's example reference)."""

ECOLI = Sample(
    name="bio.ecoli",
    source="debian",
    package="bowtie-examples",
    version="1.3.1-1",
    member="usr/share/doc/bowtie/examples/genomes/NC_008253.fna.gz",
    sha256="b5f5e726fa79caeeb12c19f3697faf7af437f57daf4195419056d639fb36a334",
    filename="NC_008253.fna.gz",
    licence="Artistic-2.0 (Debian bowtie-examples); sequence from NCBI RefSeq NC_008253.1",
    description="E. coli 536 complete genome, gzipped FASTA, 1 record, 4,938,920 bp",
)
"""Escherichia coli 536 genome (bowtie's example genome)."""

OCT4 = Sample(
    name="bio.oct4",
    source="pypi",
    package="janggu",
    version="0.10.2",
    member="janggu/resources/sample.fa",
    sha256="effef1417ad2ca12514d5a4fe72741aaada7b29c16553655c4ed84ad83640e82",
    filename="oct4.fa",
    licence="GPL-3.0 (janggu 0.10.2 data file; read only, no dependency)",
    description="Oct4-bound regions, FASTA, 3,897 records of 200 bp (class 1 of the Oct4-vs-Mafk task)",
)
"""Oct4 binding sites, positive class of janggu's two-class example."""

MAFK = Sample(
    name="bio.mafk",
    source="pypi",
    package="janggu",
    version="0.10.2",
    member="janggu/resources/sample2.fa",
    sha256="0228f9e016bd91c642526136270b4efef75dc2916f906d47785fbe11c0fb94f8",
    filename="mafk.fa",
    licence="GPL-3.0 (janggu 0.10.2 data file; read only, no dependency)",
    description="Mafk-bound regions, FASTA, 3,900 records of 200 bp (class 2 of the Oct4-vs-Mafk task)",
)
"""Mafk binding sites, other class of janggu's two-class example."""

CRP_SITES = Sample(
    name="bio.crp_sites",
    source="pypi",
    package="logomaker",
    version="0.8.7",
    member="logomaker/examples/datafiles/crp_sites.fa",
    sha256="e67ff2f70201cd138fdaf9080359f4b35152d01d94abaa22c643592e2b351649",
    filename="crp_sites.fa",
    licence="MIT (logomaker 0.8.7); sites from RegulonDB",
    description="E. coli CRP binding sites, FASTA with '#' comment header, 358 records of 26 bp",
)
"""CRP transcription-factor binding sites (logomaker's example data)."""

SAMPLES: tuple[Sample, ...] = (LAMBDA, ECOLI, OCT4, MAFK, CRP_SITES)
"""Every sample of this package, in the order ``carrousel-data list`` shows them."""
