"""`digestbot render --layout rich|compact|sections [--json]`: each call exactly as the push makes
it, grouped per edition; the readable form shows a rich message as an outline of its blocks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.digest.calls import build_calls
from bot.digest.loader import load_all
from bot.standin.rich_html import validate_rich_html

CONTENT = Path(__file__).resolve().parents[1] / "content"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("TELEGRAM_BOT_TOKEN", "CONTENT_DIR", "DIGEST_CHATS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no .env


def _render(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict]:
    assert main(["render", *args, "--json", "--content-dir", str(CONTENT)]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("layout", ["sections", "compact", "rich"])
def test_json_lists_each_call_per_edition(layout: str, capsys: pytest.CaptureFixture[str]) -> None:
    editions = _render(capsys, "2026-11-25", "--layout", layout)
    digests = sorted(
        (d for d in load_all(CONTENT)[0] if d.date.isoformat() == "2026-11-25"),
        key=lambda d: (d.published_at or d.date, d.id),
    )
    assert [e["digest"] for e in editions] == [d.id for d in digests]
    for edition, digest in zip(editions, digests, strict=True):
        assert edition["title"] == digest.title
        assert edition["calls"] == [c.to_json() for c in build_calls(digest, layout)]
        assert [c["disable_notification"] for c in edition["calls"]] == [False] + [True] * (
            len(edition["calls"]) - 1
        )


def test_rich_json_is_the_sendrichmessage_call(capsys: pytest.CaptureFixture[str]) -> None:
    (edition,) = _render(capsys, str(CONTENT / "2026-11-20-ai-daily.md"), "--layout", "rich")
    (call,) = edition["calls"]
    assert set(call) == {"method", "rich_message", "disable_notification"}
    assert call["method"] == "sendRichMessage" and set(call["rich_message"]) == {"html"}
    validate_rich_html(call["rich_message"]["html"])


def test_compact_sends_fewer_messages_than_sections(capsys: pytest.CaptureFixture[str]) -> None:
    sections = _render(capsys, "latest", "--layout", "sections")
    compact = _render(capsys, "latest", "--layout", "compact")
    assert len(compact[0]["calls"]) < len(sections[0]["calls"])


def test_readable_rich_output_is_an_outline(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            [
                "render",
                str(CONTENT / "2026-11-20-ai-daily.md"),
                "--layout",
                "rich",
                "--content-dir",
                str(CONTENT),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "layout rich" in out and "sendRichMessage" in out
    assert "/32768 characters" in out and "/500 blocks" in out
    lines = out.splitlines()
    assert any(line.startswith("photo: https://") for line in lines)
    assert any(line.startswith("heading 1: ") for line in lines)
    assert any(line.startswith("table: ") for line in lines)
    assert any(line.startswith("  • ") for line in lines)  # list items indented under the list
    assert not any(line.startswith("INVALID") for line in lines)


def test_unknown_layout_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", "--layout", "fancy"]) == 2
    assert "--layout" in capsys.readouterr().err
