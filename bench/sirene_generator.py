#!/usr/bin/env python3
"""Generate synthetic SIRENE stock files (StockEtablissement / StockUniteLegale) at national scale.

Why synthetic: the real stock is 2 GB zipped per file, licensed data we do not commit, and the benchmark must
run offline. The files use INSEE's real header (every column, in INSEE's order), comma-separated, quoting only
where needed, UTF-8, with realistic values where it matters for the load: 14-digit SIRETs with valid Luhn keys
(SIREN key, then NIC key, NICs 00010, 00028… as INSEE numbers them), a SIREN owning 1 to 12 établissements,
commune codes (Corsica 2A/2B and overseas 97x included), NAF rev. 2 codes such as ``62.01Z``, états A/F, one
siège per unité légale, and the extra columns filled like the real file (addresses, dates, Lambert coordinates,
mostly empty enseignes) so that a row weighs ~ 200 bytes as in the real stock.

Deterministic for a seed; generated in chunks with Arrow (memory stays ~ 1 GB whatever ``--rows``).

Usage::

    python bench/sirene_generator.py --rows 30000000 --output-dir bench/out [--seed 7] [--duplicates 0]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# INSEE's documented headers of the stock files (API Sirene 3.11 / stock "utf8" files), in file order.
UNITE_LEGALE_COLUMNS: tuple[str, ...] = (
    "siren", "statutDiffusionUniteLegale", "unitePurgeeUniteLegale", "dateCreationUniteLegale", "sigleUniteLegale",
    "sexeUniteLegale", "prenom1UniteLegale", "prenom2UniteLegale", "prenom3UniteLegale", "prenom4UniteLegale",
    "prenomUsuelUniteLegale", "pseudonymeUniteLegale", "identifiantAssociationUniteLegale",
    "trancheEffectifsUniteLegale", "anneeEffectifsUniteLegale", "dateDernierTraitementUniteLegale",
    "nombrePeriodesUniteLegale", "categorieEntreprise", "anneeCategorieEntreprise", "dateDebut",
    "etatAdministratifUniteLegale", "nomUniteLegale", "nomUsageUniteLegale", "denominationUniteLegale",
    "denominationUsuelle1UniteLegale", "denominationUsuelle2UniteLegale", "denominationUsuelle3UniteLegale",
    "categorieJuridiqueUniteLegale", "activitePrincipaleUniteLegale", "nomenclatureActivitePrincipaleUniteLegale",
    "nicSiegeUniteLegale", "economieSocialeSolidaireUniteLegale", "societeMissionUniteLegale",
    "caractereEmployeurUniteLegale",
)
ETABLISSEMENT_COLUMNS: tuple[str, ...] = (
    "siren", "nic", "siret", "statutDiffusionEtablissement", "dateCreationEtablissement",
    "trancheEffectifsEtablissement", "anneeEffectifsEtablissement", "activitePrincipaleRegistreMetiersEtablissement",
    "dateDernierTraitementEtablissement", "etablissementSiege", "nombrePeriodesEtablissement",
    "complementAdresseEtablissement", "numeroVoieEtablissement", "indiceRepetitionEtablissement",
    "dernierNumeroVoieEtablissement", "indiceRepetitionDernierNumeroVoieEtablissement", "typeVoieEtablissement",
    "libelleVoieEtablissement", "codePostalEtablissement", "libelleCommuneEtablissement",
    "libelleCommuneEtrangerEtablissement", "distributionSpecialeEtablissement", "codeCommuneEtablissement",
    "codeCedexEtablissement", "libelleCedexEtablissement", "codePaysEtrangerEtablissement",
    "libellePaysEtrangerEtablissement", "identifiantAdresseEtablissement", "coordonneeLambertAbscisseEtablissement",
    "coordonneeLambertOrdonneeEtablissement", "complementAdresse2Etablissement", "numeroVoie2Etablissement",
    "indiceRepetition2Etablissement", "typeVoie2Etablissement", "libelleVoie2Etablissement",
    "codePostal2Etablissement", "libelleCommune2Etablissement", "libelleCommuneEtranger2Etablissement",
    "distributionSpeciale2Etablissement", "codeCommune2Etablissement", "codeCedex2Etablissement",
    "libelleCedex2Etablissement", "codePaysEtranger2Etablissement", "libellePaysEtranger2Etablissement",
    "dateDebut", "etatAdministratifEtablissement", "enseigne1Etablissement", "enseigne2Etablissement",
    "enseigne3Etablissement", "denominationUsuelleEtablissement", "activitePrincipaleEtablissement",
    "nomenclatureActivitePrincipaleEtablissement", "caractereEmployeurEtablissement",
)

NAF = ("62.01Z", "62.02A", "43.21A", "43.22A", "41.20A", "47.11F", "56.10A", "68.20B", "70.22Z", "71.12B",
       "81.21Z", "85.59A", "86.21Z", "88.10A", "94.99Z", "84.11Z", "49.41A", "10.71C", "45.20A", "96.02A",
       "01.11Z", "25.62B", "33.12Z", "38.11Z", "46.69B", "58.29C", "74.10Z", "77.39Z", "80.10Z", "93.12Z")
DEPARTEMENTS = (*(f"{d:02d}" for d in range(1, 96) if d != 20), "2A", "2B", "971", "972", "973", "974", "976")
TYPES_VOIE = ("RUE", "AV", "BD", "CHE", "PL", "RTE", "ALL", "IMP", "QUAI", "ZA", "LD", "CRS")
VOIES = ("DE LA REPUBLIQUE", "JEAN JAURES", "VICTOR HUGO", "DU GENERAL DE GAULLE", "PASTEUR", "DE LA GARE",
         "DES ECOLES", "DU MOULIN", "DE L'EGLISE", "NATIONALE", "DU STADE", "DES LILAS", "DE PARIS",
         "DU 8 MAI 1945", "GAMBETTA", "DES ARTISANS", "DE LA LIBERATION", "DU CHATEAU", "DES PRES", "FOCH")
COMMUNES = ("PARIS 11", "LYON 3EME", "MARSEILLE", "RENNES", "BREST", "NANTES", "TOULOUSE", "LILLE", "CROIX",
            "QUIMPER", "SAINT-BRIEUC", "VANNES", "LORIENT", "AJACCIO", "BASTIA", "FORT-DE-FRANCE", "CAYENNE",
            "SAINT-DENIS", "MAMOUDZOU", "LES ABYMES", "DOUARNENEZ", "MORLAIX", "LANNION", "DINAN", "FOUGERES")
NAMES = ("SOCIETE", "ENTREPRISE", "ATELIER", "GARAGE", "BOULANGERIE", "CABINET", "ASSOCIATION", "SCOP", "SARL",
         "SAS", "BATIMENT", "TRANSPORTS", "NETTOYAGE", "INFORMATIQUE", "RESTAURATION", "CONSEIL", "ESPACES VERTS")
SURNAMES = ("MARTIN", "BERNARD", "LE GALL", "LE ROUX", "DUBOIS", "THOMAS", "ROBERT", "PETIT", "DURAND", "MOREAU",
            "LEFEBVRE, FILS ET CIE", "GUERIN", "ABADIE", "REYGADE", "GARCIA", "HAMADENE", "QUEMENER", "KERGOAT")
CATEGORIES = ("PME", "PME", "PME", "ETI", "GE", "")
TRANCHES = ("NN", "00", "01", "02", "03", "11", "12", "21", "22", "31", "32", "41", "42", "51", "52", "53")
JURIDIQUES = ("1000", "5499", "5710", "5720", "9220", "7210", "7344", "5505", "6540", "5485")

CHUNK_ROWS = 1_000_000
SIREN_STRIDE = 7919  # prime: u → (u * 7919) mod 9e7 is a bijection, so SIRENs are distinct and scattered


@dataclass
class GeneratedFiles:
    etablissements: Path
    unites: Path
    rows: int  # établissement rows written (duplicates included)
    unites_rows: int
    duplicates: int  # établissement rows repeated on purpose (an earlier SIRET written again)


def luhn_keys(digits: np.ndarray) -> np.ndarray:
    """The Luhn key of each row of an (n, L) digit matrix (the rightmost body digit is doubled)."""
    d = digits.astype(np.int64)
    d[:, digits.shape[1] - 1 :: -2] *= 2
    d[d > 9] -= 9
    keys: np.ndarray = (10 - d.sum(axis=1) % 10) % 10
    return keys


def _digits(values: np.ndarray, width: int) -> np.ndarray:
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return (values[:, None] // powers) % 10


def _text(values: np.ndarray, width: int) -> pa.Array:
    return pc.utf8_lpad(pc.cast(pa.array(values, pa.int64()), pa.string()), width, "0")


def _choice(rng: np.random.Generator, choices: Sequence[str], n: int, p: Sequence[float] | None = None,
            empty: float = 0.0) -> pa.Array:
    """``n`` values drawn from ``choices``; a share ``empty`` left empty (null, written as an empty field)."""
    picked = pc.take(pa.array(choices, pa.string()), pa.array(rng.choice(len(choices), n, p=p)))
    if empty <= 0:
        return picked
    return pc.if_else(pa.array(rng.random(n) < empty), pa.nulls(n, pa.string()), picked)


def _dates(rng: np.random.Generator, n: int, start: str, end: str, empty: float = 0.0) -> pa.Array:
    lo, hi = np.datetime64(start, "D").astype(np.int64), np.datetime64(end, "D").astype(np.int64)
    days = pa.array(rng.integers(lo, hi, n).astype("datetime64[D]"))
    text = pc.cast(days, pa.string())
    return pc.if_else(pa.array(rng.random(n) < empty), pa.nulls(n, pa.string()), text) if empty else text


def _sirens(units: np.ndarray) -> tuple[np.ndarray, pa.Array]:
    body = (units * SIREN_STRIDE) % 90_000_000 + 10_000_000
    siren = body * 10 + luhn_keys(_digits(body, 8))
    return siren, _text(siren, 9)


def _nics(siren: np.ndarray, rank: np.ndarray) -> pa.Array:
    """NIC = 4-digit rank + the key that makes the SIRET pass Luhn (INSEE's 00010, 00028, 00036…)."""
    body = siren * 10_000 + rank
    return _text(rank * 10 + luhn_keys(_digits(body, 13)), 5)


def etablissements_chunk(rng: np.random.Generator, first_unit: int, n: int) -> tuple[pa.Table, int]:
    """About ``n`` établissements of consecutive unités légales (whole unités), and the next unit number."""
    per_unit = rng.choice(np.arange(1, 13), size=n, p=_PER_UNIT)
    per_unit = per_unit[: int(np.searchsorted(np.cumsum(per_unit), n, side="right"))]
    units = first_unit + np.repeat(np.arange(len(per_unit)), per_unit)
    m = len(units)
    starts = np.cumsum(per_unit) - per_unit
    rank = np.arange(m, dtype=np.int64) - np.repeat(starts, per_unit) + 1
    siren, siren_text = _sirens(units)
    nic = _nics(siren, rank)
    dep = _choice(rng, DEPARTEMENTS, m)
    overseas = pc.equal(pc.utf8_length(dep), 3)
    commune = pc.binary_join_element_wise(dep, pc.if_else(overseas, _text(rng.integers(1, 34, m), 2),
                                                          _text(rng.integers(1, 600, m), 3)), "")
    postal = pc.binary_join_element_wise(
        pc.utf8_slice_codeunits(pc.replace_substring_regex(dep, "2[AB]", "20"), 0, 2),
        _text(rng.integers(0, 100, m) * 10, 3), "")
    etat = _choice(rng, ("A", "F"), m, p=(0.45, 0.55))
    numero = pc.cast(pa.array(rng.integers(1, 250, m)), pa.string())
    columns: dict[str, pa.Array] = {
        "siren": siren_text,
        "nic": nic,
        "siret": pc.binary_join_element_wise(siren_text, nic, ""),
        "statutDiffusionEtablissement": _choice(rng, ("O", "P"), m, p=(0.97, 0.03)),
        "dateCreationEtablissement": _dates(rng, m, "1960-01-01", "2025-10-31", empty=0.02),
        "trancheEffectifsEtablissement": _choice(rng, TRANCHES, m, empty=0.6),
        "anneeEffectifsEtablissement": _choice(rng, ("2021", "2022", "2023"), m, empty=0.6),
        "dateDernierTraitementEtablissement": pc.binary_join_element_wise(
            _dates(rng, m, "2018-01-01", "2025-11-01"), _choice(rng, ("T09:44:08", "T03:12:51", "T14:02:27"), m), ""),
        "etablissementSiege": pa.array(rank == 1).cast(pa.string()),
        "nombrePeriodesEtablissement": pc.cast(pa.array(rng.integers(1, 6, m)), pa.string()),
        "numeroVoieEtablissement": pc.if_else(pa.array(rng.random(m) < 0.25), pa.nulls(m, pa.string()), numero),
        "indiceRepetitionEtablissement": _choice(rng, ("B", "T"), m, empty=0.97),
        "typeVoieEtablissement": _choice(rng, TYPES_VOIE, m, empty=0.1),
        "libelleVoieEtablissement": _choice(rng, VOIES, m, empty=0.05),
        "codePostalEtablissement": postal,
        "libelleCommuneEtablissement": _choice(rng, COMMUNES, m),
        "codeCommuneEtablissement": commune,
        "identifiantAdresseEtablissement": pc.binary_join_element_wise(
            commune, pc.cast(pa.array(rng.integers(1000, 9999, m)), pa.string()), numero, "_"),
        "coordonneeLambertAbscisseEtablissement": pc.cast(pa.array(rng.integers(100000, 1200000, m)), pa.string()),
        "coordonneeLambertOrdonneeEtablissement": pc.cast(pa.array(rng.integers(6000000, 7100000, m)), pa.string()),
        "dateDebut": _dates(rng, m, "1990-01-01", "2025-10-31", empty=0.01),
        "etatAdministratifEtablissement": etat,
        "enseigne1Etablissement": _choice(rng, NAMES, m, empty=0.85),
        "denominationUsuelleEtablissement": _choice(rng, SURNAMES, m, empty=0.9),
        "activitePrincipaleEtablissement": _choice(rng, NAF, m, empty=0.002),
        "nomenclatureActivitePrincipaleEtablissement": _choice(rng, ("NAFRev2", "NAFRev1", "NAF1993"), m,
                                                               p=(0.9, 0.06, 0.04)),
        "caractereEmployeurEtablissement": _choice(rng, ("O", "N"), m, p=(0.2, 0.8), empty=0.05),
    }
    empty = pa.nulls(m, pa.string())
    table = pa.table({name: columns.get(name, empty) for name in ETABLISSEMENT_COLUMNS})
    return table, int(first_unit + len(per_unit))


_PER_UNIT = np.array([0.80, 0.09, 0.04, 0.02, 0.015, 0.01, 0.008, 0.006, 0.004, 0.003, 0.002, 0.002])
_PER_UNIT = _PER_UNIT / _PER_UNIT.sum()


def unites_chunk(rng: np.random.Generator, first_unit: int, end_unit: int) -> pa.Table:
    """The unités légales numbered ``first_unit`` … ``end_unit - 1`` (the owners of the établissements)."""
    units = np.arange(first_unit, end_unit, dtype=np.int64)
    m = len(units)
    _, siren_text = _sirens(units)
    moral = rng.random(m) < 0.55  # personnes morales carry a dénomination, entrepreneurs a nom/prénom
    denomination = pc.binary_join_element_wise(_choice(rng, NAMES, m), _choice(rng, SURNAMES, m), " ")
    columns: dict[str, pa.Array] = {
        "siren": siren_text,
        "statutDiffusionUniteLegale": _choice(rng, ("O", "P"), m, p=(0.97, 0.03)),
        "dateCreationUniteLegale": _dates(rng, m, "1960-01-01", "2025-10-31", empty=0.02),
        "sexeUniteLegale": pc.if_else(pa.array(moral), pa.nulls(m, pa.string()), _choice(rng, ("M", "F"), m)),
        "prenom1UniteLegale": pc.if_else(pa.array(moral), pa.nulls(m, pa.string()),
                                         _choice(rng, ("JEAN", "MARIE", "YANN", "SOIZIC"), m)),
        "trancheEffectifsUniteLegale": _choice(rng, TRANCHES, m, empty=0.6),
        "anneeEffectifsUniteLegale": _choice(rng, ("2021", "2022", "2023"), m, empty=0.6),
        "dateDernierTraitementUniteLegale": pc.binary_join_element_wise(
            _dates(rng, m, "2018-01-01", "2025-11-01"), _choice(rng, ("T09:44:08", "T03:12:51"), m), ""),
        "nombrePeriodesUniteLegale": pc.cast(pa.array(rng.integers(1, 6, m)), pa.string()),
        "categorieEntreprise": _choice(rng, CATEGORIES, m, empty=0.3),
        "anneeCategorieEntreprise": _choice(rng, ("2021", "2022"), m, empty=0.3),
        "dateDebut": _dates(rng, m, "1990-01-01", "2025-10-31", empty=0.01),
        "etatAdministratifUniteLegale": _choice(rng, ("A", "C"), m, p=(0.6, 0.4)),
        "nomUniteLegale": pc.if_else(pa.array(moral), pa.nulls(m, pa.string()), _choice(rng, SURNAMES, m)),
        "denominationUniteLegale": pc.if_else(pa.array(moral), denomination, pa.nulls(m, pa.string())),
        "categorieJuridiqueUniteLegale": _choice(rng, JURIDIQUES, m),
        "activitePrincipaleUniteLegale": _choice(rng, NAF, m, empty=0.002),
        "nomenclatureActivitePrincipaleUniteLegale": _choice(rng, ("NAFRev2", "NAFRev1"), m, p=(0.9, 0.1)),
        "nicSiegeUniteLegale": _nics(_sirens(units)[0], np.ones(m, dtype=np.int64)),
        "economieSocialeSolidaireUniteLegale": _choice(rng, ("O", "N"), m, p=(0.03, 0.97), empty=0.1),
        "societeMissionUniteLegale": _choice(rng, ("O", "N"), m, p=(0.01, 0.99), empty=0.9),
        "caractereEmployeurUniteLegale": _choice(rng, ("O", "N"), m, p=(0.2, 0.8), empty=0.05),
    }
    empty = pa.nulls(m, pa.string())
    return pa.table({name: columns.get(name, empty) for name in UNITE_LEGALE_COLUMNS})


def generate(rows: int, output_dir: Path, seed: int = 7, duplicates: float = 0.0) -> GeneratedFiles:
    """Write ``StockEtablissement_<rows>.csv`` (~``rows`` rows) and the matching ``StockUniteLegale_<rows>.csv``.

    ``duplicates``: share of établissement rows written a second time later in the file (the real stock has
    none; the loader must still keep one row per SIRET)."""
    output_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    etab_path = paths_for(rows, output_dir, seed, duplicates)
    unit_path = etab_path.with_name(etab_path.name.replace("StockEtablissement_", "StockUniteLegale_"))
    written = dup_written = unit = unites_rows = 0
    held: pa.Table | None = None  # a sample of earlier rows, re-written as duplicates
    with etab_path.open("wb") as etabs, unit_path.open("wb") as unites:
        etabs.write((",".join(ETABLISSEMENT_COLUMNS) + "\n").encode())
        unites.write((",".join(UNITE_LEGALE_COLUMNS) + "\n").encode())
        while written < rows:
            table, next_unit = etablissements_chunk(rng, unit, min(CHUNK_ROWS, rows - written))
            if held is not None and held.num_rows:
                table = pa.concat_tables([table, held])
                dup_written += held.num_rows
                held = None
            if duplicates > 0:
                held = table.take(pa.array(rng.choice(table.num_rows, int(table.num_rows * duplicates))))
            write_rows(etabs, table)
            write_rows(unites, unites_chunk(rng, unit, next_unit))
            written += table.num_rows
            unites_rows += next_unit - unit
            unit = next_unit
        if held is not None and held.num_rows:  # the last chunk's duplicates, at the end of the file
            write_rows(etabs, held)
            written += held.num_rows
            dup_written += held.num_rows
    files = GeneratedFiles(etab_path, unit_path, written, unites_rows, dup_written)
    truth_path(etab_path).write_text(json.dumps({"rows": written, "unites_rows": unites_rows,
                                                 "duplicates": dup_written, "unites": unit_path.name}))
    return files


def truth_path(etablissements: Path) -> Path:
    """The sidecar with the counts the benchmark checks the load against."""
    return etablissements.with_name(etablissements.name + ".truth.json")


def load_truth(etablissements: Path) -> GeneratedFiles | None:
    """The files written earlier for these arguments, when complete (the benchmark reuses them)."""
    sidecar = truth_path(etablissements)
    if not sidecar.exists():
        return None
    truth = json.loads(sidecar.read_text())
    unites = etablissements.with_name(truth["unites"])
    if not unites.exists() or not etablissements.exists():
        return None
    return GeneratedFiles(etablissements, unites, truth["rows"], truth["unites_rows"], truth["duplicates"])


def paths_for(rows: int, output_dir: Path, seed: int = 7, duplicates: float = 0.0) -> Path:
    """Where ``generate`` writes the établissements file for these arguments."""
    stem = f"{rows}_s{seed}" + (f"_d{duplicates:g}" if duplicates else "")
    return output_dir / f"StockEtablissement_{stem}.csv"


def _may_need_quotes(values: pa.Array) -> bool:
    """A quick look at the bytes of the column (one scan in C) before the per-value tests."""
    data = values.buffers()[2]
    if data is None:
        return False
    raw = data.to_pybytes()
    return b"," in raw or b'"' in raw


def write_rows(handle: BinaryIO, table: pa.Table) -> None:
    """Append ``table`` as CSV lines the way INSEE writes them: fields quoted only when they hold a comma or a
    quote (pyarrow's writer quotes every string, which the real files do not)."""
    fields = []
    for column in table.itercolumns():
        values = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
        if values.null_count == len(values) or values.type != pa.string() or not _may_need_quotes(values):
            fields.append(values)
            continue
        special = pc.fill_null(pc.or_(pc.match_substring(values, ","), pc.match_substring(values, '"')), False)
        if pc.any(special).as_py():
            quoted = pc.binary_join_element_wise('"', pc.replace_substring(values, '"', '""'), '"', "")
            values = pc.if_else(special, quoted, values)
        fields.append(values)
    lines = pc.binary_join_element_wise(*fields, ",", null_handling="replace", null_replacement="")
    lines = pc.binary_join_element_wise(lines, "", "\n")  # line + "\n" + ""
    offsets, data = lines.buffers()[1], lines.buffers()[2]
    first, last = np.frombuffer(offsets, dtype=np.int32)[[lines.offset, lines.offset + len(lines)]]
    handle.write(memoryview(data)[first:last])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=30_000_000, help="établissements to write (30 000 000)")
    parser.add_argument("--output-dir", type=Path, default=Path(__file__).resolve().parent / "out")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--duplicates", type=float, default=0.0, help="share of SIRETs written twice (0)")
    args = parser.parse_args(argv)
    files = generate(args.rows, args.output_dir, args.seed, args.duplicates)
    print(f"{files.etablissements} ({files.rows} rows, {files.duplicates} duplicates, "
          f"{files.etablissements.stat().st_size / 1e9:.2f} GB)")
    print(f"{files.unites} ({files.unites_rows} rows, {files.unites.stat().st_size / 1e9:.2f} GB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
