"""Generate ``docs/indicateurs.md`` from the catalogue (``python -m spaser.indicators.docs [FILE]``).

Why generated: the published definition of an indicator must be the one computed; a test compares the file
with :func:`render` and fails when someone edits one without the other.
"""

from __future__ import annotations

import sys
from pathlib import Path

from spaser.indicators.catalogue import MEASURES, Indicator, catalogue
from spaser.indicators.engine import AGGREGATES, SCOPES
from spaser.indicators.facts import FACT_COLUMNS, PARAMETERS
from spaser.indicators.targets import default_target_set
from spaser.indicators.thresholds import load_thresholds

HEADER = """# Indicateurs — indicators

<!-- Generated from src/spaser/indicators/definitions.py by `make docs`
     (python -m spaser.indicators.docs docs/indicateurs.md); do not edit by hand: a test compares them. -->

Every indicator of the observatory, as computed by `spaser indicators` (and the web pages and API that read
the same engine). Each is computed **per year of notification** and **per scope** ({scopes}) in two
**measures**:

* `count` — in number of contracts (each deduplicated contract counts once);
* `value` — in euros HT, weighted by the contract's **current amount** (after modifications). Contracts whose
  amount is missing or flagged suspicious (`montant_suspect`: zero, negative, placeholder, aberrant) are left
  out, and counted in `excluded`.

Every result carries `numerator`, `denominator`, `value` (= numerator ÷ denominator, × 100 for a percentage),
`coverage` (contracts whose needed fields are known ÷ contracts concerned — for `value`, known and with a usable
amount), `population`, `known`, `excluded`, and its SPASER `target`, `status` and `gap` when a target applies.

```sh
spaser indicators                                  # every indicator, all contracts, every year
spaser indicators --year 2025 --scope region       # by region for 2025
spaser indicators --buyer 23350001600040 --scope cpv_division --format json
spaser indicators --every-scope --format csv -o indicateurs.csv   # + indicateurs.schema.json
spaser indicators --list
```

## Conventions

* **Year**: year of `date_notification` (of the signature for a concession); contracts without a date are
  grouped under an unknown year (`year` null).
* **Région and département** of a contract: those of the buyer's establishment (SIRENE + COG), else those of
  its place of execution (`lieuExecution` resolved against the COG).
* **Buyer**: `acheteur_id` (SIRET of the buyer, or of the autorité concédante). `--buyer` restricts every scope
  to that buyer's contracts.
* **Supplier**: the SIREN of a titulaire with a valid SIRET (a company, whatever its establishment), else its
  identifier as published. Supplier-side indicators split a contract with several titulaires into equal
  shares.
* **Titulaires**: those in force (set by the last modification that names some, else the initial ones).
* **Considerations** exist only in the 2022 format: 2019-format records are *unknown*, which lowers the
  coverage, never the value.
* **Rounding**: numerators and denominators to the cent (value) or to 6 decimals (count); values and coverage
  to 4 decimals.

## Fact table

The engine reads one row per contract, `indicator_facts` (built into every snapshot after each ingestion and
reference load; `src/spaser/indicators/facts.py`). The columns the definitions below use:

| column | meaning |
|---|---|
{facts}

## Parameters

| parameter | value |
|---|---|
{parameters}

## Thresholds

Dated configuration table `src/spaser/indicators/thresholds.toml` (EUR HT; another file can be given with
`--thresholds`). A contract is judged by the threshold in force on its notification date. The EU threshold of a
contract is the works one for CPV division 45 and for concessions (defence works included), the
defence/utilities one for other "Marché de défense ou de sécurité", else the supplies and services one for
contracting authorities other than the State. Sums and counts over a group where nothing is known are 0.

| name | amount | from | to |
|---|---:|---|---|
{thresholds}

## Targets

SPASER objectives are data: one TOML file per organisation in `<data-dir>/targets/` (or `--targets FILE`).

```toml
organisation = "Région Bretagne"
acheteurs = ["23350001600040"]   # SIRET, or SIREN for every establishment
include_default = true           # the national targets still apply to indicators not set here

[[target]]
indicator = "sme_advance"
measure = "count"                # count or value
value = 50                       # in the indicator's unit
year = 2027                      # due year
trajectory = {{ 2025 = 46, 2026 = 48 }}   # optional milestones
note = "SPASER 2024-2027, axe 2"
```

A result takes the target of the organisation its buyer belongs to (scope `buyer`, or `--buyer`), else the
default target. Status: `met` when the value reaches the target (or stays at or below it for an indicator where
lower is better); before the due year, `on_track` when it reaches the milestone expected that year (declared,
or interpolated linearly between milestones and the target); otherwise `off_track`. `gap` = value − target.

Default targets (`src/spaser/indicators/targets_default.toml`):

| indicator | measure | target | year | note |
|---|---|---:|---|---|
{targets}

## Catalogue

| id | indicateur | unit | lower is better |
|---|---|---|---|
{summary}
"""


def _section(indicator: Indicator) -> str:
    lines = [
        f"### `{indicator.id}` — {indicator.label_fr}",
        "",
        f"*{indicator.label_en}*",
        "",
        f"* **Définition** : {indicator.definition_fr}",
        f"* **Definition**: {indicator.definition_en}",
        f"* **Source**: {indicator.source}",
        f"* **Unit**: {indicator.unit}" + ("" if indicator.scale in (1.0, 100.0) else f" (× {indicator.scale:g})"),
        f"* **Better**: {indicator.better or '—'}",
        "* **Fields**: " + ", ".join(f"`{name}`" for name in indicator.fields),
        f"* **Population**: `{indicator.population}` · **known when**: `{indicator.known}` · "
        f"**numerator per contract**: `{indicator.numerator}`",
    ]
    if indicator.kind == "hhi":
        lines.append("* **Shares**: each supplier's weight w = Σ 1 ÷ titulaires (count) or Σ amount ÷ titulaires "
                     "(value) over the scope's contracts; numerator = Σ w² ÷ (Σ w)² = Σ share², denominator = 1; "
                     "value = numerator × 10 000.")
    lines += ["", "| measure | part | SQL over `indicator_facts` |", "|---|---|---|"]
    for measure in MEASURES:
        for part, (function, expression) in indicator.parts(measure).items():
            if indicator.kind == "hhi" and part in ("numerator", "denominator"):
                sql = "supplier shares (above)"
            else:
                sql = "0" if function == "none" else AGGREGATES[function].format(expression)
            lines.append(f"| {measure} | {part} | `{sql.replace('|', chr(92) + '|')}` |")
    return "\n".join(lines) + "\n"


def render() -> str:
    entries = catalogue()
    parameters = "\n".join(f"| `{name}` | {value:g} |" for name, value in PARAMETERS.items())
    thresholds = "\n".join(f"| `{t.name}` | {t.amount:,.0f} | {t.start} | {t.end} |".replace(",", " ")
                           for t in sorted(load_thresholds(), key=lambda t: (t.name, t.start)))
    targets = "\n".join(f"| `{t.indicator}` | {t.measure} | {t.value:g} | {t.year} | {t.note or ''} |"
                        for t in default_target_set().targets)
    summary = "\n".join(f"| `{i.id}` | {i.label_fr} | {i.unit} | "
                        f"{'yes' if i.better == 'lower' else 'no'} |" for i in entries)
    facts = "\n".join(f"| `{name}` | {meaning} |" for name, meaning in FACT_COLUMNS.items())
    head = HEADER.format(facts=facts, scopes=", ".join(f"`{s}`" for s in SCOPES), parameters=parameters,
                         thresholds=thresholds, targets=targets, summary=summary)
    return head + "\n" + "\n".join(_section(i) for i in entries)


def main(argv: list[str]) -> int:
    text = render()
    if not argv:
        sys.stdout.write(text)
        return 0
    Path(argv[0]).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
