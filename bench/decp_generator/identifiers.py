"""Identifiers of buyers, suppliers and contracts: SIRET (Luhn keys), TVA numbers, contract numbers.

Ingestion validates and normalises identifiers, so the synthetic ones must be *valid* (correct Luhn
keys, plausible SIREN prefixes per kind of organisation, French VAT keys) and the defect injection must
be able to break them in controlled ways. ``luhn_valid`` is public (re-exported by
``bench/generate_decp.py``) because the tests check the generated identifiers with it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def luhn_key(body: str) -> int:
    """The digit that makes ``body + digit`` pass the Luhn check."""
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = ord(ch) - 48
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return (10 - total % 10) % 10


def luhn_valid(number: str) -> bool:
    return number.isdigit() and luhn_key(number[:-1]) == ord(number[-1]) - 48


def _luhn_keys(digits: np.ndarray) -> np.ndarray:
    """Vectorised ``luhn_key`` over the rows of an (n, L) digit matrix."""
    length = digits.shape[1]
    doubled = np.zeros(length, dtype=bool)
    doubled[length - 1 :: -2] = True  # rightmost body digit is doubled
    d = digits.astype(np.int64)
    d[:, doubled] *= 2
    d[d > 9] -= 9
    keys: np.ndarray = (10 - d.sum(axis=1) % 10) % 10
    return keys


def _digits_to_str(digits: np.ndarray) -> list[str]:
    chars = (digits.astype(np.uint8) + 48).tobytes()
    width = digits.shape[1]
    return [chars[i : i + width].decode() for i in range(0, len(chars), width)]


def make_sirets(
    rng: np.random.Generator, prefixes: Sequence[str], weights: Sequence[float], n: int, nic_max: int
) -> list[str]:
    """``n`` distinct SIRETs: SIREN (prefix + random digits + Luhn key) + NIC (4 digits + SIRET key)."""
    out: list[str] = []
    seen: set[str] = set()
    cdf = np.cumsum(np.asarray(weights, dtype=np.float64) / sum(weights))
    while len(out) < n:
        m = (n - len(out)) + 64
        pidx = np.minimum(np.searchsorted(cdf, rng.random(m), side="right"), len(prefixes) - 1)
        digits = rng.integers(0, 10, size=(m, 13), dtype=np.int64)
        for i, p in enumerate(pidx.tolist()):
            pre = prefixes[p]
            for j, ch in enumerate(pre):
                digits[i, j] = ord(ch) - 48
        siren_key = _luhn_keys(digits[:, :8])
        # NIC: mostly head offices / first establishments (0001..0009), a long tail up to nic_max.
        small = rng.random(m) < 0.7
        nic = np.where(small, rng.integers(1, 10, size=m), rng.integers(1, nic_max + 1, size=m))
        nic_digits = np.stack([(nic // 1000) % 10, (nic // 100) % 10, (nic // 10) % 10, nic % 10], axis=1)
        body = np.concatenate([digits[:, :8], siren_key[:, None], nic_digits], axis=1)
        siret_key = _luhn_keys(body)
        full = np.concatenate([body, siret_key[:, None]], axis=1)
        for s in _digits_to_str(full):
            if s not in seen and len(out) < n:
                seen.add(s)
                out.append(s)
    return out


BUYER_PREFIXES = [
    "21",
    "20",
    "24",
    "25",
    "26",
    "22",
    "23",
    "13",
    "11",
    "17",
    "18",
    "19",
    "27",
    "28",
    "3",
    "4",
    "5",
    "7",
    "8",
]
BUYER_PREFIX_W = [45, 12, 5, 8, 8, 2, 0.5, 3, 2, 2, 2, 2, 1, 1, 1.5, 1.5, 1.5, 1, 1]
SUPPLIER_PREFIXES = ["3", "4", "5", "7", "8", "9", "1", "2"]
SUPPLIER_PREFIX_W = [28, 25, 14, 10, 12, 9, 1, 1]


def fr_vat(siren: str) -> str:
    key = (12 + 3 * (int(siren) % 97)) % 97
    return f"FR{key:02d}{siren}"


def foreign_vat(rng: np.random.Generator) -> str:
    kind = int(rng.integers(0, 6))
    n = int(rng.integers(10**8, 10**9))
    if kind == 0:
        return f"BE0{n}"
    if kind == 1:
        return f"DE{n}"
    if kind == 2:
        return f"IT{n:09d}{int(rng.integers(10, 100))}"
    if kind == 3:
        return f"ES{'ABCDEFGHJ'[n % 9]}{n % 10**7:07d}{'ABCDEFGHJK'[n % 10]}"
    if kind == 4:
        return f"LU{n % 10**8:08d}"
    return f"NL{n}B01"


def hors_ue_id(rng: np.random.Generator) -> str:
    kind = int(rng.integers(0, 4))
    n = int(rng.integers(10**8, 10**9))
    if kind == 0:
        s = f"{n:09d}"
        return f"CHE-{s[:3]}.{s[3:6]}.{s[6:]}"
    if kind == 1:
        return f"GB{n}"
    if kind == 2:
        return f"US{n % 10**7 + 20 * 10**7}"
    return f"NO{n}MVA"


def digits14(s: str) -> str:
    """The first 14 digits of ``s`` (right-padded with zeros): a SIRET-shaped string from any identifier."""
    digits = "".join(c for c in s if c.isdigit())
    return (digits + "00000000000000")[:14]


def break_luhn(siret: str) -> str:
    """``siret`` with its last digit shifted, so that its Luhn key no longer checks."""
    last = (int(siret[-1]) + 3) % 10
    return siret[:-1] + str(last)


class ContractIds:
    """Contract numbers (``id``) per buyer: one counter per (buyer, year), in the buyer's own format.

    Marchés and concessions of a buyer share the counters, as a buyer's numbering does in real files.
    """

    def __init__(self, formats: list[int]) -> None:
        self.formats = formats
        self.counters: dict[tuple[int, int], int] = {}

    def next(self, buyer: int, year: int) -> str:
        key = (buyer, year)
        c = self.counters.get(key, 0) + 1
        self.counters[key] = c
        y2 = year % 100
        fmt = self.formats[buyer]
        if fmt == 0:
            return f"{year}{c:04d}"
        if fmt == 1:
            return f"{y2:02d}M{c:04d}"
        if fmt == 2:
            return f"{year}-{c:03d}"
        if fmt == 3:
            return f"{year}_{c:05d}"
        if fmt == 4:
            return f"MP{y2:02d}{c:04d}"
        if fmt == 5:
            return f"{year}{c:06d}"
        if fmt == 6:
            return f"{y2:02d}AOO{c:03d}"
        return f"{year}-{c:04d}-00"
