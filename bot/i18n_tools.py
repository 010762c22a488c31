"""The translators' workflow (Babel): `python -m bot.i18n_tools update|compile|check|extract`.

Kept apart from bot.i18n (what the bot needs at run time) and bot.i18n_check (what the tests
check), so neither imports the other's tools.
"""

from __future__ import annotations

import sys

from bot.i18n import (
    CATALOG_LANGUAGES,
    DOMAIN,
    ENGLISH,
    KEYWORDS,
    LOCALE_DIR,
    POT,
    ROOT,
    _pybabel,
    po_path,
)
from bot.i18n_check import problems


def extract() -> None:
    LOCALE_DIR.mkdir(parents=True, exist_ok=True)
    _pybabel(
        "extract",
        "-F",
        str(ROOT / "babel.cfg"),
        *KEYWORDS,
        "--no-location",
        "--sort-output",
        "--project",
        "digestbot",
        "-o",
        str(POT),
        str(ROOT),
    )


def update() -> None:
    """Extract, then merge the template into each catalog (new strings appear untranslated).

    English is the source language: its catalog is filled with the source text, so only the
    plural forms ever need a hand there."""
    extract()
    for language in CATALOG_LANGUAGES:
        path = po_path(language)
        if path.exists():
            _pybabel(
                "update",
                "-D",
                DOMAIN,
                "-i",
                str(POT),
                "-o",
                str(path),
                "-l",
                language,
                "--no-fuzzy-matching",
                "--ignore-obsolete",
            )
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            _pybabel("init", "-D", DOMAIN, "-i", str(POT), "-o", str(path), "-l", language)
    _fill_english()


def _fill_english() -> None:
    from babel.messages.pofile import read_po, write_po

    path = po_path(ENGLISH)
    with path.open("rb") as f:
        catalog = read_po(f, locale=ENGLISH)
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            if not isinstance(message.string, tuple) or not all(message.string):
                message.string = tuple(message.id)
        elif not message.string:
            message.string = message.id
    with path.open("wb") as f:
        write_po(f, catalog, sort_output=True, width=100)


def compile_catalogs() -> None:
    for language in CATALOG_LANGUAGES:
        path = po_path(language)
        _pybabel(
            "compile",
            "-D",
            DOMAIN,
            "-i",
            str(path),
            "-o",
            str(path.with_suffix(".mo")),
            "-l",
            language,
            "--use-fuzzy",
        )


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    command = args[0] if args else ""
    if command == "extract":
        extract()
    elif command == "update":
        update()
    elif command == "compile":
        compile_catalogs()
    elif command == "check":
        found = problems()
        for line in found:
            print(line)
        return 1 if found else 0
    else:
        print("usage: python -m bot.i18n_tools update|compile|check|extract", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
