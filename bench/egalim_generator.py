"""Synthetic Egalim purchase lines for bench/egalim.py: the store's Parquet layout and columns, generated with numpy
and pyarrow a year at a time (every restaurant at once), one file per restaurant-year (an import).

Realism, roughly as the national tool's published declarations: families weighted as a canteen's purchases
(meat and poultry ~22 % of lines and pricier), log-normal prices, ~30 % of the value Egalim of which ~13 % bio,
varying by restaurant (× 0.4-1.8) and rising by ~8 % a year; characteristics that exercise the priority rule
(BIO+IGP, IGP+HVE…); French origin on ~55 % of lines, local ~15 %, short circuit ~10 %.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from spaser.indicators.egalim.catalogue import FAMILIES, group_of

#: Family weights (share of lines) and median price in euros HT.
FAMILY_MIX: dict[str, tuple[float, float]] = {
    "VIANDES_VOLAILLES": (0.22, 45.0), "CHARCUTERIE": (0.05, 22.0), "PRODUITS_DE_LA_MER": (0.08, 38.0),
    "FRUITS_ET_LEGUMES": (0.22, 18.0), "PRODUITS_LAITIERS": (0.15, 15.0), "BOULANGERIE": (0.10, 12.0),
    "BOISSONS": (0.05, 10.0), "AUTRES": (0.13, 14.0),
}
assert set(FAMILY_MIX) == set(FAMILIES)
#: Qualifying groups' share of lines (before the restaurant factor), and their characteristic combinations.
GROUP_MIX: dict[str, tuple[float, list[list[str]]]] = {
    "BIO": (0.09, [["BIO"], ["BIO", "IGP"], ["CONVERSION_BIO"], ["BIO", "LABEL_ROUGE"]]),
    "SIQO": (0.065, [["LABEL_ROUGE"], ["AOCAOP"], ["IGP"], ["IGP", "HVE"], ["STG"]]),
    "EGALIM_AUTRES": (0.05, [["HVE"], ["PECHE_DURABLE"], ["FERMIER"], ["COMMERCE_EQUITABLE"], ["RUP"]]),
    "EXTERNALITES_PERFORMANCE": (0.03, [["PERFORMANCE"], ["EXTERNALITES"]]),
    "NON_EGALIM": (0.0, [[]]),
}
MAINLAND = ("01", "06", "13", "21", "29", "31", "33", "34", "35", "38", "44", "59", "63", "67", "69", "75", "76",
            "2A", "92", "93")
#: Overseas restaurants by index (those below --restaurants): Réunion, Guadeloupe, Martinique, Mayotte, SPM.
OVERSEAS = {1: "974", 23: "971", 47: "972", 71: "976", 95: "975"}
DEFINITIONS = ("DEPARTEMENT", "REGION", "AUTOUR_SERVICE", "PAT")
SUPPLIERS = [f"Fournisseur {n:03d} SAS" for n in range(150)]
WORDS = {
    "VIANDES_VOLAILLES": ["Sauté de porc", "Filet de poulet", "Boeuf haché", "Cuisse de dinde", "Rôti de veau"],
    "CHARCUTERIE": ["Jambon blanc", "Saucisson sec", "Pâté de campagne"],
    "PRODUITS_DE_LA_MER": ["Filet de colin", "Dos de cabillaud", "Saumon", "Moules"],
    "FRUITS_ET_LEGUMES": ["Pommes", "Carottes", "Salade", "Tomates", "Poires", "Courgettes"],
    "PRODUITS_LAITIERS": ["Yaourt nature", "Comté", "Lait demi-écrémé", "Fromage blanc"],
    "BOULANGERIE": ["Pain de campagne", "Baguette", "Brioche"],
    "BOISSONS": ["Jus de pomme", "Eau minérale"],
    "AUTRES": ["Riz", "Pâtes", "Huile de colza", "Lentilles", "Farine"],
}
STRUCTURE = {
    "import_id": pa.string(), "line_no": pa.int32(), "siret": pa.string(), "description": pa.string(),
    "fournisseur": pa.string(), "date": pa.date32(), "prix_ht": pa.decimal128(14, 2),
    "famille_produits": pa.string(), "categories_egalim": pa.list_(pa.string()), "groupe_egalim": pa.string(),
    "origine": pa.string(), "est_circuit_court": pa.bool_(), "est_local": pa.bool_(),
    "definition_local": pa.string(), "definition_local_km": pa.int32(), "code_article": pa.string(),
    "year": pa.int16(),
}
SCHEMA = pa.schema(list(STRUCTURE.items()))


def siret_of(index: int) -> str:
    return f"{210_000_000 + index * 7_919:09d}{12 + index % 7:05d}"


def registry(restaurants: int) -> pa.Table:
    """Restaurants: ~80 % in groups of 8 (group 0 spans mainland and Réunion), 1 in 10 State, a few overseas."""
    rows = []
    for i in range(restaurants):
        rows.append({
            "siret": siret_of(i), "nom": f"Restaurant scolaire {i:03d}",
            "groupe": None if i % 5 == 4 else f"Cuisine centrale {i // 8:02d}",
            "departement": OVERSEAS.get(i, MAINLAND[i % len(MAINLAND)]), "etat": i % 10 == 7,
        })
    return pa.Table.from_pylist(rows, schema=pa.schema([("siret", pa.string()), ("nom", pa.string()),
                                                         ("groupe", pa.string()), ("departement", pa.string()),
                                                         ("etat", pa.bool_())]))


def _money(cents: np.ndarray) -> pa.Array:
    """int64 cents → decimal128(14, 2) without a Python object per value (little-endian 128-bit integers)."""
    words = np.zeros((len(cents), 2), dtype=np.int64)
    words[:, 0] = cents
    return pa.Array.from_buffers(pa.decimal128(14, 2), len(cents), [None, pa.py_buffer(words.tobytes())])


def _pick(rng: np.random.Generator, choices: pa.Array, n: int, p: list[float] | None = None) -> pa.Array:
    return pc.take(choices, pa.array(rng.choice(len(choices), size=n, p=p)))


def year_table(rng: np.random.Generator, restaurants: int, lines: int, year: int, trend: float,
               factors: np.ndarray) -> pa.Table:
    n = restaurants * lines
    who = np.repeat(np.arange(restaurants), lines)
    families = list(FAMILY_MIX)
    weights = np.array([w for w, _ in FAMILY_MIX.values()])
    family = rng.choice(len(families), size=n, p=weights / weights.sum())
    # group: qualifying shares × the restaurant's factor × the year's trend, the rest NON_EGALIM
    groups = list(GROUP_MIX)
    base = np.array([share for share, _ in GROUP_MIX.values()][:-1])
    shares = base[None, :] * (factors * trend)[who][:, None]
    group = (rng.random(n)[:, None] > np.cumsum(shares, axis=1)).sum(axis=1)
    combos = [combo for _, options in GROUP_MIX.values() for combo in options]
    starts = np.cumsum([0] + [len(options) for _, options in GROUP_MIX.values()])[:-1]
    counts = np.array([len(options) for _, options in GROUP_MIX.values()])
    combo = starts[group] + (rng.random(n) * counts[group]).astype(np.int64)
    assert all(group_of(c) == groups[g] for g, (_, options) in enumerate(GROUP_MIX.values()) for c in options)
    medians = np.array([median for _, median in FAMILY_MIX.values()])
    price = np.exp(np.log(medians[family]) + 0.9 * rng.standard_normal(n)) * np.where(group == 0, 1.2, 1.0)
    cents = np.maximum(np.rint(price * 100).astype(np.int64), 1)
    first = (dt.date(year, 1, 1) - dt.date(1970, 1, 1)).days
    days = 366 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 365
    local = rng.random(n) < 0.15
    definition = rng.choice(len(DEFINITIONS), size=n)
    words = [w for f in families for w in WORDS[f]]
    word_start = np.cumsum([0] + [len(WORDS[f]) for f in families])[:-1]
    word_count = np.array([len(WORDS[f]) for f in families])
    article = rng.integers(0, 2000, size=n)
    return pa.table({
        "import_id": pc.take(pa.array([f"bench-{year}-{r:03d}" for r in range(restaurants)]), pa.array(who)),
        "line_no": pa.array(np.tile(np.arange(1, lines + 1, dtype=np.int32), restaurants)),
        "siret": pc.take(pa.array([siret_of(r) for r in range(restaurants)]), pa.array(who)),
        "description": pc.take(pa.array(words), pa.array(word_start[family]
                                                          + (rng.random(n) * word_count[family]).astype(np.int64))),
        "fournisseur": _pick(rng, pa.array(SUPPLIERS), n),
        "date": pa.array(first + rng.integers(0, days, size=n).astype(np.int32), pa.int32()).cast(pa.date32()),
        "prix_ht": _money(cents),
        "famille_produits": pc.take(pa.array(families), pa.array(family)),
        "categories_egalim": pc.take(pa.array(combos, pa.list_(pa.string())), pa.array(combo)),
        "groupe_egalim": pc.take(pa.array(groups), pa.array(group)),
        "origine": _pick(rng, pa.array(["FRANCE", "EUROPE", None]), n, [0.55, 0.15, 0.30]),
        "est_circuit_court": pa.array((rng.random(n) < 0.07) | (local & (rng.random(n) < 0.2))),
        "est_local": pa.array(local),
        "definition_local": pc.if_else(pa.array(local), pc.take(pa.array(DEFINITIONS), pa.array(definition)),
                                       pa.nulls(n, pa.string())),
        "definition_local_km": pc.if_else(pa.array(local & (definition == 2)),
                                          pa.array(np.full(n, 80, dtype=np.int32)), pa.nulls(n, pa.int32())),
        "code_article": pc.if_else(pa.array(article < 1000), pa.array([f"ART{a:05d}" for a in range(2000)]).take(
            pa.array(article)), pa.nulls(n, pa.string())),
        "year": pa.array(np.full(n, year, dtype=np.int16)),
    }, schema=SCHEMA)


def generate_store(egalim_dir: Path, restaurants: int, years: int, lines: int, seed: int,
                   last_year: int = 2025) -> list[Path]:
    """Write ``egalim_dir/lines/<import>.parquet`` (one per restaurant-year) and ``egalim_dir/restaurants.parquet``."""
    rng = np.random.default_rng(seed)
    lines_dir = egalim_dir / "lines"
    lines_dir.mkdir(parents=True, exist_ok=True)
    pq.write_table(registry(restaurants), egalim_dir / "restaurants.parquet")
    factors = rng.uniform(0.4, 1.8, size=restaurants)
    written = []
    first_year = last_year - years + 1
    for year in range(first_year, last_year + 1):
        table = year_table(rng, restaurants, lines, year, 1.0 + 0.08 * (year - first_year), factors)
        for r in range(restaurants):
            path = lines_dir / f"bench-{year}-{r:03d}.parquet"
            pq.write_table(table.slice(r * lines, lines), path, compression="zstd")
            written.append(path)
    return written
