"""The docs: the privacy inventory classifies every text and JSON column."""

from __future__ import annotations

import re

from tests.docs import ROOT

# --- the personal-data inventory ---------------------------------------------------------------

INVENTORY_CELL = re.compile(r"`([a-z0-9_]*)\.([a-z0-9_*]+)`")


def inventoried_columns() -> set[tuple[str, str]]:
    """(table, column) pairs the inventory table of docs/privacy.md classifies: `table.column`,
    `.column` continuing the table named before it in the same cell, or `table.*`."""
    text = (ROOT / "docs" / "privacy.md").read_text()
    section = text[text.index("## Inventory") :]
    section = section[: section.index("\n## ", 3)]
    found: set[tuple[str, str]] = set()
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        table = ""
        for named, column in INVENTORY_CELL.findall(line.split("|")[1]):
            table = named or table
            found.add((table, column))
    return found


def test_the_privacy_inventory_classifies_every_text_and_json_column() -> None:
    import sqlalchemy as sa

    import service.tables  # noqa: F401  (registers every table)
    from service.db.base import Base

    listed = inventoried_columns()
    missing = []
    for table in Base.metadata.tables.values():
        for column in table.columns:
            textual = (
                isinstance(column.type, sa.String | sa.Text | sa.JSON | sa.ARRAY)
                or "JSON" in type(column.type).__name__
            )
            if "declared" in column.info:
                continue  # its declaration says whether it is personal (`service.db.fields`)
            if textual and (table.name, column.name) not in listed and (table.name, "*") not in listed:
                missing.append(f"{table.name}.{column.name}")
    assert not missing, f"docs/privacy.md's inventory does not say whether these hold personal data: {missing}"
    assert ("applicants", "*") in listed and ("events", "payload") in listed  # the parser reads the table
