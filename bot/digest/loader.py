"""Load digest markdown files into `Digest` objects.

Accepted shapes (all seen in real digests):
- YAML front matter between `---` lines (read with python-frontmatter), keys case-insensitive;
- a Pelican `Key: value` header block at the top, ending at the first blank line;
- no header at all: title from the first `# ` heading, date from `YYYY-MM-DD` in the file name.

Date rule: front matter/header `date` first; if absent, a `YYYY-M-D` date in the file name. A file
with neither (e.g. `issue-400.md`) is a DigestError: guessing from an issue number or the file
mtime would give a wrong date with no warning, and the date drives scheduling and /digest.
An explicit `date` that cannot be read is an error too (rather than silently using the name).
"""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import frontmatter
import yaml

from bot.digest.limits import (
    EXACT_COUNT_BYTES,
    SizeLimits,
    check_bytes,
    current_limits,
    limited_messages,
)
from bot.digest.model import Digest, DigestError
from bot.digest.tags import display_tag, normalize_tag

DIGEST_SUFFIXES = (".md", ".markdown", ".txt")
# Files beside the digests that are not digests (lower-case name prefixes / names).
NOT_DIGEST_PREFIXES = ("readme", "sources", "license")
NOT_DIGEST_NAMES = frozenset({"_index.md"})

# `2026-01-25`, `2020-12-2`, optionally `08:30[:00[.f]]` after 'T' or spaces, optional Z/offset.
_DATE_RE = re.compile(
    r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"
    r"(?:(?:[Tt]|\s+)(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.(?P<f>\d{1,6})\d*)?)?"
    r"\s*(?P<tz>[Zz]|[+-]\d{2}:?\d{2})?)?$"
)
_NAME_DATE_RE = re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")
_COMPACT_DATE_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_H1_RE = re.compile(r"^ {0,3}#[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$")
_FENCE_RE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_PELICAN_LINE_RE = re.compile(r"^(?P<key>[A-Za-z][A-Za-z0-9_-]*):[ \t]*(?P<value>.*?)[ \t]*$")
# A Pelican block must name at least one of these, so a body opening with "Note: ..." stays body.
_PELICAN_KEYS = frozenset({"title", "date"})
# Tags are the publisher's: `tags` and `category`. `seo`/`keywords` lists are SEO boilerplate
# (the seed format repeats the same ones on every issue): full-text search only.
_TAG_KEYS = ("tags", "category")
_KEYWORD_KEYS = ("seo", "keywords")
_COVER_KEYS = ("coverimage", "cover_image", "cover")
KNOWN_KEYS = frozenset(
    {"title", "date", "summary", "draft", *_TAG_KEYS, *_KEYWORD_KEYS, *_COVER_KEYS}
)


# ---------------------------------------------------------------------------- reading


def read_text(path: Path) -> str:
    """The file as text: UTF-8 (BOM dropped), LF line ends; DigestError if unreadable."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DigestError(path, f"cannot read file ({exc.strerror or exc})") from None
    try:
        text = raw.decode("utf-8-sig")  # -sig: drops a UTF-8 BOM
    except UnicodeDecodeError as exc:
        raise DigestError(path, f"not UTF-8 text (invalid byte at offset {exc.start})") from None
    # Normalise line ends once so every later step (and the body) only sees LF.
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _split_yaml(path: Path, text: str) -> tuple[dict[str, Any], str] | None:
    """YAML front matter -> (metadata, body), or None when the file has none."""
    # python-frontmatter's YAML handler is used directly (not frontmatter.loads) because loads
    # silently drops front matter that is not a mapping and returns unclosed front matter as body.
    handler = frontmatter.YAMLHandler()
    stripped = text.strip()
    if not handler.detect(stripped):
        return None
    try:
        fm, body = handler.split(stripped)
    except ValueError:
        raise DigestError(path, "front matter opened with '---' is never closed") from None
    try:
        data = handler.load(fm)
    except yaml.YAMLError as exc:
        raise DigestError(path, f"front matter is not valid YAML ({_one_line(exc)})") from None
    except ValueError as exc:  # e.g. `date: 2026-02-30` fails while YAML builds the date
        raise DigestError(path, f"front matter has an impossible value ({exc})") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise DigestError(path, f"front matter is a {type(data).__name__}, not key: value pairs")
    return {str(k): v for k, v in data.items()}, body


def _split_pelican(text: str) -> tuple[dict[str, Any], str] | None:
    """A Pelican `Key: value` header block (this-week-in-rust) -> (metadata, body), or None."""
    header, *rest = re.split(r"\n[ \t]*\n", text.lstrip("\n"), maxsplit=1)
    body = rest[0] if rest else ""
    meta: dict[str, Any] = {}
    for line in header.split("\n"):
        match = _PELICAN_LINE_RE.match(line)
        if not match:
            return None
        meta[match["key"]] = match["value"]
    if not _PELICAN_KEYS & {key.lower() for key in meta}:
        return None
    return meta, body


# ---------------------------------------------------------------------------- fields


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def _lower_keys(meta: Mapping[str, Any]) -> dict[str, Any]:
    lowered: dict[str, Any] = {}
    for key, value in meta.items():
        lowered.setdefault(key.lower(), value)  # first spelling wins if a key repeats in case
    return lowered


def parse_date(value: Any) -> tuple[dt.date, dt.datetime | None]:
    """A front matter date -> (date, datetime or None). Raises ValueError if unreadable.

    The date is the calendar day as written (an offset does not move it to UTC); the datetime
    keeps the offset when one is given and is naive otherwise.
    """
    if isinstance(value, dt.datetime):
        return value.date(), value
    if isinstance(value, dt.date):
        return value, None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a date")
    text = value.strip()
    compact = _COMPACT_DATE_RE.match(text)
    if compact:
        return dt.date(*map(int, compact.groups())), None
    match = _DATE_RE.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a date (expected YYYY-MM-DD [HH:MM])")
    day = dt.date(int(match["y"]), int(match["m"]), int(match["d"]))
    if match["H"] is None:
        return day, None
    tz: dt.tzinfo | None = None
    if match["tz"]:
        tz = dt.UTC if match["tz"] in "Zz" else _offset(match["tz"])
    moment = dt.datetime(
        day.year,
        day.month,
        day.day,
        int(match["H"]),
        int(match["M"]),
        int(match["S"] or 0),
        int((match["f"] or "0").ljust(6, "0")),
        tzinfo=tz,
    )
    return day, moment


def _offset(text: str) -> dt.timezone:
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return dt.timezone(sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))


def date_from_name(path: Path) -> dt.date | None:
    """The first valid `YYYY-M-D` date in the file name, if any."""
    for match in _NAME_DATE_RE.finditer(path.name):
        try:
            return dt.date(*map(int, match.groups()))
        except ValueError:
            continue
    return None


def first_h1(body: str) -> str | None:
    """Text of the first ATX `# ` heading outside fenced code."""
    fence: str | None = None
    for line in body.split("\n"):
        fence_match = _FENCE_RE.match(line)
        if fence_match:
            marker = fence_match.group(1)
            if fence is None:
                fence = marker
            elif marker[0] == fence[0] and len(marker) >= len(fence):
                fence = None
            continue
        if fence is None:
            match = _H1_RE.match(line)
            if match and match.group(1).strip():
                return match.group(1).strip()
    return None


def _text_or_none(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list, tuple)):
        return None
    text = str(value).strip()
    return text or None


def _as_list(value: Any, *, split_commas: bool) -> list[str]:
    """A tags-like value (list, single string, comma-separated string, missing) -> strings.

    Only a single string is split on commas: list items are taken whole, as the author wrote them.
    """
    if value is None or isinstance(value, dict):
        return []
    if isinstance(value, (list, tuple, set)):
        return [str(item) for item in value if item is not None and not isinstance(item, dict)]
    if split_commas:
        return re.split(r"[,，]", str(value))
    return [str(value)]


def merge_tags(groups: Iterable[Iterable[str]]) -> tuple[str, ...]:
    """Tags in first-seen order, deduplicated by `normalize_tag`, display form kept."""
    seen: set[str] = set()
    result: list[str] = []
    for group in groups:
        for raw in group:
            key = normalize_tag(raw)
            if key and key not in seen:
                seen.add(key)
                result.append(display_tag(raw))
    return tuple(result)


def digest_id(day: dt.date, path: Path, root: Path | None) -> str:
    """Stable id: `YYYYMMDD-` + 8 hex of sha1 of the path relative to the content folder."""
    relative = path.name if root is None else _relative(path, root)
    return f"{day:%Y%m%d}-{hashlib.sha1(relative.encode('utf-8')).hexdigest()[:8]}"


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:  # not under root: the absolute path is still stable for this machine
        return path.resolve().as_posix()


# ---------------------------------------------------------------------------- public API


class DraftError(DigestError):
    """A digest marked `draft: true`: not published (load with drafts=True to read it anyway)."""


DRAFT_REASON = "draft (draft: true in the front matter): not published"
_SECTION_RE = re.compile(r"^## ", re.M)


def load_digest(
    path: Path, root: Path | None = None, *, drafts: bool = False, limits: SizeLimits | None = None
) -> Digest:
    """Read one digest file. Raises DigestError(path, reason) if it cannot be a digest or is
    over the size limits (bot/digest/limits.py), and DraftError for a draft unless `drafts`."""
    path = Path(path)
    limits = limits or current_limits()
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise DigestError(path, f"cannot read file ({exc.strerror or exc})") from None
    check_bytes(path, size, limits)
    text = read_text(path)
    if not text.strip():
        raise DigestError(path, "empty file")

    split = _split_yaml(path, text) or _split_pelican(text)
    raw_meta, body = split if split else ({}, text)
    meta = _lower_keys(raw_meta)
    body = body.strip("\n")
    if not body.strip():
        raise DigestError(path, "no content after the front matter")

    title = _text_or_none(meta.get("title")) or first_h1(body)
    title = " ".join(title.split()) if title else None  # a folded YAML title is one line
    if not title:
        raise DigestError(path, "no title (no `title` in front matter and no `# ` heading)")

    published_at: dt.datetime | None = None
    if meta.get("date") is not None and str(meta.get("date")).strip():
        try:
            day, published_at = parse_date(meta["date"])
        except ValueError as exc:
            raise DigestError(path, f"no usable date: {exc}") from None
    else:
        name_day = date_from_name(path)
        if name_day is None:
            raise DigestError(
                path, "no usable date (add date: to the front matter, or YYYY-MM-DD to the name)"
            )
        day = name_day

    # A category is one name even if it holds a comma; tags/seo/keywords strings are lists.
    tags = merge_tags(
        _as_list(meta.get(key), split_commas=(key != "category")) for key in _TAG_KEYS
    )
    category_values = _as_list(meta.get("category"), split_commas=False)
    category = next((c.strip() for c in category_values if c.strip()), None)
    summary = meta.get("summary")
    if isinstance(summary, (list, tuple)):
        summary = "\n".join(str(line) for line in summary)
    cover = next((_text_or_none(meta.get(key)) for key in _COVER_KEYS if meta.get(key)), None)
    keywords = merge_tags(_as_list(meta.get(key), split_commas=True) for key in _KEYWORD_KEYS)
    extra = {key: value for key, value in raw_meta.items() if key.lower() not in KNOWN_KEYS}

    draft = is_draft(meta.get("draft"))
    if draft and not drafts:
        raise DraftError(path, DRAFT_REASON)
    digest = Digest(
        id=digest_id(day, path, root),
        path=path,
        title=title,
        date=day,
        body=body,
        published_at=published_at,
        category=category,
        tags=tags,
        summary=_text_or_none(summary),
        cover_image=cover,
        extra=extra,
        keywords=keywords,
        draft=draft,
    )
    # The parts are counted exactly (by rendering) only when they may be too many: a big file,
    # or more `## ` lines than the limit (each section is one message at least; the regex may
    # also see lines in code blocks, hence the exact count then, never a refusal on a guess).
    sections = len(_SECTION_RE.findall(body))
    if size > EXACT_COUNT_BYTES or sections + 1 > limits.max_messages:
        limited_messages(digest, limits)
    return digest


def scan_digest_files(root: Path) -> tuple[list[Path], list[DigestError]]:
    """Every digest file under root (recursively), sorted: .md/.markdown, .txt with front matter;
    README*/SOURCES*/LICENSE*/_index.md and hidden files/dirs skipped. And
    what could not be looked at, each named with its reason: a symlink loop, a broken symlink,
    a folder that cannot be read. Symlinked folders are not followed (they could loop or
    repeat the tree) and are reported once each, so none is skipped without a word."""
    root = Path(root)
    if not root.is_dir():
        return [], []
    files: list[Path] = []
    problems: list[DigestError] = []

    def unreadable(exc: OSError) -> None:
        where = Path(exc.filename) if exc.filename else root
        problems.append(DigestError(where, f"cannot read folder ({exc.strerror or exc})"))

    for folder, dirs, names in os.walk(root, onerror=unreadable):
        base = Path(folder)
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in list(dirs):
            if (base / name).is_symlink():
                dirs.remove(name)  # os.walk would not descend anyway; say why it is left out
                problems.append(_symlink_problem(base / name, "folder"))
        for name in names:
            path = base / name
            if name.startswith(".") or not is_digest_name(path):
                continue
            if path.is_file():
                if path.suffix.lower() != ".txt" or has_front_matter(path):
                    files.append(path)
            elif path.is_symlink():
                problems.append(_symlink_problem(path, "file"))
    return sorted(files), sorted(problems, key=lambda e: e.path)


def _symlink_problem(path: Path, kind: str) -> DigestError:
    try:
        target = path.resolve(strict=True)
    except RuntimeError:  # Python < 3.13 reports a loop this way
        return DigestError(path, "symlink loop: it leads back to itself")
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return DigestError(path, "symlink loop: it leads back to itself")
        return DigestError(path, f"broken symlink (to {os.readlink(path)})")
    if kind == "folder":
        if path.parent.resolve().is_relative_to(target):
            return DigestError(path, f"symlink loop: it leads back to {target}")
        return DigestError(path, f"symlink to a folder ({target}), not followed")
    return DigestError(path, f"symlink to something that is not a file ({target})")


def is_draft(value: Any) -> bool:
    """`draft: true` (YAML bool, or the words true/yes/1 in a Pelican header)."""
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("true", "yes", "1") if value is not None else False


def is_digest_name(path: Path) -> bool:
    """A .md/.markdown/.txt name that is not a README*, SOURCES*, LICENSE* or _index.md."""
    name = path.name.lower()
    return (
        path.suffix.lower() in DIGEST_SUFFIXES
        and name not in NOT_DIGEST_NAMES
        and not name.startswith(NOT_DIGEST_PREFIXES)
    )


def has_front_matter(path: Path) -> bool:
    """The file opens with `---` (after a BOM/blank lines): how a .txt file says it is a digest."""
    try:
        with path.open("rb") as handle:
            head = handle.read(512)
    except OSError:
        return True  # let the loader report why it cannot be read
    return head.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"---")


def iter_digest_files(root: Path) -> list[Path]:
    """Every digest file under root (recursively), sorted: .md/.markdown, .txt with front
    matter; README*/SOURCES*/LICENSE*/_index.md and hidden files/dirs skipped."""
    return scan_digest_files(root)[0]


def load_all(root: Path) -> tuple[list[Digest], list[DigestError]]:
    """Load every published digest under root (drafts skipped); one bad file never stops the
    others. The errors include what could not be looked at (scan_digest_files)."""
    digests: list[Digest] = []
    files, errors = scan_digest_files(root)
    for path in files:
        try:
            digests.append(load_digest(path, root))
        except DraftError:
            continue
        except DigestError as exc:
            errors.append(exc)
    errors.sort(key=lambda e: e.path)
    return digests, errors


def parse_day(spec: str) -> dt.date | None:
    """`2026-01-25` / `20260125` -> date; None if spec does not look like a date.

    Raises ValueError when it looks like a date but is not one (`2026-02-30`).
    """
    text = spec.strip()
    match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text) or _COMPACT_DATE_RE.match(text)
    if not match:
        return None
    return dt.date(*map(int, match.groups()))
