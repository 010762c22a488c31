"""Are the catalogs complete? What `python -m bot.i18n_tools check` and tests/test_i18n.py report.

Four checks, each problem one line that says what to do:
- every string the source marks (`_`, `N_`, `ngettext`) is in every catalog;
- every catalog entry is translated (Chinese by hand; English is filled from the source);
- placeholders (`%(name)s`) agree between source and translation (Babel's checkers);
- the committed .mo files are what the .po files compile to.
Unmarked user-facing literals in handler code are found by `unwrapped_literals` (an AST scan).
"""

from __future__ import annotations

import ast
import io
import re
import tempfile
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot import i18n

HOW_TO = (
    "run `python -m bot.i18n_tools update`, translate the new entries in "
    "bot/locale/zh_Hans/LC_MESSAGES/digestbot.po, then `python -m bot.i18n_tools compile`"
)


def extracted() -> Catalog:
    """What the source marks for translation now (pybabel extract into a temporary file)."""
    with tempfile.TemporaryDirectory() as tmp:
        pot = Path(tmp) / "digestbot.pot"
        i18n._pybabel(
            "extract",
            "-F",
            str(i18n.ROOT / "babel.cfg"),
            *i18n.KEYWORDS,
            "--no-location",
            "-o",
            str(pot),
            str(i18n.ROOT),
        )
        with pot.open("rb") as f:
            return read_po(f)


def load(language: str) -> Catalog:
    with i18n.po_path(language).open("rb") as f:
        return read_po(f, locale=language)


def compiled(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=True)
    return out.getvalue()


def _key(message_id: str | tuple[str, ...] | list[str]) -> str:
    """A plural id (Babel: a tuple, or a list) is keyed by its singular."""
    return message_id if isinstance(message_id, str) else message_id[0]


def problems() -> list[str]:
    source = extracted()
    wanted = {_key(m.id): m for m in source if m.id}
    found: list[str] = []
    for language in i18n.CATALOG_LANGUAGES:
        path = i18n.po_path(language)
        if not path.exists():
            found.append(f"{path}: missing catalog; {HOW_TO}")
            continue
        catalog = load(language)
        have = {_key(m.id): m for m in catalog if m.id}
        for msgid in sorted(set(wanted) - set(have)):
            found.append(f"{language}: not in the catalog: {msgid!r}; {HOW_TO}")
        for msgid, message in sorted(have.items()):
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if not all(strings) or message.fuzzy:
                found.append(
                    f"{language}: untranslated{' (fuzzy)' if message.fuzzy else ''}: "
                    f"{msgid!r}; translate it in {path}, then "
                    "`python -m bot.i18n_tools compile`"
                )
            if msgid in wanted and isinstance(wanted[msgid].id, tuple) != isinstance(
                message.id, tuple
            ):
                found.append(f"{language}: {msgid!r} changed between singular and plural; {HOW_TO}")
        for message, errors in catalog.check():
            for error in errors:
                found.append(f"{language}: {_key(message.id)!r}: {error}")
        mo = path.with_suffix(".mo")
        if not mo.exists() or mo.read_bytes() != compiled(catalog):
            found.append(
                f"{mo}: out of date with {path.name}; run `python -m bot.i18n_tools compile`"
            )
    return found


# ---------------------------------------------------------------- unwrapped literals

# calls whose text argument people read; value = positions of the text arguments
TEXT_CALLS: dict[str, tuple[int, ...]] = {
    "reply_text": (0,),
    "reply_html": (0,),
    "send_message": (1,),
    "edit_message_text": (0,),
    "answer": (0,),
    "show": (1,),
    "InlineKeyboardButton": (0,),
    "BotCommand": (1,),
}
TEXT_KEYWORDS = {"text", "description"}
_TAG = re.compile(r"<[^>]*>")
_WORD = re.compile(r"[^\W\d_]{2,}")


def _readable(literal: str) -> bool:
    """Does a literal hold words (not only markup, digits, punctuation or '«')?"""
    return bool(_WORD.search(_TAG.sub("", literal)))


def _bare_literals(node: ast.AST) -> list[ast.Constant]:
    """String constants in `node` that are not inside a gettext call."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in {"_", "N_", "ngettext", "gettext"}
    ):
        return []
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node]
    if isinstance(
        node, ast.JoinedStr | ast.BinOp | ast.FormattedValue | ast.IfExp | ast.Tuple | ast.List
    ):
        return [c for child in ast.iter_child_nodes(node) for c in _bare_literals(child)]
    return []


LOG_METHODS = {"debug", "info", "warning", "error", "exception", "critical", "log"}
_SENTENCE = re.compile(r"[^\W\d_]{2,}[,.:;!?]?\s+[^\W\d_]{2,}")


def _unwrapped_nodes(tree: ast.AST) -> set[int]:
    """ids of string constants that are docstrings, inside gettext/log calls or exceptions."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(body, list)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
        ):
            skip.add(id(body[0].value))  # docstring
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if (
                name in {"_", "N_", "ngettext", "gettext"}
                or name in LOG_METHODS
                or (name.endswith(("Error", "Exception")))
            ):
                skip.update(id(n) for n in ast.walk(node))
        if isinstance(node, ast.Assert | ast.Compare):  # `"not modified" in exc.message`
            skip.update(id(n) for n in ast.walk(node))
    return skip


def unwrapped_literals(paths: list[Path]) -> list[str]:
    """`file:line: 'text'` for each readable literal that reaches people unwrapped: any text
    handed straight to Telegram (reply_text, show, buttons, ...), and any sentence-like literal
    anywhere else in these modules (texts built in a variable first), except docstrings, log
    lines, exception messages, asserts and lines marked `# operator`."""
    found: list[tuple[str, int, str]] = []
    for path in paths:
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source, str(path))
        skip = _unwrapped_nodes(tree)
        lines = source.splitlines()
        # a line ending in "# operator" holds text for logs / the shell, not for Telegram users
        skip |= {
            id(n)
            for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and lines[n.lineno - 1].rstrip().endswith("# operator")
        }
        flagged: set[int] = set()
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name not in TEXT_CALLS:
                continue
            args = [node.args[i] for i in TEXT_CALLS[name] if i < len(node.args)]
            args += [k.value for k in node.keywords if k.arg in TEXT_KEYWORDS]
            for arg in args:
                for literal in _bare_literals(arg):
                    if isinstance(literal.value, str) and _readable(literal.value):
                        flagged.add(id(literal))
                        found.append((str(path), literal.lineno, literal.value))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in skip
                and id(node) not in flagged
                and _SENTENCE.search(_TAG.sub(" ", node.value))
            ):
                found.append((str(path), node.lineno, node.value))
    return [
        f"{path}:{line}: {text!r} is shown to people unwrapped: wrap it in _() (bot.i18n)"
        for path, line, text in sorted(found)
    ]
