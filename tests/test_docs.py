"""The README's settings table and the example config stay true to flows/settings.py."""

from dataclasses import fields
from pathlib import Path

from flows.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def test_every_setting_is_in_the_readme_table():
    readme = (ROOT / "README.md").read_text()
    missing = [f.name for f in fields(Settings) if f"`PAPERTREND_{f.name.upper()}`" not in readme]
    assert missing == []


def test_every_numeric_setting_states_its_bounds_in_the_readme_table():
    from flows.setting_bounds import BOUNDS

    rows = {
        line.split("|")[2].strip(" `"): line
        for line in (ROOT / "README.md").read_text().splitlines()
        if "| `PAPERTREND_" in line
    }
    unstated = [name for name, bound in BOUNDS.items() if bound.describe() not in rows[f"PAPERTREND_{name.upper()}"]]
    assert unstated == []


def test_the_example_config_loads():
    settings = Settings.load(env={}, config=ROOT / "papertrend.toml.example")
    assert settings.contact.startswith("mailto:")


def test_the_schema_reference_names_every_table():
    schema = (ROOT / "docs" / "schema.md").read_text()
    sql = "\n".join(p.read_text() for p in sorted((ROOT / "warehouse" / "migrations").glob("*.sql")))
    # A table created only to be renamed (a migration rebuilding one) goes by its final name.
    renamed = {line.split()[2] for line in sql.splitlines() if line.startswith("ALTER TABLE") and " RENAME TO " in line}
    tables = [
        line.split()[2]
        for line in sql.splitlines()
        if line.startswith(("CREATE TABLE", "CREATE VIEW")) and line.split()[2] not in renamed
    ]
    assert [t for t in tables if f"`{t}`" not in schema] == []
