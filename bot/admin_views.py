"""Admin replies as Telegram HTML, in the admin's language: push reports, bad files, names.

Pure functions (no Telegram objects), so handlers stay thin and tests can check every wording.
Digests are named by title and date, never by internal id; reasons that quote markdown
(`date`) show it as code, never as raw backticks.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from html import escape

from bot.i18n import _, format_date, ngettext

_BACKTICKS = re.compile(r"`([^`\n]+)`")


def code_html(text: str) -> str:
    """Plain text -> HTML, `quoted` parts as <code> (the raw backticks never show)."""
    out, last = [], 0
    for match in _BACKTICKS.finditer(text):
        out.append(escape(text[last : match.start()], quote=False))
        out.append(f"<code>{escape(match.group(1), quote=False)}</code>")
        last = match.end()
    out.append(escape(text[last:], quote=False).replace("`", "'"))
    return "".join(out)


def digest_name(title: str, day: dt.date) -> str:
    """`<b>AI 日报</b> (January 25, 2026)` / `<b>AI 日报</b>（2026年1月25日）`."""
    return _("<b>{title}</b> ({date})").format(
        title=escape(title, quote=False), date=format_date(day)
    )


def and_more(n: int) -> str:
    return ngettext("… and {n} more", "… and {n} more", n).format(n=n)


def drafts_line(paths: Sequence[str], *, names: int = 5) -> str:
    """`2 drafts (not published): a.md, b.md`: files marked `draft: true` are not errors."""
    shown = ", ".join(escape(p, quote=False) for p in sorted(paths)[:names])
    if len(paths) > names:
        shown += " " + and_more(len(paths) - names)
    return ngettext(
        "{n} draft (not published): {files}", "{n} drafts (not published): {files}", len(paths)
    ).format(n=len(paths), files=shown)


def bad_files_lines(
    bad: Sequence[tuple[str, str]], *, groups: int = 5, names: int = 3
) -> list[str]:
    """Bad files grouped by reason, most common first: `• reason — 3 files: a.md, b.md, …`.

    `bad` holds (path, reason) pairs; at most `groups` reasons and `names` paths per reason
    are listed, the rest counted."""
    if not bad:
        return [_("Bad files: none")]
    by_reason: dict[str, list[str]] = {}
    for path, reason in bad:
        by_reason.setdefault(reason, []).append(path)
    ordered = sorted(by_reason.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    lines = [ngettext("Bad files: {n}", "Bad files: {n}", len(bad)).format(n=len(bad))]
    for reason, paths in ordered[:groups]:
        shown = ", ".join(escape(p, quote=False) for p in sorted(paths)[:names])
        if len(paths) > names:
            shown += " " + and_more(len(paths) - names)
        lines.append(
            ngettext(
                "• {reason} — {n} file: {files}", "• {reason} — {n} files: {files}", len(paths)
            ).format(reason=code_html(reason), n=len(paths), files=shown)
        )
    if len(ordered) > groups:
        rest = sum(len(p) for _, p in ordered[groups:])
        lines.append(
            ngettext(
                "… and {n} more file with other reasons",
                "… and {n} more files with other reasons",
                rest,
            ).format(n=rest)
        )
    return lines
