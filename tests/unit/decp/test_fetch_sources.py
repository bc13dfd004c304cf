"""The versioned DECP source file: the packaged one parses, bad entries are named, selection by year and name."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from spaser.decp.fetch_sources import SOURCES_FILE, Resource, load_sources, select
from spaser.errors import InputError

STABLE_URL = re.compile(r"https://www\.data\.gouv\.fr/fr/datasets/r/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-"
                        r"[0-9a-f]{12}\Z")


def test_packaged_source_file_parses_and_every_entry_has_the_required_keys() -> None:
    raw = tomllib.loads(SOURCES_FILE.read_text(encoding="utf-8"))
    assert {"version", "updated", "resource"} <= set(raw)
    for entry in raw["resource"]:
        assert {"name", "url", "format", "description", "verified"} <= set(entry), entry
        assert ("year" in entry) != ("years" in entry), entry
    sources = load_sources()
    assert sources.version and sources.updated
    names = [r.name for r in sources.resources]
    assert len(names) == len(set(names)) and {"decp-2019", "decp-2024", "decp-2025"} <= set(names)
    for resource in sources.resources:
        assert STABLE_URL.match(resource.url), resource.url
        assert resource.format in ("json", "xml") and resource.description
        assert 2018 <= resource.first_year <= resource.last_year
    # The default selection never downloads the same records twice through the overlapping "global" file.
    assert "decp-global" not in [r.name for r in select(sources.resources)]


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text('version = "1"\nupdated = 2026-11-22\n' + body, encoding="utf-8")
    return path


ENTRY = 'name = "a"\nurl = "http://127.0.0.1/a.json"\nformat = "json"\ndescription = "A"\n'


@pytest.mark.parametrize(("extra", "message"), [
    ("", "give either year = YYYY or years = [FIRST, LAST]"),
    ("year = 2024\nyears = [2024]\n", "give either year"),
    ("years = [2025, 2024]\n", "wrong order"),
    ("year = 24\n", "between 1990 and 2100"),
    ("year = 2024\nsha256 = \"abc\"\n", "is not 64 hexadecimal digits"),
    ("year = 2024\nsize = -1\n", "is not a number of bytes"),
    ("year = 2024\ncompression = \"bz2\"\n", "the compression 'bz2'"),
    ("year = 2024\nmirror = \"x\"\n", "unknown key(s) mirror"),
    ("year = 2024\ndefault = \"yes\"\n", "default must be true or false"),
])
def test_a_bad_entry_is_named_with_the_reason(tmp_path: Path, extra: str, message: str) -> None:
    path = write(tmp_path, "[[resource]]\n" + ENTRY + extra)
    with pytest.raises(InputError, match=re.escape(message)) as caught:
        load_sources(path)
    assert f"{path}: resource #1 (a)" in caught.value.message


@pytest.mark.parametrize(("body", "message"), [
    ("", "no [[resource]] entry"),
    ("[[resource]]\n" + ENTRY.replace("http://", "ftp://") + "year = 2024\n", "is not an http(s) URL"),
    ("[[resource]]\n" + ENTRY.replace('"a"', '"../a"', 1) + "year = 2024\n", "letters, digits"),
    ("[[resource]]\n" + ENTRY + "year = 2024\n[[resource]]\n" + ENTRY + "year = 2025\n", "is used twice"),
    ("[[resource]]\n" + ENTRY.replace('format = "json"', 'format = "csv"') + "year = 2024\n", "format 'csv'"),
    ("[[resource\n", "not a valid TOML source file"),
])
def test_bad_source_files(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(InputError, match=re.escape(message)):
        load_sources(write(tmp_path, body))


def test_missing_source_file_and_header(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read the source file"):
        load_sources(tmp_path / "absent.toml")
    path = tmp_path / "no-version.toml"
    path.write_text('updated = "x"\n[[resource]]\n' + ENTRY + "year = 2024\n", encoding="utf-8")
    with pytest.raises(InputError, match="'version' is missing"):
        load_sources(path)


def resource(name: str, first: int, last: int, default: bool = True) -> Resource:
    return Resource(name, f"http://127.0.0.1/{name}", "json", first, last, name, default=default)


def test_select_by_year_name_and_default() -> None:
    resources = [resource("old", 2018, 2023), resource("y2024", 2024, 2024), resource("y2025", 2025, 2025),
                 resource("global", 2019, 2026, default=False)]
    assert [r.name for r in select(resources)] == ["old", "y2024", "y2025"]
    assert [r.name for r in select(resources, since=2024)] == ["y2024", "y2025"]
    assert [r.name for r in select(resources, since=2023)] == ["old", "y2024", "y2025"]  # old covers 2023
    assert [r.name for r in select(resources, only=["global", "old"])] == ["old", "global"]
    assert [r.name for r in select(resources, since=2024, only=["global", "old"])] == ["global"]
    assert select(resources, since=2030) == []
    with pytest.raises(InputError, match=re.escape("unknown resource(s) nope; the source file lists old, y2024")):
        select(resources, only=["nope"])


def test_file_name_follows_format_and_compression() -> None:
    assert resource("decp-2024", 2024, 2024).filename == "decp-2024.json"
    gz = Resource("x", "http://h/x", "xml", 2019, 2019, "x", compression="gz")
    assert gz.filename == "x.xml.gz" and gz.years == "2019"
