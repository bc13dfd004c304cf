"""``spaser fetch ...``: download published DECP resources, then ingest them."""

from __future__ import annotations

import typer

fetch_app = typer.Typer(help="Download DECP resources listed in the versioned source file, then ingest them.",
                        no_args_is_help=True)
