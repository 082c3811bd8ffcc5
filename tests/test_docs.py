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


def test_the_readme_web_settings_load_as_shown(tmp_path):
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Put it on the web", 1)[1].split("\n## ", 1)[0]
    (block,) = section.split("```toml\n")[1:]
    config = tmp_path / "papertrend.toml"
    config.write_text(block.split("```", 1)[0])
    settings = Settings.load(env={}, config=config)
    assert settings.web_base_url == "https://papers.example.org" and settings.web_trusted_proxy == "127.0.0.1"
    assert (settings.web_host, settings.web_port) == ("127.0.0.1", 8000)


def test_a_web_base_url_is_https_or_plain_http_on_this_machine_only():
    import pytest

    from flows.settings import SettingsInvalid

    assert Settings.load(env={}, web_base_url="http://127.0.0.1:8000").web_base_url == "http://127.0.0.1:8000"
    for bad in ("http://papers.example.org", "ftp://x", "https://x.org/?q=1", "javascript:alert(1)"):
        with pytest.raises(SettingsInvalid, match="web_base_url"):
            Settings.load(env={}, web_base_url=bad)
    with pytest.raises(SettingsInvalid, match="web_trusted_proxy"):
        Settings.load(env={}, web_trusted_proxy="proxy.local")
