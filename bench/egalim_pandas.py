"""The baseline of bench/egalim.py: the Egalim computation as one would write it in pandas — read every Parquet file
with ``pd.read_parquet``, concatenate, prices to integer cents (exact sums), one masked column per measure,
``groupby`` sums per restaurant / group / whole × year and per family, then territories, targets and shares.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from spaser.indicators.egalim.catalogue import GROUPS, MEAT_AND_FISH, restaurant_targets, targets_for

ALL_GROUPS = (*GROUPS, "NON_EGALIM")
SUMS = ["lines", "total", *(g.lower() for g in ALL_GROUPS), "mf_total", "mf_egalim", "france", "local",
        "short_circuit"]
FAMILY_SUMS = ["lines", "total", "egalim", "bio"]
COLUMNS = ["siret", "date", "prix_ht", "famille_produits", "groupe_egalim", "origine", "est_local",
           "est_circuit_court"]


def _registry(path: Path) -> pd.DataFrame:
    if not path.exists():
        return pd.DataFrame({"siret": pd.Series([], dtype=str), "groupe": [], "departement": [], "etat": []})
    registry = pd.read_parquet(path).drop_duplicates("siret")
    registry["territory"] = registry["departement"].map(
        lambda d: targets_for(d, 0).territory if isinstance(d, str) and d else None)
    registry["etat"] = registry["etat"].fillna(False).astype(bool)
    return registry


def _scope(frame: pd.DataFrame, keys: list[str], scope: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    grouped = frame.groupby(keys, sort=False)
    summaries = grouped[SUMS].sum()
    summaries["restaurants"] = grouped["siret"].nunique()
    families = frame.groupby([*keys, "famille"], sort=False)[FAMILY_SUMS].sum()
    summaries, families = summaries.reset_index(), families.reset_index()
    for table in (summaries, families):
        table.insert(0, "scope", scope)
        table["scope_id"] = table[keys[0]].astype(str) if keys[0] != "year" else ""
    return summaries, families


def compute_pandas(files: list[Path], registry_path: Path) -> dict[str, pd.DataFrame]:
    lines = pd.concat([pd.read_parquet(f, columns=COLUMNS) for f in files], ignore_index=True)
    cents = (lines["prix_ht"].astype("float64") * 100).round().astype("int64")
    group = lines["groupe_egalim"].fillna("NON_EGALIM")
    meat_and_fish = lines["famille_produits"].isin(MEAT_AND_FISH)
    egalim = group.isin(GROUPS)
    frame = pd.DataFrame({
        "siret": lines["siret"], "year": pd.to_datetime(lines["date"]).dt.year, "famille": lines["famille_produits"],
        "lines": 1, "total": cents, **{g.lower(): cents.where(group == g, 0) for g in ALL_GROUPS},
        "mf_total": cents.where(meat_and_fish, 0), "mf_egalim": cents.where(meat_and_fish & egalim, 0),
        "france": cents.where(lines["origine"] == "FRANCE", 0),
        "local": cents.where(lines["est_local"].fillna(False).astype(bool), 0),
        "short_circuit": cents.where(lines["est_circuit_court"].fillna(False).astype(bool), 0),
        "egalim": cents.where(egalim, 0), "bio": cents.where(group == "BIO", 0),
    })
    del lines, cents
    registry = _registry(registry_path)
    frame = frame.merge(registry[["siret", "groupe"]], on="siret", how="left")
    parts = [_scope(frame, ["siret", "year"], "restaurant"),
             _scope(frame[frame["groupe"].notna()], ["groupe", "year"], "groupe"),
             _scope(frame, ["year"], "ensemble")]
    summaries = pd.concat([p[0] for p in parts], ignore_index=True)
    families = pd.concat([p[1] for p in parts], ignore_index=True)
    # territories and State: per scope-year, from its distinct restaurants
    present = frame[["siret", "year", "groupe"]].drop_duplicates().merge(
        registry[["siret", "territory", "departement", "etat"]], on="siret", how="left")
    present["etat"] = present["etat"].fillna(False).astype(bool)
    present["territory"] = present["territory"].fillna("?")
    scopes = [("restaurant", present.assign(scope_id=present["siret"])),
              ("groupe", present[present["groupe"].notna()].assign(scope_id=present["groupe"])),
              ("ensemble", present.assign(scope_id=""))]
    facts = pd.concat([
        table.groupby(["scope_id", "year"]).agg(territories=("territory", "nunique"), territory=("territory", "first"),
                                                departement=("departement", "first"), state=("etat", "all"))
        .reset_index().assign(scope=scope) for scope, table in scopes], ignore_index=True)
    summaries = summaries.merge(facts, on=["scope", "scope_id", "year"], how="left")
    known = (summaries["territories"] == 1) & (summaries["territory"] != "?")
    targets = [restaurant_targets(d if k else None, int(y), bool(s)) for d, k, y, s in
               zip(summaries["departement"], known, summaries["year"], summaries["state"], strict=True)]
    summaries["target_egalim"] = [t.egalim for t in targets]
    summaries["target_bio"] = [t.bio for t in targets]
    summaries["target_meat_and_fish"] = [t.meat_and_fish for t in targets]
    egalim_sum = summaries[[g.lower() for g in GROUPS]].sum(axis=1)
    total = summaries["total"].where(summaries["total"] != 0)
    summaries["share_egalim"] = egalim_sum * 100 / total
    summaries["share_bio"] = summaries["bio"] * 100 / total
    summaries["share_meat_and_fish"] = summaries["mf_egalim"] * 100 / summaries["mf_total"].where(
        summaries["mf_total"] != 0)
    for name in ("france", "local", "short_circuit"):
        summaries[f"share_{name}"] = summaries[name] * 100 / total
    summaries["met_egalim"] = summaries["share_egalim"] >= summaries["target_egalim"]
    summaries["met_bio"] = summaries["share_bio"] >= summaries["target_bio"]
    summaries["met_meat_and_fish"] = summaries["share_meat_and_fish"] >= summaries["target_meat_and_fish"]
    summaries = summaries.drop(columns=["siret", "groupe"], errors="ignore")
    families = families.drop(columns=["siret", "groupe"], errors="ignore")
    return {"summaries": summaries, "families": families}
