"""Translations: gettext catalogs (Babel) in English and Simplified Chinese.

Every text the bot writes to people goes through `_` (or `ngettext` for counts). The language
of the text being written is a context variable, set once per update (handlers.instrument) or
around a push, so deep helpers need no language argument:

    from bot.i18n import _, ngettext
    _("Search for what?")
    ngettext("%(n)d digest", "%(n)d digests", n) % {"n": n}

Strings defined at import time (menus) are marked with `N_` and translated where they are shown.

Catalogs live in bot/locale/<lang>/LC_MESSAGES/digestbot.po, compiled .mo next to them (committed:
a fresh install needs no build step). After adding or changing strings:

    python -m bot.i18n_tools update     # extract (babel.cfg) -> .pot -> update both .po files
    # translate the new entries in bot/locale/zh_Hans/LC_MESSAGES/digestbot.po
    python -m bot.i18n_tools compile    # .po -> .mo
    python -m bot.i18n_tools check      # what tests/test_i18n.py checks
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.support import NullTranslations, Translations

DOMAIN = "digestbot"
LOCALE_DIR = Path(__file__).parent / "locale"
ROOT = Path(__file__).resolve().parent.parent  # the source checkout (babel.cfg lives there)
ENGLISH = "en"
SIMPLIFIED = "zh_Hans"
TRADITIONAL = "zh_Hant"  # used only if someone adds that catalog
DEFAULT_LANGUAGE = ENGLISH
# Telegram's setMyCommands takes a two-letter ISO 639-1 code ('' = everyone else)
MENU_LANGUAGE_CODES = {ENGLISH: "", SIMPLIFIED: "zh"}

_current: ContextVar[str] = ContextVar("digestbot_language", default=DEFAULT_LANGUAGE)


@cache
def available_languages() -> tuple[str, ...]:
    """English (the source language) plus every language with a compiled catalog."""
    found = {p.parent.parent.name for p in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.mo")}
    return (ENGLISH, *sorted(found - {ENGLISH}))


@cache
def translations(language: str) -> NullTranslations:
    if language not in available_languages():
        return NullTranslations()
    return Translations.load(str(LOCALE_DIR), [language], DOMAIN)


def language_for_code(code: str | None) -> str:
    """A Telegram `language_code` (IETF tag: `zh-hans`, `zh-TW`, `en`) -> catalog language.

    Any Chinese -> Simplified Chinese, except Traditional variants when a Traditional catalog
    exists; everything else (and nothing) -> English."""
    tag = (code or "").strip().replace("_", "-").lower()
    if tag != "zh" and not tag.startswith("zh-"):
        return ENGLISH
    traditional = tag.startswith(("zh-hant", "zh-tw", "zh-hk", "zh-mo"))
    if traditional and TRADITIONAL in available_languages():
        return TRADITIONAL
    return SIMPLIFIED


def parse_language(value: str) -> str | None:
    """A language as people write it (`en`, `zh`, `zh-CN`, `中文`, `English`) or None."""
    text = value.strip().lower()
    if text in {"en", "english", "英文", "英语"} or text.startswith(("en-", "en_")):
        return ENGLISH
    if text in {"中文", "简体中文", "汉语", "chinese"}:
        return SIMPLIFIED
    if text == "zh" or text.startswith(("zh-", "zh_")):
        return language_for_code(text)
    return None


def current_language() -> str:
    return _current.get()


def set_language(language: str) -> None:
    """For the rest of this task (one update: PTB runs each in its own task)."""
    _current.set(language)


@contextlib.contextmanager
def use_language(language: str) -> Iterator[None]:
    token = _current.set(language)
    try:
        yield
    finally:
        _current.reset(token)


def gettext(message: str) -> str:
    return translations(_current.get()).gettext(message)


_ = gettext


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_current.get()).ngettext(singular, plural, n)


def digests_count(n: int) -> str:
    """`1 digest`, `3 digests` / `3 期`."""
    return ngettext("{n} digest", "{n} digests", n).format(n=format_number(n))


def N_(message: str) -> str:
    """Marks a string for extraction only; translate it with `_` where it is shown."""
    return message


def babel_locale(language: str | None = None) -> Locale:
    return Locale.parse(language or _current.get())


def format_date(day: dt.date, language: str | None = None) -> str:
    """`January 25, 2026` / `2026年1月25日`."""
    return babel_format_date(day, format="long", locale=babel_locale(language))


def format_number(n: int, language: str | None = None) -> str:
    from babel.numbers import format_decimal

    return format_decimal(n, locale=babel_locale(language))


# ---------------------------------------------------------------- developer workflow


def _pybabel(*args: str) -> None:
    from babel.messages.frontend import CommandLineInterface

    CommandLineInterface().run(["pybabel", "-q", *args])


POT = LOCALE_DIR / f"{DOMAIN}.pot"
KEYWORDS = ["-k", "_", "-k", "N_", "-k", "ngettext:1,2"]
CATALOG_LANGUAGES = (ENGLISH, SIMPLIFIED)


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
