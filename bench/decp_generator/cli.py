"""Command line of the generator (``python bench/generate_decp.py --records N --output PATH ...``).

Kept apart from the generation itself so that the generator can be driven from Python
(``decp_generator.generate``) and the script in ``bench/`` stays a thin entry point with the same
options, messages and exit codes as before.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from .settings import DEFAULT_INDENT, DEFAULT_RECORDS, DEFAULT_SEED
from .writer import generate

DESCRIPTION = "Generate a synthetic, national-scale DECP file in the 2022 format (schema v2.0.3)."


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the options, write the file and its sidecar, print a one-line JSON summary on stdout."""
    parser = argparse.ArgumentParser(description=DESCRIPTION)
    parser.add_argument("--records", type=int, default=DEFAULT_RECORDS, help="total number of records")
    parser.add_argument("--output", type=Path, required=True, help="output JSON file")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument(
        "--indent",
        type=int,
        default=DEFAULT_INDENT,
        help="0: compact, one record per line (default: ~1.09 KB/record, 1.5 M ~ 1.63 GB); "
        "N>0: pretty-printed with N spaces (indent 2: ~1.79 KB/record)",
    )
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    if args.records < 1:
        parser.error("--records must be >= 1")

    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.perf_counter()
        if not args.quiet and (now - last[0] > 2.0 or done == total):
            last[0] = now
            print(f"\r  {done:>10,} / {total:,} records", end="", file=sys.stderr, flush=True)

    truth = generate(args.output, args.records, args.seed, args.indent, progress)
    if not args.quiet:
        print(file=sys.stderr)
    print(
        json.dumps(
            {
                k: truth[k]
                for k in (
                    "records",
                    "bytes",
                    "generation_seconds",
                    "duplicates",
                    "unidentifiable",
                    "non_object",
                    "defective",
                )
            }
        )
    )
    return 0
