"""Settings: environment + .env, defaults, and one clear line (exit 2) for a bad value."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.config import DEFAULT_API_BASE_URL, ChatTarget, ConfigError, Settings

TOKEN = "123456:ABCdefGHIjklMNOpqrSTUvwxYZ012345678"
ROOT = Path(__file__).resolve().parents[1]


def parse(**env: str) -> Settings:
    return Settings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN, **env}, env_file=None)


def test_defaults() -> None:
    s = parse()
    assert s.token == TOKEN
    assert s.api_base_url == DEFAULT_API_BASE_URL == "https://api.telegram.org/bot"
    assert s.content_dir == Path("content")
    assert s.database_path == Path("data/digestbot.sqlite3")
    assert s.admin_ids == frozenset() and s.digest_chats == ()
    assert s.timezone == ZoneInfo("UTC") and s.log_level == "INFO"


def test_every_variable_is_read() -> None:
    s = parse(
        TELEGRAM_API_BASE_URL="http://127.0.0.1:8081/bot",
        CONTENT_DIR="/srv/digests",
        DATABASE_PATH="/var/lib/d.sqlite3",
        ADMIN_IDS="1, 22,333",
        DIGEST_CHATS="-1001234567890,@channelname,-1001234567890:42",
        PUSH_SCHEDULE="30 7 * * 1-5",
        TIMEZONE="Asia/Shanghai",
        LOG_LEVEL="debug",
        RESCAN_SECONDS="5",
    )
    assert s.api_base_url == "http://127.0.0.1:8081/bot"
    assert s.content_dir == Path("/srv/digests")
    assert s.database_path == Path("/var/lib/d.sqlite3")
    assert s.admin_ids == {1, 22, 333}
    assert s.digest_chats == (
        ChatTarget(-1001234567890),
        ChatTarget("@channelname"),
        ChatTarget(-1001234567890, 42),
    )
    assert s.push_schedule == "30 7 * * 1-5"
    assert s.timezone == ZoneInfo("Asia/Shanghai")
    assert s.log_level == "DEBUG" and s.rescan_seconds == 5


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("TELEGRAM_BOT_TOKEN", "not-a-token"),
        ("TELEGRAM_API_BASE_URL", "ftp://example.com"),
        ("ADMIN_IDS", "12,abc"),
        ("DIGEST_CHATS", "-100123,channel-without-at"),
        ("PUSH_SCHEDULE", "every morning"),
        ("TIMEZONE", "Mars/Olympus"),
        ("LOG_LEVEL", "LOUD"),
        ("RESCAN_SECONDS", "-1"),
    ],
)
def test_a_malformed_value_names_its_variable(variable: str, value: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse(**{variable: value})
    assert info.value.variable == variable
    assert str(info.value).startswith(f"{variable}: ")
    assert "\n" not in str(info.value)


def test_missing_token_only_matters_when_required() -> None:
    with pytest.raises(ConfigError, match=r"^TELEGRAM_BOT_TOKEN: is required"):
        Settings.from_env({}, env_file=None)
    assert Settings.from_env({}, env_file=None, require_token=False).token is None


def test_dotenv_file_is_read_and_the_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        f"TELEGRAM_BOT_TOKEN={TOKEN}\n# comment\nTIMEZONE=Europe/Berlin\nCONTENT_DIR=from-dotenv\n",
        encoding="utf-8",
    )
    s = Settings.from_env({"CONTENT_DIR": "from-env"}, env_file=env_file)
    assert s.token == TOKEN and s.timezone == ZoneInfo("Europe/Berlin")
    assert s.content_dir == Path("from-env")


def test_env_example_documents_every_variable() -> None:
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    for name in (
        "TELEGRAM_BOT_TOKEN",
        "TELEGRAM_API_BASE_URL",
        "CONTENT_DIR",
        "DATABASE_PATH",
        "ADMIN_IDS",
        "DIGEST_CHATS",
        "PUSH_SCHEDULE",
        "TIMEZONE",
        "LOG_LEVEL",
        "BOT_LANGUAGE",
    ):
        lines = text.splitlines()
        index = next(i for i, line in enumerate(lines) if line.lstrip("# ").startswith(name + "="))
        assert lines[index - 1].startswith("#"), f"{name} has no comment above it"


def test_env_example_shows_a_chinese_publishers_values_commented() -> None:
    lines = (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
    assert "# TIMEZONE=Asia/Shanghai" in lines and "# BOT_LANGUAGE=zh" in lines
    # and those commented values are valid settings
    s = Settings.from_env(
        {"TELEGRAM_BOT_TOKEN": TOKEN, "TIMEZONE": "Asia/Shanghai", "BOT_LANGUAGE": "zh"},
        env_file=None,
    )
    assert s.bot_language == "zh_Hans" and s.timezone == ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("raw", "language"),
    [
        ("en", "en"),
        ("EN", "en"),
        ("zh", "zh_Hans"),
        ("zh-CN", "zh_Hans"),
        ("zh_Hans", "zh_Hans"),
        ("zh-TW", "zh_Hans"),  # no Traditional catalog: Simplified
    ],
)
def test_bot_language(raw: str, language: str) -> None:
    s = Settings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN, "BOT_LANGUAGE": raw}, env_file=None)
    assert s.bot_language == language


def test_bad_bot_language_names_the_variable() -> None:
    with pytest.raises(ConfigError, match=r"^BOT_LANGUAGE: 'klingon' is not a language"):
        Settings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN, "BOT_LANGUAGE": "klingon"}, env_file=None)


def test_quick_start_can_run_twice(tmp_path: Path) -> None:
    """Every README step that copies .env.example to .env (going live, Docker) runs twice without
    failing when .env exists (`cp -n` exits 1 then on newer coreutils) and never overwrites it."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    steps = [m.strip() for m in re.findall(r"`([^`\n]*cp [^`\n]*\.env\.example[^`\n]*)`", readme)]
    steps += [
        line.split("#")[0].strip()
        for line in readme.splitlines()
        if "cp " in line and ".env.example" in line and "`" not in line
    ]
    assert len(steps) >= 2  # going live and Docker
    (tmp_path / ".env.example").write_text("TELEGRAM_BOT_TOKEN=\n", encoding="utf-8")
    for step in steps:
        assert "cp -n" not in step
        (tmp_path / ".env").unlink(missing_ok=True)
        for _ in range(2):
            done = subprocess.run(["sh", "-c", step], cwd=tmp_path, capture_output=True, text=True)
            assert done.returncode == 0, (step, done.stderr)
            (tmp_path / ".env").write_text("TELEGRAM_BOT_TOKEN=mine\n", encoding="utf-8")
        assert (tmp_path / ".env").read_text(encoding="utf-8") == "TELEGRAM_BOT_TOKEN=mine\n"


@given(
    st.one_of(st.integers(-(10**13), -1), st.integers(1, 10**13)), st.none() | st.integers(1, 10**6)
)
def test_chat_targets_round_trip(chat: int, thread: int | None) -> None:
    target = ChatTarget(chat, thread)
    assert ChatTarget.parse(str(target)) == target


def _run_cli(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "DIGEST_", "ADMIN_", "TIMEZONE", "LOG_LEVEL"))
    }
    base["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({}, "TELEGRAM_BOT_TOKEN"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "TIMEZONE": "Nowhere/Land"}, "TIMEZONE"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "DIGEST_CHATS": "foo"}, "DIGEST_CHATS"),
    ],
)
def test_run_stops_with_one_line_and_exit_2(
    tmp_path: Path, env: dict[str, str], variable: str
) -> None:
    done = _run_cli(tmp_path, env, "run")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and variable in lines[0], done.stderr
    assert "Traceback" not in done.stderr


def test_run_reads_the_dotenv_of_the_working_directory(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        f"TELEGRAM_BOT_TOKEN={TOKEN}\nLOG_LEVEL=chatty\n", encoding="utf-8"
    )
    done = _run_cli(tmp_path, {}, "run")
    assert done.returncode == 2 and done.stderr.strip().startswith("error: LOG_LEVEL:")
