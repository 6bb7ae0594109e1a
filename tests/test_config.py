"""Configuration: defaults → instance/config.py → OUTREACH_* environment, typed, and the secret key."""
from __future__ import annotations

import dataclasses
import stat
from pathlib import Path

import pytest

from outreach import create_app
from outreach.config import Settings, load_settings, secret_key_for


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """Whatever the machine running the tests has set must not leak into these tests."""
    for field in dataclasses.fields(Settings):
        monkeypatch.delenv(f"OUTREACH_{field.name}", raising=False)


def write_instance_config(folder: Path, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.py").write_text(text, encoding="utf-8")


def test_defaults(tmp_path):
    settings = load_settings({"INSTANCE_PATH": str(tmp_path)}, environ={})
    assert settings.PAGE_SIZE == 20
    assert settings.STALE_AFTER_DAYS == 180
    assert settings.LOCALES == ("en", "es", "zh_Hans", "zh_Hant", "vi", "tl", "ko", "ru", "ht", "fr", "ar", "fa")
    assert settings.MAX_CONTENT_LENGTH == 1024 * 1024
    assert settings.SECURE_COOKIES is False
    assert settings.SECRET_KEY == ""  # never a fixed default
    assert settings.database_url == f"sqlite:///{tmp_path / 'outreach.sqlite3'}"
    assert settings.search_index_dir == str(tmp_path / "search-index")


def test_instance_file_overrides_defaults(tmp_path):
    write_instance_config(tmp_path, "PAGE_SIZE = 5\nCRISIS_NUMBER = '211'\nNOT_A_SETTING = 1\n")
    settings = load_settings({"INSTANCE_PATH": str(tmp_path)}, environ={})
    assert settings.PAGE_SIZE == 5
    assert settings.CRISIS_NUMBER == "211"
    assert settings.STALE_AFTER_DAYS == 180
    assert not hasattr(settings, "NOT_A_SETTING")


def test_environment_overrides_instance_file(tmp_path, monkeypatch):
    write_instance_config(tmp_path, "PAGE_SIZE = 5\nCRISIS_NUMBER = '211'\n")
    monkeypatch.setenv("OUTREACH_PAGE_SIZE", "7")
    settings = load_settings({"INSTANCE_PATH": str(tmp_path)})
    assert settings.PAGE_SIZE == 7
    assert isinstance(settings.PAGE_SIZE, int)
    assert settings.CRISIS_NUMBER == "211"


def test_environment_chooses_the_instance_folder(tmp_path, monkeypatch):
    write_instance_config(tmp_path, "STALE_AFTER_DAYS = 90\n")
    monkeypatch.setenv("OUTREACH_INSTANCE_PATH", str(tmp_path))
    settings = load_settings()
    assert settings.INSTANCE_PATH == str(tmp_path)
    assert settings.STALE_AFTER_DAYS == 90


def test_factory_overrides_win_over_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("OUTREACH_PAGE_SIZE", "7")
    settings = load_settings({"INSTANCE_PATH": str(tmp_path), "PAGE_SIZE": 3})
    assert settings.PAGE_SIZE == 3


def test_the_app_uses_the_layered_settings(tmp_path, monkeypatch):
    write_instance_config(tmp_path, "PAGE_SIZE = 5\nSTALE_AFTER_DAYS = 30\n")
    monkeypatch.setenv("OUTREACH_STALE_AFTER_DAYS", "60")
    monkeypatch.setenv("OUTREACH_SECURE_COOKIES", "true")
    monkeypatch.setenv("OUTREACH_MAX_CONTENT_LENGTH", "2048")
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["PAGE_SIZE"] == 5
    assert app.config["STALE_AFTER_DAYS"] == 60
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["MAX_CONTENT_LENGTH"] == 2048
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'outreach.sqlite3'}"
    assert app.instance_path == str(tmp_path)


def test_unknown_override_keys_reach_flask_config(tmp_path):
    app = create_app({"INSTANCE_PATH": str(tmp_path), "WTF_CSRF_ENABLED": False})
    assert app.config["WTF_CSRF_ENABLED"] is False


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1", True), ("true", True), ("Yes", True), ("on", True), ("0", False), ("false", False), ("NO", False),
     ("off", False), ("", False)],
)
def test_booleans_from_the_environment(tmp_path, raw, expected):
    settings = load_settings({"INSTANCE_PATH": str(tmp_path)}, environ={"OUTREACH_SECURE_COOKIES": raw})
    assert settings.SECURE_COOKIES is expected


def test_locales_from_the_environment(tmp_path):
    settings = load_settings({"INSTANCE_PATH": str(tmp_path)}, environ={"OUTREACH_LOCALES": "en, es"})
    assert settings.LOCALES == ("en", "es")


@pytest.mark.parametrize(
    ("name", "raw", "words"),
    [
        ("PAGE_SIZE", "twenty", "whole number"),
        ("PAGE_SIZE", "2.5", "whole number"),
        ("MAX_CONTENT_LENGTH", "1MB", "whole number"),
        ("SECURE_COOKIES", "maybe", "true or false"),
        ("TESTING", "2", "true or false"),
    ],
)
def test_bad_values_fail_with_a_clear_message(tmp_path, monkeypatch, name, raw, words):
    monkeypatch.setenv(f"OUTREACH_{name}", raw)
    with pytest.raises(ValueError) as error:
        create_app({"INSTANCE_PATH": str(tmp_path)})
    message = str(error.value)
    assert f"OUTREACH_{name}" in message
    assert words in message
    assert repr(raw) in message


def test_bad_value_in_instance_file_fails_clearly(tmp_path):
    write_instance_config(tmp_path, "PAGE_SIZE = 'lots'\n")
    with pytest.raises(ValueError, match="PAGE_SIZE must be a whole number"):
        load_settings({"INSTANCE_PATH": str(tmp_path)}, environ={})


def test_empty_locales_are_refused(tmp_path):
    with pytest.raises(ValueError, match="at least one locale"):
        load_settings({"INSTANCE_PATH": str(tmp_path)}, environ={"OUTREACH_LOCALES": " , "})


def test_unknown_locale_is_refused_at_start_up(tmp_path, monkeypatch):
    monkeypatch.setenv("OUTREACH_LOCALES", "en,xx-nonsense")
    with pytest.raises(ValueError, match="xx-nonsense"):
        create_app({"INSTANCE_PATH": str(tmp_path)})


def test_settings_are_frozen(tmp_path):
    settings = load_settings({"INSTANCE_PATH": str(tmp_path)}, environ={})
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.PAGE_SIZE = 3  # type: ignore[misc]


# -- the secret key -----------------------------------------------------------------------------


def test_secret_key_is_generated_into_the_instance_folder(tmp_path):
    folder = tmp_path / "instance"
    app = create_app({"INSTANCE_PATH": str(folder)})
    key_file = folder / "secret_key"
    assert key_file.is_file()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = key_file.read_text().strip()
    assert app.config["SECRET_KEY"] == key == app.secret_key
    assert len(key) >= 32


def test_secret_key_is_reused_on_the_second_run(tmp_path):
    folder = tmp_path / "instance"
    first = create_app({"INSTANCE_PATH": str(folder)}).secret_key
    written = (folder / "secret_key").stat().st_mtime_ns
    second = create_app({"INSTANCE_PATH": str(folder)}).secret_key
    assert first == second
    assert (folder / "secret_key").stat().st_mtime_ns == written


def test_each_instance_gets_its_own_secret_key(tmp_path):
    one = create_app({"INSTANCE_PATH": str(tmp_path / "one")}).secret_key
    two = create_app({"INSTANCE_PATH": str(tmp_path / "two")}).secret_key
    assert one and two and one != two


def test_empty_key_file_is_replaced(tmp_path):
    (tmp_path / "secret_key").write_text("\n")
    key = secret_key_for(load_settings({"INSTANCE_PATH": str(tmp_path)}, environ={}))
    assert len(key) >= 32
    assert (tmp_path / "secret_key").read_text().strip() == key


def test_configured_secret_key_is_used_and_nothing_written(tmp_path, monkeypatch):
    monkeypatch.setenv("OUTREACH_SECRET_KEY", "from-the-environment-0123456789")
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.secret_key == "from-the-environment-0123456789"
    assert not (tmp_path / "secret_key").exists()

