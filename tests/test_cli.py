"""`digestbot` command line: render / check outputs and exit codes, config errors, --version."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from bot import __version__
from bot.cli import main
from bot.digest.tghtml import html_to_plain, utf16_len

PROJECT = Path(__file__).resolve().parents[1]

MORNING = """---
title: Morning edition
date: 2026-11-25 08:00
category: Test Daily
tags: [alpha, beta]
coverImage: "https://example.com/am.png"
summary: "- one\\n- two"
---
# Morning edition

## First section

### [Item one](https://example.com/1)
- Detail **bold** text.
"""

EVENING = """---
title: Evening edition
date: 2026-11-25 19:30
tags: gamma
---
# Evening edition

## Late section

### [Item two](https://example.com/2)
- Detail.
"""

OLDER = """---
title: Older
date: 2026-11-20
---
# Older

## Only section

Text with a [link](https://example.com/3).
"""


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A clean environment: no .env, no bot settings; returns a content folder with 3 digests."""
    for name in (
        "TELEGRAM_BOT_TOKEN",
        "CONTENT_DIR",
        "LOG_LEVEL",
        "TIMEZONE",
        "PUSH_SCHEDULE",
        "DIGEST_CHATS",
        "ADMIN_IDS",
        "TELEGRAM_API_BASE_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    content = tmp_path / "content"
    content.mkdir()
    (content / "2026-11-25-morning.md").write_text(MORNING, encoding="utf-8")
    (content / "2026-11-25-evening.md").write_text(EVENING, encoding="utf-8")
    (content / "2026-11-20.md").write_text(OLDER, encoding="utf-8")
    return content


def _json(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    """The calls of every edition, in order (the JSON groups them per edition)."""
    out = capsys.readouterr().out
    data = json.loads(out)
    assert isinstance(data, list)
    assert all(set(edition) == {"digest", "title", "calls"} for edition in data)
    return [call for edition in data for call in edition["calls"]]


# ---------------------------------------------------------------------------- render


def test_render_latest_json_shape(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", "--json", "--content-dir", str(env)]) == 0
    data = _json(capsys)
    assert data and all(m["parse_mode"] == "HTML" for m in data)
    for message in data:
        if message["method"] == "sendPhoto":
            assert set(message) == {
                "method",
                "photo",
                "caption",
                "parse_mode",
                "disable_notification",
            }
        else:
            assert message["method"] == "sendMessage"
            assert set(message) == {
                "method",
                "text",
                "parse_mode",
                "disable_notification",
                "link_preview_options",
            }
            assert message["link_preview_options"] == {"is_disabled": True}
    # only the first message of a push makes a sound
    assert [m["disable_notification"] for m in data] == [False] + [True] * (len(data) - 1)
    body = "".join(m.get("text", "") + m.get("caption", "") for m in data)
    assert "Evening edition" in body and "Morning edition" not in body  # latest only
    assert "https://example.com/2" in body


def test_render_date_gives_every_edition_in_send_order(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["render", "2026-11-25", "--json", "--content-dir", str(env)]) == 0
    data = _json(capsys)
    texts = [m.get("text") or m.get("caption") or "" for m in data]
    morning = next(i for i, t in enumerate(texts) if "Morning edition" in t)
    evening = next(i for i, t in enumerate(texts) if "Evening edition" in t)
    assert morning < evening
    assert data[0]["method"] == "sendPhoto" and data[0]["photo"] == "https://example.com/am.png"
    # compact date form names the same messages
    assert main(["render", "20261125", "--json", "--content-dir", str(env)]) == 0
    assert _json(capsys) == data


def test_render_file_path_outside_content_dir(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    elsewhere = tmp_path / "elsewhere" / "draft.md"
    elsewhere.parent.mkdir()
    elsewhere.write_text(OLDER.replace("Older", "Draft"), encoding="utf-8")
    assert main(["render", str(elsewhere), "--json"]) == 0
    data = _json(capsys)
    assert any("Draft" in (m.get("text") or "") for m in data)
    assert not any("Older" in (m.get("text") or "") for m in data)


def test_render_text_output(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", "2026-11-25", "--content-dir", str(env)]) == 0
    out = capsys.readouterr().out
    assert out.count("=== 20261125-") == 2  # one id line per edition ...
    assert 0 < out.index("=== Morning edition") < out.index("=== Evening edition")  # ... in order
    assert "--- [1/" in out and "sendPhoto" in out and "sendMessage" in out
    assert "UTF-16" in out and "section: First section" in out and "section: Late section" in out
    assert "photo: https://example.com/am.png" in out
    assert '<a href="https://example.com/1">' in out


def test_render_uses_content_dir_setting(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    moved = env.parent / "elsewhere-content"
    env.rename(moved)
    monkeypatch.setenv("CONTENT_DIR", str(moved))
    assert main(["render", "2026-11-20", "--json"]) == 0
    assert "Older" in json.dumps(_json(capsys), ensure_ascii=False)


@pytest.mark.parametrize("spec", ["2026-02-30", "2026-13-01", "20261341"])
def test_render_impossible_date_is_usage_error(
    env: Path, capsys: pytest.CaptureFixture[str], spec: str
) -> None:
    assert main(["render", spec, "--content-dir", str(env)]) == 2
    err = capsys.readouterr().err
    assert spec in err and "FILE|DATE" in err and "Traceback" not in err


def test_render_no_such_file(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", "missing/nope.md", "--content-dir", str(env)]) == 2
    err = capsys.readouterr().err
    assert "missing/nope.md" in err and "no such file" in err


def test_render_date_without_digest(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", "2026-11-21", "--content-dir", str(env)]) == 1
    err = capsys.readouterr().err
    assert "no digest for 2026-11-21" in err and "2026-11-25" in err


def test_render_bad_file(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = env / "issue-3.md"
    bad.write_text("# no date here\n", encoding="utf-8")
    assert main(["render", str(bad)]) == 1
    err = capsys.readouterr().err
    assert str(bad) in err and "no usable date" in err


def test_render_missing_content_dir(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", "latest", "--content-dir", str(env / "nope")]) == 2
    assert "does not exist" in capsys.readouterr().err


# ---------------------------------------------------------------------------- check


def test_check_all_fine(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(env)]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out == [out[-1]]  # only the count line
    assert out[-1].startswith("checked 3 file(s): 3 digest(s)")
    assert out[-1].endswith("0 error(s), 0 warning(s)")


def test_check_reports_each_bad_file(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (env / "issue-7.md").write_text("# undated\n", encoding="utf-8")
    (env / "sub").mkdir()
    (env / "sub" / "2026-01-01.md").write_bytes(b"---\ntitle: [oops\n---\nx\n")
    assert main(["check", str(env)]) == 1
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3
    assert lines[0].startswith(str(env / "issue-7.md") + ": no usable date")
    assert lines[1].startswith(str(env / "sub" / "2026-01-01.md") + ": front matter is not valid")
    assert lines[2].startswith("checked 5 file(s): 3 digest(s) ")
    assert lines[2].endswith(", 2 error(s), 0 warning(s)")


def test_check_default_dir_from_env_without_token(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # default CONTENT_DIR is ./content (cwd is tmp_path); no TELEGRAM_BOT_TOKEN needed
    assert main(["check"]) == 0
    assert "3 digest(s)" in capsys.readouterr().out
    empty = env.parent / "empty"
    empty.mkdir()
    monkeypatch.setenv("CONTENT_DIR", str(empty))
    assert main(["check"]) == 1
    assert "no digest files" in capsys.readouterr().out


def test_check_missing_dir(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(env / "absent")]) == 2
    err = capsys.readouterr().err
    assert "FILE|DIR" in err and "absent" in err


def test_shipped_content_checks_clean_and_splits_the_long_section(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(PROJECT)
    monkeypatch.delenv("CONTENT_DIR", raising=False)
    content = PROJECT / "content"
    assert main(["check", str(content)]) == 0
    assert "0 error(s)" in capsys.readouterr().out
    # two editions on the newest date; one section longer than a Telegram message
    assert main(["render", "latest", "--json", "--content-dir", str(content)]) == 0
    data = _json(capsys)
    assert all(
        utf16_len(html_to_plain(m.get("text") or m.get("caption") or "")) <= 4096 for m in data
    )
    assert sum(utf16_len(html_to_plain(m.get("text", ""))) for m in data) > 4096
    assert main(["render", "2026-11-25", "--json", "--content-dir", str(content)]) == 0
    assert sum(m["method"] == "sendPhoto" for m in _json(capsys)) == 2


# ---------------------------------------------------------------------------- config, usage


def test_config_error_is_one_line_exit_2(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LOG_LEVEL", "LOUD")
    assert main(["check"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: LOG_LEVEL:") and err.count("\n") == 1 and "Traceback" not in err


def test_config_error_from_env_file(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (env.parent / ".env").write_text("TIMEZONE=Mars/Olympus\n", encoding="utf-8")
    assert main(["render", "latest"]) == 2
    assert capsys.readouterr().err.startswith("error: TIMEZONE:")


@pytest.mark.parametrize("command", [["run"], ["post"], ["post", "2026-11-25", "--chat", "-1001"]])
def test_bot_commands_need_a_token(
    env: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    assert main(command) == 2
    assert capsys.readouterr().err.startswith("error: TELEGRAM_BOT_TOKEN:")


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"digestbot {__version__}"


def test_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert main(["frobnicate"]) == 2
    assert main(["render", "--bogus"]) == 2
    assert "usage: digestbot" in capsys.readouterr().err


def test_python_dash_m_entry_point(env: Path) -> None:
    import subprocess
    import sys

    shutil.copy(env / "2026-11-20.md", env.parent / "x.md")
    result = subprocess.run(
        [sys.executable, "-m", "bot", "render", str(env.parent / "x.md"), "--json"],
        capture_output=True,
        text=True,
        cwd=PROJECT,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)[0]["calls"][0]["method"] in {"sendMessage", "sendPhoto"}


# ---------------------------------------------------------------------------- check's own rules


def test_message_problems_limits() -> None:
    from bot.digest.lint import message_problems
    from bot.digest.model import OutgoingMessage

    assert message_problems(OutgoingMessage("sendMessage", "x" * 4096)) == []
    assert message_problems(OutgoingMessage("sendMessage", "&amp;" * 4096)) == []  # 1 unit each
    assert message_problems(OutgoingMessage("sendMessage", "x" * 4097)) == [
        "text is 4097 UTF-16 units (limit 4096)"
    ]
    assert message_problems(OutgoingMessage("sendMessage", "😀" * 2049))  # 4098 UTF-16 units
    assert message_problems(OutgoingMessage("sendPhoto", "x" * 1024, photo="https://e/x.png")) == []
    assert message_problems(OutgoingMessage("sendPhoto", "x" * 1025, photo="https://e/x.png")) == [
        "caption is 1025 UTF-16 units (limit 1024)"
    ]
    assert message_problems(OutgoingMessage("sendMessage", "<b>x</b>" * 100)) == []
    assert message_problems(OutgoingMessage("sendMessage", "<b>x</b>" * 101)) == [
        "101 entities (limit 100)"
    ]
    assert message_problems(OutgoingMessage("sendMessage", "<b></b>")) == ["empty text"]


def test_check_names_the_file_a_renderer_fails_on(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import bot.digest.split as split

    real = split.build_messages

    def flaky(digest, *args, **kwargs):  # type: ignore[no-untyped-def]
        if digest.title == "Older":
            raise RuntimeError("boom")
        return real(digest, *args, **kwargs)

    monkeypatch.setattr(split, "build_messages", flaky)
    assert main(["check", str(env)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"{env / '2026-11-20.md'}: cannot render (RuntimeError: boom)"
    assert lines[-1].endswith("1 error(s), 0 warning(s)")
