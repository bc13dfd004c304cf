"""What the audit log records of a change: only the fields that moved."""

from spaser.audit import changes


def test_changes_keeps_only_what_moved() -> None:
    assert changes({"a": 1, "b": 2, "c": 3}, {"a": 1, "b": 5, "d": 4}) == (
        {"b": 2, "d": None, "c": 3}, {"b": 5, "d": 4, "c": None})
