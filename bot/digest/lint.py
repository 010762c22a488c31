"""`digestbot check`: what a publisher needs to know about digest files before the bot sends them.

Errors: the file cannot be a digest (the loader's reason) or its messages would break Telegram's
limits. Warnings name what a message will show differently from the markdown: a dropped HTML
block, a dropped relative link, a link shown as text (and why), a cover that is not an http(s)
URL, a front-matter value of a type the loader ignores. Each names the file and line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import frontmatter
import yaml
from markdown_it.tree import SyntaxTreeNode
from telegram.constants import MessageLimit

from bot.digest.inline_html import MEDIA_TAGS, media_block, media_src, parse_tag
from bot.digest.limits import DigestTooLarge, limited_messages
from bot.digest.links import decide, safe_href
from bot.digest.loader import KNOWN_KEYS, load_digest, read_text
from bot.digest.markdown import parser
from bot.digest.model import Digest, DigestError, OutgoingMessage
from bot.digest.tghtml import measure

Level = Literal["error", "warning"]

_SCALAR = (str, int, float)
# The loader's expectations per front-matter key; another type is ignored and worth a warning.
_LIST_KEYS = frozenset({"tags", "category", "seo", "keywords"})
_TEXT_KEYS = frozenset({"title", "coverimage", "cover_image", "cover"})
_TAG_SNIPPET = re.compile(r"<[!?/]?[A-Za-z0-9-]*")


@dataclass(frozen=True)
class Finding:
    level: Level
    path: Path
    line: int | None  # 1-based line in the file, when known
    reason: str  # the same words for the same problem: check groups files by it
    detail: str = ""  # what it is about here (the URL, the value)

    def where(self) -> str:
        return f"{self.path}:{self.line}" if self.line else str(self.path)

    def text(self) -> str:
        return f"{self.reason}: {self.detail}" if self.detail else self.reason


@dataclass
class FileReport:
    path: Path
    digest: Digest | None = None
    messages: int = 0
    findings: list[Finding] = field(default_factory=list)


def length_limit(method: str) -> tuple[str, int]:
    """What Telegram limits in a part sent with `method`, and to how many UTF-16 units: a
    photo's caption, else the message text."""
    if method == "sendPhoto":
        return "caption", int(MessageLimit.CAPTION_LENGTH)
    return "text", int(MessageLimit.MAX_TEXT_LENGTH)


def message_problems(msg: OutgoingMessage) -> list[str]:
    """Limits Telegram would reject or silently cut a message for (length, entities, empty)."""
    size = measure(msg.html)
    kind, limit = length_limit(msg.method)
    problems = []
    if size.utf16 > limit:
        problems.append(f"{kind} is {size.utf16} UTF-16 units (limit {limit})")
    if size.entities > MessageLimit.MESSAGE_ENTITIES:
        problems.append(f"{size.entities} entities (limit {int(MessageLimit.MESSAGE_ENTITIES)})")
    if not size.utf16:
        problems.append(f"empty {kind}")
    return problems


def check_file(path: Path, root: Path | None = None) -> FileReport:
    """Load, lint and render one digest file.

    Loaded and rendered as the bot does: load_digest, then limited_messages (what the
    catalogue builds and caches, refused above MAX_DIGEST_MESSAGES). The catalogue itself
    (bot/catalog.py) sits above the engine and adds only its cache and store records.
    """
    report = FileReport(path)
    try:
        digest = load_digest(path, root, drafts=True)
    except DigestError as exc:
        report.findings.append(Finding("error", path, None, exc.reason))
        return report
    report.digest = digest
    text = read_text(path)
    front_lines = _front_matter_lines(text)
    report.findings.extend(_front_matter_findings(path, digest, text, front_lines))
    report.findings.extend(_body_findings(path, digest.body, _body_line(text, digest.body)))
    try:
        messages = limited_messages(digest)
    except DigestTooLarge as exc:  # over MAX_DIGEST_MESSAGES: the bot refuses it whole
        report.findings.append(Finding("error", path, None, exc.reason))
        return report
    except Exception as exc:  # a renderer bug must name the file, not abort the whole check
        report.findings.append(
            Finding("error", path, None, f"cannot render ({type(exc).__name__}: {exc})")
        )
        return report
    report.messages = len(messages)
    if not messages:
        report.findings.append(Finding("error", path, None, "renders to no message"))
    for number, msg in enumerate(messages, 1):
        report.findings.extend(
            Finding("error", path, None, f"message {number}: {problem}")
            for problem in message_problems(msg)
        )
    return report


# ---------------------------------------------------------------------------- front matter


def _front_matter_lines(text: str) -> dict[str, int]:
    """Lower-case key -> 1-based line of its `key:` in the header block."""
    lines = text.split("\n")
    out: dict[str, int] = {}
    start = 1 if lines and lines[0].strip() == "---" else 0
    for number, line in enumerate(lines[start:], start + 1):
        if start and line.strip() == "---":
            break
        if not start and not line.strip():
            break  # a Pelican header ends at the first blank line
        match = re.match(r"([A-Za-z][A-Za-z0-9_-]*)\s*:", line)
        if match:
            out.setdefault(match[1].lower(), number)
    return out


def _raw_meta(text: str) -> dict[str, Any]:
    handler = frontmatter.YAMLHandler()
    if not handler.detect(text.strip()):
        return {}
    try:
        data = handler.load(handler.split(text.strip())[0])
    except (ValueError, yaml.YAMLError):
        return {}
    return {str(k).lower(): v for k, v in data.items()} if isinstance(data, dict) else {}


def _type_problem(key: str, value: Any) -> str | None:
    if value is None:
        return None
    if key in _LIST_KEYS:
        if isinstance(value, _SCALAR):
            return None
        if isinstance(value, (list, tuple)):
            bad = [v for v in value if not isinstance(v, _SCALAR)]
            return f"{key}: {len(bad)} item(s) that are not text are ignored" if bad else None
        return f"{key}: a {type(value).__name__} is not a list of names (ignored)"
    if key in _TEXT_KEYS and not isinstance(value, _SCALAR):
        return f"{key}: a {type(value).__name__} is not text (ignored)"
    if key == "summary" and not isinstance(value, (*_SCALAR, list, tuple)):
        return f"summary: a {type(value).__name__} is not text (ignored)"
    if key == "draft" and not isinstance(value, (bool, str, int)):
        return f"draft: a {type(value).__name__} is not true/false (ignored)"
    return None


def _front_matter_findings(
    path: Path, digest: Digest, text: str, lines: dict[str, int]
) -> Iterator[Finding]:
    for key, value in _raw_meta(text).items():
        if key in KNOWN_KEYS and (problem := _type_problem(key, value)):
            yield Finding("warning", path, lines.get(key), problem)
    cover = (digest.cover_image or "").strip()
    if cover and (not cover.lower().startswith(("http://", "https://")) or not safe_href(cover)):
        line = next((lines[k] for k in ("coverimage", "cover_image", "cover") if k in lines), None)
        yield Finding(
            "warning",
            path,
            line,
            "coverImage is not an http(s) URL, the digest is sent without it",
            cover,
        )
    if text.lstrip("\ufeff\n").startswith("+++"):
        yield Finding(
            "warning", path, 1, "TOML front matter (+++) is not read: use YAML between --- lines"
        )


# ---------------------------------------------------------------------------- body


def _body_line(text: str, body: str) -> int:
    """1-based line of the file where the body starts."""
    at = text.find(body[:200]) if body else -1
    return text.count("\n", 0, at) + 1 if at >= 0 else 1


def _body_findings(path: Path, body: str, first_line: int) -> Iterator[Finding]:
    root = SyntaxTreeNode(parser().parse(body))
    for child in root.children:
        yield from _walk(path, child, first_line, first_line)


def _walk(path: Path, node: SyntaxTreeNode, first: int, line: int) -> Iterator[Finding]:
    if node.map is not None:
        line = first + node.map[0]
    if node.type == "html_block":
        if media_block(node.content) is None:
            snippet = _TAG_SNIPPET.match(node.content.lstrip())
            what = f"{snippet.group(0)}…>" if snippet else "HTML"
            yield Finding(
                "warning", path, line, "HTML block dropped (Telegram messages cannot hold it)", what
            )
        else:
            for tag in media_block(node.content) or []:
                yield from _link_finding(path, line, media_src(tag))
        return
    if node.type in ("link", "image"):
        yield from _link_finding(
            path, line, str(node.attrs.get("href" if node.type == "link" else "src", ""))
        )
    elif node.type == "html_inline":
        inline = parse_tag(node.content)
        if inline is not None and not inline.closing and inline.name == "a":
            yield from _link_finding(path, line, inline.attr("href"))
        elif inline is not None and not inline.closing and inline.name in MEDIA_TAGS:
            yield from _link_finding(path, line, media_src(inline))
    for child in node.children:
        yield from _walk(path, child, first, line)


def _link_finding(path: Path, line: int, url: str) -> Iterator[Finding]:
    decision = decide(url)
    if decision.reason is not None:
        yield Finding("warning", path, line, decision.reason, url or "(empty)")
