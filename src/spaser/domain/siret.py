"""Cleaning of supplier and buyer identifiers (``typeIdentifiant`` + ``id``, ``acheteur.id``).

Why: the SME, ESS, local-supplier and new-supplier indicators join titulaires to SIRENE by SIREN, and every
per-buyer indicator groups by ``acheteur.id``. Real files carry ids with spaces or tabs, ints, SIRET that are
not 14 digits / fail the Luhn check / are all zeros, ``typeIdentifiant`` in any case or spelling
(``TVA_INTRACOMMUNAUTAIRE``, ``Siret``, ``""``) (``../shared/docs/domain.md`` §1 pitfall 6). Only separators
are removed; digits are never invented, so a bad SIRET stays visible, flagged, and ``siret_valide`` is False.

Flags (``"<field>:<defect>"``): ``id_manquant``, ``id_illisible``, ``id_numerique`` (int id), ``id_espaces``
(separators removed), ``type_manquant``, ``type_deduit`` (SIRET inferred from 14 digits), ``type_corrige``
(spelling or wrong type fixed), ``type_inconnu`` (kept raw), ``siret_longueur``, ``siret_zeros``,
``siret_cle``."""

from __future__ import annotations

import functools
import math
import re

import numpy as np

from spaser.domain.cleaned import Cleaned

# v1.5 list; v2.0.x dropped "UE" (EU suppliers use TVA) but 2019 records still carry it.
VALID_TYPES = frozenset({"SIRET", "TVA", "TAHITI", "RIDET", "FRWF", "IREP", "UE", "HORS-UE"})

_SQUEEZE = re.compile(r"[\s_\-.'’]+")
_TYPE_ALIASES: dict[str, str] = {
    **{_SQUEEZE.sub("", t): t for t in VALID_TYPES},  # "HORS_UE", "hors ue", "Siret", "SIRET " …
    # AIFE file (data.gouv.fr_aife_2019-04-04.json, id 2018Tsct3VXh4H00): "TVA_INTRACOMMUNAUTAIRE" (34
    # titulaires).
    "TVAINTRACOMMUNAUTAIRE": "TVA",
    "TVAINTRA": "TVA",
    "NTVA": "TVA",
    # AIFE file id 2010039988110804: "FRW" for an id "FRWFDURANDCHAUFFAG" (FRWF truncated).
    "FRW": "FRWF",
}
# Digits with separators only (" 44189140500017 ", "414 550 293", "0405.069.723", "\t32359288100060").
_DIGITS_AND_SEPARATORS = re.compile(r"[\d\s.\-/]+", re.ASCII)
_SEPARATORS = re.compile(r"[\s.\-/]+")


_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)
_LA_POSTE_SIREN = "356000000"


def _luhn_ok(digits: bytes) -> bool:
    """Luhn check over ASCII digits: every second digit from the right is doubled."""
    total = sum(digits[-1::-2]) - 48 * len(digits[-1::-2])
    total += sum(_DOUBLED[d - 48] for d in digits[-2::-2])
    return total % 10 == 0


@functools.lru_cache(maxsize=1 << 18)
def _stdnum_valid(digits: str) -> bool:
    """The check of ``stdnum.fr.siret.is_valid`` (Luhn on the SIREN and on the SIRET; La Poste's
    establishments, SIREN 356000000, use a digit sum divisible by 5 instead), at ~1 µs instead of ~12 µs;
    ``tests/unit/domain/test_clean_siret.py`` checks it agrees with stdnum. Cached: the national file has
    ~200 k distinct SIRET for ~1.8 M titulaire rows."""
    raw = digits.encode("ascii")
    if not _luhn_ok(raw[:9]):
        return False
    if digits.startswith(_LA_POSTE_SIREN) and digits != "35600000000048":  # head office uses Luhn
        return (sum(raw) - 48 * 14) % 5 == 0
    return _luhn_ok(raw)


def clean_siret_mask(values: list[str]) -> np.ndarray:
    """For each string, whether it is a clean SIRET: 14 ASCII digits, not all zeros, passing the check of
    :func:`_stdnum_valid` — the fast path of :func:`clean_acheteur_id` and :func:`clean_identifiant`, for a
    whole column at once (the national file has ~1.5 M buyer ids and ~1.8 M titulaire ids to check).

    ``tests/unit/domain/test_clean_siret.py`` checks it agrees with the scalar rule."""
    n = len(values)
    ok = np.zeros(n, dtype=bool)
    rows = np.flatnonzero(np.fromiter(map(len, values), dtype=np.int64, count=n) == 14)
    if not len(rows):
        return ok
    candidates = values if len(rows) == n else [values[i] for i in rows.tolist()]
    joined = "".join(candidates)
    if not joined.isascii():
        ok[rows] = [_is_14_digits(v) and v != "00000000000000" and _stdnum_valid(v) for v in candidates]
        return ok
    digits = np.frombuffer(joined.encode("ascii"), dtype=np.uint8).reshape(-1, 14).astype(np.int64) - 48
    valid: np.ndarray = np.asarray(((digits >= 0) & (digits <= 9)).all(axis=1))
    digits = np.where(valid[:, None], digits, 0)
    valid &= digits.any(axis=1)  # all zeros is a placeholder, not a SIRET
    valid &= _luhn_rows(digits[:, :9]) & _luhn_rows(digits)
    for i in np.flatnonzero((digits[:, :9] == _LA_POSTE_DIGITS).all(axis=1)):
        valid[i] = _stdnum_valid(candidates[i])  # La Poste's establishments have their own rule (rare)
    ok[rows] = valid
    return ok


_LA_POSTE_DIGITS = np.array([int(c) for c in _LA_POSTE_SIREN], dtype=np.int64)
_DOUBLED_ARRAY = np.array(_DOUBLED, dtype=np.int64)


def _luhn_rows(digits: np.ndarray) -> np.ndarray:
    """Luhn check of each row of a digit matrix (every second digit from the right doubled)."""
    plain = digits[:, ::-1][:, ::2].sum(axis=1)
    doubled = _DOUBLED_ARRAY[digits[:, ::-1][:, 1::2]].sum(axis=1)
    return np.asarray((plain + doubled) % 10 == 0)


def _is_14_digits(text: str) -> bool:
    return len(text) == 14 and text.isascii() and text.isdigit()


def clean_identifiant(
    type_identifiant: object, identifiant: object, field: str = "titulaire"
) -> tuple[str | None, str | None, tuple[str, ...], bool]:
    """Clean a (typeIdentifiant, id) pair; returns (type, id, flags, siret_valide). Never raises.

    An all-zeros SIRET is a placeholder, not an identity: its id is returned as None so that unrelated
    suppliers are not merged into one (supplier-concentration and new-supplier indicators group by id).
    """
    # Fast path: a well-formed valid SIRET, as in ~97 % of real titulaires.
    if (type(type_identifiant) is str and type_identifiant == "SIRET" and type(identifiant) is str
            and _is_14_digits(identifiant) and identifiant != "00000000000000"
            and _stdnum_valid(identifiant)):
        return "SIRET", identifiant, (), True
    flags: list[str] = []
    ident = _clean_id(identifiant, field, flags)
    kind = _clean_type(type_identifiant, ident, field, flags)
    if kind == "TVA" and ident is not None and _is_14_digits(ident) and _stdnum_valid(ident):
        # A valid 14-digit SIRET typed TVA: AIFE file id 2018om5Wzvjcva00 ("33074169500044"). No EU VAT number
        # is 14 bare digits (French ones are FR + 11 characters), so the type is wrong, not the id.
        kind = "SIRET"
        if f"{field}:type_corrige" not in flags:
            flags.append(f"{field}:type_corrige")
    valid = False
    if kind == "SIRET" and ident is not None:
        valid = _check_siret(ident, field, flags)
        if f"{field}:siret_zeros" in flags:
            # "0000000000000000": marches-publics.info_2019-03-07.json id 2018S4200.
            ident = None
    return kind, ident, tuple(flags), valid


def clean_acheteur_id(value: object) -> Cleaned[str]:
    """Clean a buyer id (SIRET expected). The id is an identity: kept even when invalid, only flagged."""
    if type(value) is str and _is_14_digits(value) and value != "00000000000000" and _stdnum_valid(value):
        return Cleaned(value, ())
    flags: list[str] = []
    ident = _clean_id(value, "acheteur", flags)
    if ident is not None:
        # Luhn failures: 55 AIFE records with acheteur.id 58303852672361 (id 2018123456789100); 8 in
        # marches-publics.info (25600053000015, id 2019ADTO05000).
        _check_siret(ident, "acheteur", flags)
    return Cleaned(ident, tuple(flags))


def siren_of(siret: str) -> str | None:
    """The SIREN (first 9 digits) of a 14-digit SIRET, separators ignored; None otherwise or for all zeros.

    No Luhn check here: pair it with ``siret_valide`` when the SIREN must be trusted."""
    if not isinstance(siret, str):
        return None
    digits = siret if _is_14_digits(siret) else _SEPARATORS.sub("", siret)
    if not _is_14_digits(digits) or digits == "00000000000000":
        return None
    return digits[:9]


def _clean_id(raw: object, field: str, flags: list[str]) -> str | None:
    if raw is None:
        flags.append(f"{field}:id_manquant")
        return None
    if isinstance(raw, bool):
        flags.append(f"{field}:id_illisible")
        return None
    if isinstance(raw, int):
        flags.append(f"{field}:id_numerique")  # leading zeros may be lost: the SIRET checks will say so
        return str(raw)
    if isinstance(raw, float):
        if math.isfinite(raw) and raw.is_integer():
            flags.append(f"{field}:id_numerique")
            return str(int(raw))
        flags.append(f"{field}:id_illisible")
        return None
    if not isinstance(raw, str):
        flags.append(f"{field}:id_illisible")
        return None
    text = raw.strip()
    if not text:
        flags.append(f"{field}:id_manquant")
        return None
    if _DIGITS_AND_SEPARATORS.fullmatch(text):
        # " 44189140500017 " (marches-publics.info id 2018DS180900), "414 550 293  " (id 2018BDLPROV00),
        # "\t32359288100060" (AIFE id 2018pV7tPH4zeJ00): separators around or inside digits.
        text = _SEPARATORS.sub("", text)
    if text != raw:
        flags.append(f"{field}:id_espaces")
    return text


def _clean_type(raw: object, ident: str | None, field: str, flags: list[str]) -> str | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if ident is not None and _is_14_digits(ident):
            # typeIdentifiant "" with a 14-digit id: 69 titulaires of the Ville de Croix file
            # (marches-securises_ville-de-croix_2019-2021.json id 202117F000000000).
            flags.append(f"{field}:type_deduit")
            return "SIRET"
        flags.append(f"{field}:type_manquant")
        return None
    if not isinstance(raw, str):
        flags.append(f"{field}:type_inconnu")
        return None
    text = raw
    if text in VALID_TYPES:
        return text
    canonical = _TYPE_ALIASES.get(_SQUEEZE.sub("", text).upper())
    if canonical is not None:
        # "Siret" / "siret" (Croix file, id 1914joepc0000002 / 20192019-280001), "TVA_INTRACOMMUNAUTAIRE"
        # (AIFE), "HORS_UE" (AIFE id 2010039988110804).
        flags.append(f"{field}:type_corrige")
        return canonical
    flags.append(f"{field}:type_inconnu")
    return text.strip()


def _check_siret(ident: str, field: str, flags: list[str]) -> bool:
    if ident.strip("0") == "":
        flags.append(f"{field}:siret_zeros")
        if len(ident) != 14:
            flags.append(f"{field}:siret_longueur")
        return False
    if not _is_14_digits(ident):
        # 108 titulaires typed SIRET in marches-publics.info are not 14 digits (e.g. "614500585", id
        # 2018T0400); Croix has a 20-digit one ("69300109100091810330", id 20192018-33B0000).
        flags.append(f"{field}:siret_longueur")
        return False
    if not _stdnum_valid(ident):
        # Luhn failure: e.g. "50024529800026" in marches-publics.info id 2018008000.
        flags.append(f"{field}:siret_cle")
        return False
    return True


def is_valid_siret(value: str) -> bool:
    """A SIRET as a person types it (spaces allowed): 14 digits passing the INSEE check (La Poste included)."""
    digits = _SEPARATORS.sub("", value)
    return _is_14_digits(digits) and _stdnum_valid(digits)
