"""Settings of the deployment features: webhook, health server, error chat."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.config import ChatTarget, ConfigError, Settings
from bot.healthcheck import parse_listen

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "123456:ABCdefGHIjklMNOpqrSTUvwxYZ012345678"
HOOK = {"WEBHOOK_URL": "https://bot.example.com/tg/updates", "WEBHOOK_SECRET": "s3cret-_X"}


def parse(**env: str) -> Settings:
    return Settings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN, **env}, env_file=None)


def test_defaults_are_polling_with_nothing_served() -> None:
    s = parse()
    assert s.webhook_url is None and s.webhook_secret is None
    assert s.health_listen is None and s.error_chat is None
    assert s.health_max_silence == 60


def test_webhook_settings() -> None:
    s = parse(
        **HOOK,
        WEBHOOK_LISTEN="0.0.0.0:8443",
        HEALTH_LISTEN="[::1]:9100",
        ERROR_CHAT_ID="-1001234567890:7",
        HEALTH_MAX_SILENCE="90",
    )
    assert s.webhook_url == HOOK["WEBHOOK_URL"] and s.webhook_path == "/tg/updates"
    assert s.webhook_listen == ("0.0.0.0", 8443) and s.webhook_secret == "s3cret-_X"
    assert s.health_listen == ("::1", 9100) and s.health_max_silence == 90
    assert s.error_chat == ChatTarget(-1001234567890, 7)
    assert parse(**HOOK).webhook_listen == ("127.0.0.1", 8443)  # loopback unless told
    assert parse(WEBHOOK_URL="https://bot.example.com:8443", WEBHOOK_SECRET="x").webhook_path == "/"


@pytest.mark.parametrize(
    ("env", "variable", "words"),
    [
        (
            {"WEBHOOK_URL": "http://bot.example.com/x", "WEBHOOK_SECRET": "s"},
            "WEBHOOK_URL",
            "https://",
        ),
        (
            {"WEBHOOK_URL": "https://bot.example.com:8080/x", "WEBHOOK_SECRET": "s"},
            "WEBHOOK_URL",
            "443, 80, 88, 8443",
        ),
        ({"WEBHOOK_URL": "https://bot.example.com/x"}, "WEBHOOK_SECRET", "is required"),
        ({**HOOK, "WEBHOOK_SECRET": "has space"}, "WEBHOOK_SECRET", "A-Z a-z 0-9 _ -"),
        ({**HOOK, "WEBHOOK_SECRET": "x" * 257}, "WEBHOOK_SECRET", "1-256"),
        ({**HOOK, "WEBHOOK_LISTEN": "8443"}, "WEBHOOK_LISTEN", "host:port"),
        ({"WEBHOOK_SECRET": "s"}, "WEBHOOK_SECRET", "only used with WEBHOOK_URL"),
        ({"WEBHOOK_LISTEN": "127.0.0.1:8443"}, "WEBHOOK_LISTEN", "only used with WEBHOOK_URL"),
        ({"HEALTH_LISTEN": "localhost:99999"}, "HEALTH_LISTEN", "host:port"),
        ({"HEALTH_MAX_SILENCE": "0"}, "HEALTH_MAX_SILENCE", "at least 1"),
        ({"ERROR_CHAT_ID": "ops"}, "ERROR_CHAT_ID", "is not a chat"),
    ],
)
def test_a_bad_deployment_value_names_its_variable(
    env: dict[str, str], variable: str, words: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        parse(**env)
    assert caught.value.variable == variable
    assert str(caught.value).startswith(f"{variable}: ") and words in str(caught.value)


def test_env_example_documents_every_deployment_variable() -> None:
    lines = (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
    for name in (
        "WEBHOOK_URL",
        "WEBHOOK_LISTEN",
        "WEBHOOK_SECRET",
        "HEALTH_LISTEN",
        "HEALTH_MAX_SILENCE",
        "ERROR_CHAT_ID",
    ):
        index = next(i for i, line in enumerate(lines) if line.lstrip("# ").startswith(name + "="))
        assert lines[index - 1].startswith("#"), f"{name} has no comment above it"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert all(
        f"| `{name}` |" in readme for name in ("WEBHOOK_URL", "HEALTH_LISTEN", "ERROR_CHAT_ID")
    )


_HOSTS = st.one_of(
    st.ip_addresses(v=4).map(str),
    st.ip_addresses(v=6).map(str),
    st.from_regex(r"[a-z][a-z0-9-]{0,20}(\.[a-z][a-z0-9-]{0,20}){0,3}", fullmatch=True),
)


@given(_HOSTS, st.integers(0, 65535))
def test_listen_addresses_round_trip(host: str, port: int) -> None:
    written = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    assert parse_listen(written) == (host, port)
    too_big = f"[{host}]:{port + 65536}" if ":" in host else f"{host}:{port + 65536}"
    assert parse_listen(too_big) is None


@given(st.text(max_size=30))
def test_anything_else_is_refused_or_a_real_address(raw: str) -> None:
    address = parse_listen(raw)
    if address is not None:
        host, port = address
        assert 0 <= port <= 65535 and host and raw.strip().endswith(f":{port}")
