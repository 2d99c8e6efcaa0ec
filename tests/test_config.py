"""Settings: file plus environment, environment wins."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import BUNDLED_KNOWLEDGE, ConfigError, load_settings


def test_defaults_without_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no ./lotse.toml here
    settings = load_settings({})
    assert settings.knowledge == BUNDLED_KNOWLEDGE
    assert settings.db == Path("lotse.db")


def test_file_then_environment(tmp_path: Path) -> None:
    config = tmp_path / "lotse.toml"
    config.write_text('db = "from-file.db"\nknowledge = "k"\n', encoding="utf-8")
    settings = load_settings({"LOTSE_CONFIG": str(config)})
    assert settings.db == Path("from-file.db") and settings.knowledge == Path("k")
    settings = load_settings({"LOTSE_CONFIG": str(config), "LOTSE_DB": "env.db"})
    assert settings.db == Path("env.db")


def test_unknown_key_and_missing_file_are_errors(tmp_path: Path) -> None:
    config = tmp_path / "lotse.toml"
    config.write_text('dbb = "typo.db"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="dbb"):
        load_settings({"LOTSE_CONFIG": str(config)})
    with pytest.raises(ConfigError, match="no such settings file"):
        load_settings({"LOTSE_CONFIG": str(tmp_path / "missing.toml")})


def test_telegram_settings_from_file_and_environment(tmp_path: Path) -> None:
    config = tmp_path / "lotse.toml"
    config.write_text(
        '[telegram]\nbase_url = "http://127.0.0.1:8081/bot"\nwebhook_port = 9000\n',
        encoding="utf-8",
    )
    settings = load_settings({"LOTSE_CONFIG": str(config)})
    assert settings.telegram.token is None
    assert settings.telegram.base_url == "http://127.0.0.1:8081/bot"
    assert settings.telegram.base_file_url == "http://127.0.0.1:8081/file/bot"
    settings = load_settings(
        {
            "LOTSE_CONFIG": str(config),
            "TELEGRAM_BOT_TOKEN": "123:abc-DEF_g",
            "LOTSE_TELEGRAM_BASE_URL": "https://botapi.example/bot",
            "LOTSE_TELEGRAM_WEBHOOK_URL": "https://lotse.example/tg/hook",
            "LOTSE_TELEGRAM_WEBHOOK_PORT": "8443",
        }
    )
    telegram = settings.telegram
    assert telegram.token is not None and telegram.token.get_secret_value() == "123:abc-DEF_g"
    assert "abc" not in repr(settings)  # a secret never shows in a repr or a log line
    assert telegram.base_url == "https://botapi.example/bot"
    assert (telegram.webhook_port, telegram.webhook_path) == (8443, "tg/hook")


def test_defaults_talk_to_telegram(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    telegram = load_settings({}).telegram
    assert telegram.base_url == "https://api.telegram.org/bot"
    assert telegram.base_file_url == "https://api.telegram.org/file/bot"
    assert telegram.webhook_url is None and telegram.webhook_listen == "127.0.0.1"


@pytest.mark.parametrize(
    ("file_text", "environ", "message"),
    [
        ('[telegram]\ntoken = "1:x"\n', {}, "TELEGRAM_BOT_TOKEN"),
        ('[telegram]\nwebhook_secret = "x"\n', {}, "TELEGRAM_WEBHOOK_SECRET"),
        ("", {"TELEGRAM_BOT_TOKEN": "not a token"}, "telegram.token"),
        ("", {"LOTSE_TELEGRAM_BASE_URL": "api.telegram.org"}, "telegram.base_url"),
        ("", {"LOTSE_TELEGRAM_WEBHOOK_URL": "http://x.example/"}, "https"),
        ("", {"TELEGRAM_WEBHOOK_SECRET": "with spaces"}, "telegram.webhook_secret"),
        ("", {"LOTSE_TELEGRAM_WEBHOOK_PORT": "99999"}, "telegram.webhook_port"),
    ],
)
def test_telegram_settings_that_cannot_work(
    tmp_path: Path, file_text: str, environ: dict[str, str], message: str
) -> None:
    config = tmp_path / "lotse.toml"
    config.write_text(file_text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as error:
        load_settings({"LOTSE_CONFIG": str(config), **environ})
    assert "not a token" not in str(error.value)


def test_the_example_file_names_every_setting() -> None:
    """lotse.example.toml is where a KI learns its settings: each key appears there, with
    its table, commented out or set."""
    from bot.config import Settings

    text = (Path(__file__).resolve().parent.parent / "lotse.example.toml").read_text()
    missing = []
    for name, field in Settings.model_fields.items():
        sub = field.annotation
        if isinstance(sub, type) and hasattr(sub, "model_fields"):
            if f"[{name}]" not in text:
                missing.append(f"[{name}]")
            missing += [f"{name}.{key}" for key in sub.model_fields if f"{key} =" not in text]
        elif f"{name} =" not in text:
            missing.append(name)
    # secrets come only from the environment; the file names their variables instead
    missing = [m for m in missing if m not in ("telegram.token", "telegram.webhook_secret")]
    assert missing == []
