"""Translations: catalogs complete and compiled, language choice, dates and plurals."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import i18n
from bot.i18n import (
    ENGLISH,
    SIMPLIFIED,
    _,
    format_date,
    language_for_code,
    ngettext,
    use_language,
)
from bot.i18n_check import HOW_TO, problems, unwrapped_literals

ROOT = Path(__file__).resolve().parents[1]


def test_every_marked_string_is_in_both_catalogs_translated_and_compiled() -> None:
    found = problems()
    assert not found, (
        f"{len(found)} translation problem(s):\n  " + "\n  ".join(found) + f"\nTo fix: {HOW_TO}."
    )


def test_handlers_hand_no_unwrapped_text_to_telegram() -> None:
    # handlers, and the bot modules that write to people (views, admin notices)
    paths = sorted((ROOT / "handlers").glob("*.py")) + [
        ROOT / "bot" / name
        for name in (
            "reader/views.py",
            "reader_text.py",
            "admin_views.py",
            "schedule_text.py",
            "delivery/notify.py",
            "delivery/push.py",
            "delivery/jobs.py",
        )
    ]
    found = unwrapped_literals(paths)
    assert not found, (
        f"{len(found)} user-facing literal(s) not wrapped in _():\n  "
        + "\n  ".join(found)
        + "\nWrap each in _() (from bot.i18n import _), then: "
        + HOW_TO
        + "."
    )


def test_the_literal_scan_finds_what_it_should(tmp_path: Path) -> None:
    source = tmp_path / "h.py"
    source.write_text(
        "async def f(update, m, q):\n"
        "    await m.reply_text('Hello there')\n"  # found
        "    await show(update, f'<b>Sorry</b> {x}')\n"  # found
        "    await m.reply_text(_('Hello there'))\n"  # wrapped: fine
        "    await show(update, f'<b>{_(\"Tags\")}</b> 1/2')\n"  # only markup around
        "    await q.answer()\n"
        "    InlineKeyboardButton('« 2/3', callback_data='x')\n"  # no words
        "    InlineKeyboardButton(text='Open it')\n",  # found
        encoding="utf-8",
    )
    found = unwrapped_literals([source])
    assert [line.split(": ", 1)[0].rsplit(":", 1)[1] for line in found] == ["2", "3", "8"]


@pytest.mark.parametrize(
    ("code", "language"),
    [
        ("zh", SIMPLIFIED),
        ("zh-hans", SIMPLIFIED),
        ("zh-CN", SIMPLIFIED),
        ("zh-sg", SIMPLIFIED),
        ("zh_Hans", SIMPLIFIED),
        # no Traditional catalog: Chinese readers still get Chinese
        ("zh-hant", SIMPLIFIED),
        ("zh-TW", SIMPLIFIED),
        ("zh-hk", SIMPLIFIED),
        ("en", ENGLISH),
        ("en-US", ENGLISH),
        ("de", ENGLISH),
        ("ja", ENGLISH),
        ("", ENGLISH),
        (None, ENGLISH),
        ("zhx", ENGLISH),
    ],
)
def test_language_for_a_telegram_language_code(code: str | None, language: str) -> None:
    assert language_for_code(code) == language


def test_traditional_catalog_is_used_when_it_exists(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        i18n, "available_languages", lambda: (ENGLISH, SIMPLIFIED, i18n.TRADITIONAL)
    )
    assert language_for_code("zh-TW") == i18n.TRADITIONAL
    assert language_for_code("zh-CN") == SIMPLIFIED


@given(st.text(max_size=12))
def test_every_code_gets_a_language_with_a_catalog(code: str) -> None:
    assert language_for_code(code) in i18n.available_languages()


def test_dates_read_naturally() -> None:
    day = dt.date(2026, 1, 25)
    assert format_date(day, SIMPLIFIED) == "2026年1月25日"
    assert format_date(day, ENGLISH) == "January 25, 2026"
    with use_language(SIMPLIFIED):
        assert format_date(day) == "2026年1月25日"


def test_english_plurals_and_chinese_translations() -> None:
    catalog = i18n.translations(SIMPLIFIED)
    assert catalog is not i18n.translations(ENGLISH)
    with use_language(ENGLISH):
        one = ngettext("{n} digest", "{n} digests", 1).format(n=1)
        many = ngettext("{n} digest", "{n} digests", 3).format(n=3)
        assert (one, many) == ("1 digest", "3 digests")
        assert _("private chat") == "private chat"
    with use_language(SIMPLIFIED):
        assert _("private chat") != "private chat"
        assert ngettext("{n} digest", "{n} digests", 3).format(n=3) == "3 期"


def test_the_package_ships_the_compiled_catalogs() -> None:
    import fnmatch
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["bot"]
    compiled = sorted(
        p.relative_to(ROOT / "bot").as_posix()
        for p in (ROOT / "bot" / "locale").glob("*/LC_MESSAGES/*.mo")
    )
    assert compiled == [
        "locale/en/LC_MESSAGES/digestbot.mo",
        "locale/zh_Hans/LC_MESSAGES/digestbot.mo",
    ]
    assert all(any(fnmatch.fnmatch(path, p) for p in patterns) for path in compiled)
    assert any(dep.lower().startswith("babel") for dep in config["project"]["dependencies"])
