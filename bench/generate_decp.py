#!/usr/bin/env python3
"""Generate a synthetic, national-scale DECP file in the 2022 format (schema v2.0.3).

A thin entry point: the generator is the ``bench/decp_generator`` package (see its docstring for what
the file contains and what is injected on purpose). This script keeps the command line, and the names
that the benchmark and the tests import from it, where they have always been.

Usage::

    python bench/generate_decp.py --records 1500000 --output bench/out/decp.json [--seed 42] [--indent 0|2]
"""

from __future__ import annotations

# Run as a script (or imported with bench/ on sys.path), bench/ is the first entry of sys.path, so the
# package next to this file is found without any path manipulation.
from decp_generator import DecpGenerator, Truth, cpv_check_digit, generate, luhn_valid, main, truth_path

__all__ = ["DecpGenerator", "Truth", "cpv_check_digit", "generate", "luhn_valid", "main", "truth_path"]

if __name__ == "__main__":
    raise SystemExit(main())
