"""Cleaning of free-text fields (objet, noms, ids as text) and of object keys.

Why: texts are shown on every page and searched, and real files carry BOMs, control characters that break XML
output, Windows-1252 bytes read as Latin-1 (C1 controls such as ``\\x9c`` for "œ"), irrecoverable U+FFFD
replacement characters, pandas ``NaN`` and keys with stray spaces (``"nom "``) (``../shared/docs/domain.md``
§1 pitfalls 1 and 9). What can be repaired exactly is repaired and flagged; U+FFFD cannot be (the original
letter is lost), so the text is kept and flagged ``encodage``.

Flags (``"<field>:<defect>"``): ``manquant`` (only when ``required``), ``nan`` (value None), ``illisible``
(list/dict, value None), ``cp1252`` (C1 controls mapped back to their Windows-1252 letters), ``controle``
(BOM/control characters removed), ``encodage`` (U+FFFD present), ``tronque`` (cut to ``max_length``).
"""

from __future__ import annotations

import math
import re

from spaser.domain.cleaned import Cleaned
from spaser.errors import InputError

# C1 controls (U+0080–U+009F) that are printable in Windows-1252: text decoded as Latin-1 instead of cp1252.
_CP1252 = {
    code: bytes([code]).decode("cp1252")
    for code in range(0x80, 0xA0)
    if code not in (0x81, 0x8D, 0x8F, 0x90, 0x9D)  # undefined in cp1252: removed as controls
}
_C1 = re.compile("[\u0080-\u009f]")
# Control characters except \t and \n, DEL, remaining C1 controls, BOM / zero-width no-break space.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\u009f\ufeff]")


def clean_text(
    value: object, field: str, max_length: int | None = None, required: bool = False
) -> Cleaned[str]:
    """Clean a text value; ``required`` adds ``<field>:manquant`` when nothing is left. Never raises."""
    # Fast path: printable text without surrounding spaces (isprintable() is False for \n, \t, controls, BOM
    # and non-ASCII spaces, which all need the slow path).
    if (type(value) is str and value.isprintable() and value and value[0] != " " and value[-1] != " "
            and "\ufffd" not in value and (max_length is None or len(value) <= max_length)):
        return Cleaned(value, ())
    if value is None:
        return Cleaned(None, (f"{field}:manquant",) if required else ())
    if isinstance(value, float) and math.isnan(value):
        # NaN in JSON: semi-synthetic decp-processing_decp_test_2022.json id 202401L04 ("concessionnaires":
        # NaN).
        return Cleaned(None, (f"{field}:nan",))
    if isinstance(value, (list, dict, set, tuple, bytes, bytearray)):
        return Cleaned(None, (f"{field}:illisible",))
    text = value if isinstance(value, str) else str(value)  # ints/floats used as ids ("id": 20190100)
    flags: list[str] = []
    if "\r" in text:
        text = text.replace("\r\n", "\n")  # Windows line ends are not a defect
    if _C1.search(text):
        # "C\x8cUR ET COTEAUX" → "CŒUR ET COTEAUX", "v\x9cux" → "vœux", "l\x92Ardèche" → "l’Ardèche": AIFE
        # file data.gouv.fr_aife_2019-04-04.json ids 2018n_KyjhmZyf00, 2018rYmEuEWNA200, 2019kPI1cQn5pl00.
        repaired = text.translate(_CP1252)
        if repaired != text:
            text = repaired
            flags.append(f"{field}:cp1252")
    if _CONTROL.search(text):
        # BOM and control characters (XML 1.0 forbids most of them): domain.md §1.9.
        text = _CONTROL.sub("", text)
        flags.append(f"{field}:controle")
    text = text.strip()
    if not text:
        return Cleaned(None, (*flags, f"{field}:manquant") if required else tuple(flags))
    if "\ufffd" in text:
        # "Soci�t� de livraison des ouvrages olympiques": AIFE file id 2018COs68fWklM00 (10 746 U+FFFD).
        flags.append(f"{field}:encodage")
    if max_length is not None and len(text) > max_length:
        text = text[:max_length].rstrip()
        flags.append(f"{field}:tronque")
    return Cleaned(text, tuple(flags))


def plain_texts(values: list[str]) -> bool:
    """True when every string takes :func:`clean_text`'s fast path (no ``max_length``), so is clean and kept
    as is: a handful of C-level passes over the joined column instead of one call per value."""
    if not values:
        return True
    if not all(values):
        return False
    whole = "".join(values)
    if not whole.isprintable() or "\ufffd" in whole:
        return False
    spaced = "\x00".join(values)  # NUL is not printable, so it cannot come from the values checked above
    return not (spaced[0] == " " or spaced[-1] == " " or "\x00 " in spaced or " \x00" in spaced)


def clean_key(key: str) -> str:
    """A key without surrounding spaces or BOM: ``"nom "`` (Croix file, every lieuExecution) → ``"nom"``."""
    stripped = key.strip()
    if stripped.startswith("\ufeff"):  # first CSV header / JSON key of a file saved with a BOM
        stripped = stripped.lstrip("\ufeff").strip()
    return stripped


#: Control characters (PostgreSQL refuses NUL), lone surrogates (not storable in UTF-8) and the non-characters
#: U+FFFE/U+FFFF (refused by DOCX and ODT writers).
_USER_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def storable(value: str) -> str:
    """Typed text without what no database or office file can hold, for values that are not free text
    (search words, lists of ids): free text goes through :func:`user_text`, which does the same and more."""
    return _USER_CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


def user_text(value: str, field: str, maximum: int, required: bool = True) -> str:
    """Text a person typed in a form: trimmed, Windows line ends and control characters removed (PostgreSQL
    refuses NUL), at most ``maximum`` characters; unlike :func:`clean_text` (published data, never raises) a bad
    value is an error naming the field, because the person can fix it."""
    text = storable(value).strip()
    if not text and required:
        raise InputError(f"{field}: write the text (it is empty)")
    if len(text) > maximum:
        raise InputError(f"{field}: {len(text)} characters, the limit is {maximum}")
    return text
