"""Synthetic, national-scale DECP files in the 2022 format (schema v2.0.3), for the ingestion benchmark.

The output has the shape of the consolidated national file::

    {"marches": {"marche": [...], "contrat-concession": [...]}}

with the wrapped lists of v2.0.3 (``titulaires: [{"titulaire": {...}}]``,
``modifications: [{"modification": {...}}]``, ``techniques: {"technique": [...]}`` ...).

Everything is synthetic: identifiers are generated (SIRETs carry valid Luhn keys), CPV codes are
generated with their check digit, amounts/durations/dates follow plausible distributions, and the
``objet`` text is assembled from small French word lists. Nothing is copied from real data.

Injected on purpose (counts are written to ``PATH.truth.json``):

* ~5 % duplicates scattered across the file: exact re-publications, republished versions with a later
  ``datePublicationDonnees`` and republished versions with one extra modification (same
  id / acheteur / dateNotification / montant / titulaires as the original);
* ~3 % lots: 2-4 records of one buyer sharing an ``id`` but differing in montant/titulaires/objet
  (distinct contracts, they must NOT be merged);
* ~0.95 % records with a fixable defect (amount as string, 0, placeholder, 1e12, dates with a
  time-zone suffix / impossible year / dd/mm/yyyy, dureeMois "NC", 7-digit CPV, SIRET with spaces
  or a bad key, upper-case enumeration);
* ~0.05 % unidentifiable records (no ``id`` and no ``acheteur.id``) and a few items that are a JSON
  string or a number instead of an object.

The file is written in chunks (memory stays flat) and the output is deterministic for a seed.

The package is split by responsibility (each module says why it exists): ``settings`` (scale, shares,
calendar), ``identifiers`` (SIRET/TVA/Luhn, contract numbers), ``cpv``, ``vocabulary`` (French word
lists), ``enumerations`` (schema values and their shares), ``sampling`` (drawing primitives),
``population`` (buyers, suppliers, CPV pool), ``records`` (marchés), ``concessions``, ``duplicates``
(republications and lots), ``defects``, ``truth`` (the sidecar counts), ``generator`` (the plan and the
chunks), ``writer`` (streaming output) and ``cli``. ``bench/generate_decp.py`` is the script entry point.
"""

from __future__ import annotations

from .cli import main
from .cpv import cpv_check_digit
from .generator import DecpGenerator
from .identifiers import luhn_valid
from .truth import Truth, truth_path
from .writer import generate

__all__ = ["DecpGenerator", "Truth", "cpv_check_digit", "generate", "luhn_valid", "main", "truth_path"]
