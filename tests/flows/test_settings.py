from pathlib import Path

import pytest

from flows.settings import Settings, SettingsInvalid


def test_file_then_environment_then_overrides(tmp_path):
    config = tmp_path / "papertrend.toml"
    config.write_text('timezone = "Europe/Berlin"\nrefresh_days = 3\n[hf]\nmode = "page"\napi_interval = 2.5\n')
    settings = Settings.load(env={"PAPERTREND_REFRESH_DAYS": "5"}, config=config, data_dir="/srv/pt")
    assert (settings.timezone, settings.refresh_days, settings.hf_mode, settings.hf_api_interval) == (
        "Europe/Berlin",
        5,
        "page",
        2.5,
    )
    assert settings.warehouse_path == Path("/srv/pt/warehouse.duckdb")


def test_every_problem_is_reported_at_once():
    with pytest.raises(SettingsInvalid) as caught:
        Settings.load(env={"PAPERTREND_REFRESH_DAYS": "seven", "PAPERTREND_HF_FALLBACK": "maybe"})
    assert "refresh_days='seven'" in str(caught.value) and "hf_fallback='maybe'" in str(caught.value)


def test_an_unknown_key_in_the_file_is_an_error_not_silence(tmp_path):
    config = tmp_path / "papertrend.toml"
    config.write_text("[hf]\nbase_ulr = 'x'\n")
    with pytest.raises(SettingsInvalid, match="unknown setting 'hf_base_ulr'"):
        Settings.load(env={}, config=config)


def test_the_user_agent_carries_the_contact():
    policy = Settings.load(env={"PAPERTREND_CONTACT": "mailto:team@example.org"}).fetch_policy("page")
    assert policy.user_agent.endswith("; mailto:team@example.org)") and policy.min_interval == 3.0


def test_arxiv_settings_are_guarded():
    with pytest.raises(SettingsInvalid) as caught:
        Settings.load(env={"PAPERTREND_ARXIV_CATEGORIES": "['cs.LG']", "PAPERTREND_ARXIV_INTERVAL": "1"})
    assert "arxiv_categories" in str(caught.value) and "breaks arXiv's terms" in str(caught.value)
    local = Settings.load(
        env={
            "PAPERTREND_ARXIV_INTERVAL": "0",
            "PAPERTREND_ARXIV_BASE_URL": "http://127.0.0.1:9",
            "PAPERTREND_ARXIV_API_URL": "http://127.0.0.1:9",
        }
    )
    assert local.arxiv_interval == 0 and local.categories == ["cs.LG", "cs.CL", "cs.CV", "cs.AI"]


@pytest.mark.parametrize("content", [b"[hf\nmode = ", b"\x89PNG\r\n\x1a\n\x00\x00binary"], ids=["malformed", "binary"])
def test_a_config_file_that_is_not_toml_is_a_settings_error_naming_it(tmp_path, content):
    config = tmp_path / "papertrend.toml"
    config.write_bytes(content)
    with pytest.raises(SettingsInvalid, match="is not a readable TOML file"):
        Settings.load(env={}, config=config)


def test_a_config_named_by_the_environment_must_exist_and_be_a_file(tmp_path):
    with pytest.raises(SettingsInvalid, match="does not exist"):
        Settings.load(env={"PAPERTREND_CONFIG": str(tmp_path / "missing.toml")})
    with pytest.raises(SettingsInvalid, match="is a directory"):
        Settings.load(env={"PAPERTREND_CONFIG": str(tmp_path)})
    assert Settings.load(env={}).data_dir == Path("data")  # the default file may be absent


def test_every_problem_is_listed_at_once_from_file_and_environment(tmp_path):
    config = tmp_path / "papertrend.toml"
    config.write_text('hf_mode = "rss"\ncolour = "blue"\n[fetch]\nattempts = "many"\n')
    env = {
        "PAPERTREND_FETCH_MAX_BYTES": "-5",
        "PAPERTREND_HF_BASE_URL": "ftp://example.org",
        "PAPERTREND_ARXIV_CATEGORIES": " , ",
        "PAPERTREND_TIMEZON": "UTC",
        "PAPERTREND_BATCH_DAYS": "x",
    }
    with pytest.raises(SettingsInvalid) as caught:
        Settings.load(env=env, config=config)
    message = str(caught.value)
    for part in (
        "hf_mode",
        "'colour'",
        "fetch_attempts",
        "fetch_max_bytes must be more than 0 and at most 1000000000, not -5",
        "hf_base_url",
        "arxiv_categories is empty",
        "unknown variable PAPERTREND_TIMEZON",
        "batch_days='x'",
    ):
        assert part in message, part
