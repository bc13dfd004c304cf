"""CPV codes: a generated pool of codes with their check digit, category and frequency.

Codes are not copied from the CPV nomenclature: divisions are real, finer codes are generated under
each of them with a Zipf-like frequency, and ~55 % carry their check digit (``45000000-7``) as real
producers do. The category of a code drives the ``objet`` text and the CCAG of the records, so the
pool is built once per file and shared by every record.
"""

from __future__ import annotations

import numpy as np

CPV_DIVISIONS: dict[str, tuple[float, int]] = {
    # division: (weight, category)  categories: 0 works, 1 engineering, 2 IT, 3 intellectual,
    # 4 supplies, 5 industrial, 6 services
    "45": (24.0, 0),
    "71": (8.0, 1),
    "79": (5.0, 3),
    "90": (5.0, 6),
    "50": (6.0, 6),
    "72": (4.0, 2),
    "48": (2.0, 2),
    "30": (2.0, 2),
    "33": (5.0, 4),
    "34": (3.0, 5),
    "09": (2.0, 4),
    "15": (4.0, 4),
    "55": (2.0, 6),
    "60": (2.0, 6),
    "66": (2.0, 3),
    "77": (3.0, 6),
    "80": (2.0, 3),
    "85": (1.5, 3),
    "98": (1.0, 6),
    "39": (2.0, 4),
    "44": (2.0, 4),
    "42": (1.0, 5),
    "31": (1.0, 5),
    "32": (1.0, 2),
    "22": (1.0, 4),
    "18": (1.0, 4),
    "03": (0.5, 4),
    "24": (0.5, 4),
    "35": (0.7, 5),
    "37": (0.5, 4),
    "38": (0.7, 5),
    "43": (0.5, 5),
    "51": (0.5, 6),
    "63": (0.3, 6),
    "64": (0.7, 2),
    "65": (0.8, 6),
    "70": (0.4, 3),
    "73": (0.5, 3),
    "75": (0.3, 3),
    "76": (0.1, 6),
    "92": (0.8, 3),
    "14": (0.3, 4),
    "16": (0.2, 5),
    "19": (0.2, 4),
    "41": (0.2, 4),
}
CPV_WEIGHTS = (3, 7, 1, 3, 7, 1, 3, 7)


def cpv_check_digit(code8: str) -> int:
    """Check digit of an 8-digit CPV code (weights 3-7-1, modulo 10)."""
    return sum((ord(c) - 48) * w for c, w in zip(code8, CPV_WEIGHTS, strict=True)) % 10


def make_cpv_pool(rng: np.random.Generator) -> tuple[list[str], list[int], np.ndarray]:
    """A pool of generated CPV codes, their category and the cdf of their frequencies."""
    codes: list[str] = []
    cats: list[int] = []
    weights: list[float] = []
    seen: set[str] = set()
    for div, (w, cat) in CPV_DIVISIONS.items():
        n_codes = max(8, int(w * 25))
        # the division code itself is used often, finer codes share the rest (Zipf-like)
        entries: list[str] = [div + "000000"]
        while len(entries) < n_codes:
            depth = int(rng.choice([1, 2, 3, 4, 5], p=[0.15, 0.35, 0.3, 0.15, 0.05]))
            tail = "".join(str(int(rng.integers(1, 10))) for _ in range(depth)).ljust(6, "0")
            code = div + tail
            if code not in seen:
                seen.add(code)
                entries.append(code)
        local = 1.0 / np.arange(1, len(entries) + 1) ** 0.9
        local = local / local.sum() * w
        for code, lw in zip(entries, local.tolist(), strict=True):
            # ~55 % of producers publish the check digit
            with_key = rng.random() < 0.55
            codes.append(f"{code}-{cpv_check_digit(code)}" if with_key else code)
            cats.append(cat)
            weights.append(lw)
    cdf = np.cumsum(np.asarray(weights) / sum(weights))
    return codes, cats, cdf
