"""The real corpus (../shared/corpus, skipped when absent) read as Telegram reads it (TDLib):
no message ends on a heading, no stray markup beyond what the source itself has, no mailto: or
invalid-host link entity, and at most 100 entities per message counting auto-detected ones."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.digest.loader import iter_digest_files, load_digest
from bot.digest.markdown import parser
from bot.digest.model import Digest, DigestError, OutgoingMessage
from bot.digest.render import render_digest
from bot.digest.split import build_messages, continuation_marker, is_heading_block
from bot.digest.tghtml import html_to_plain, measure
from tests.tdlib import entities_as_sent, parse_html

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="corpus not present")

# Markup that must not leak into what a member reads (unless the source has it as text).
STRAY = {
    "bold": "**",
    "underscore bold": "__",
    "link": "](",
    "image": "![",
    "HTML tag": re.compile(r"</?[A-Za-z][A-Za-z0-9-]*[\s>/]"),
}
_NO_TEXT_CHECK = frozenset({"textEntityTypeCode", "textEntityTypePre", "textEntityTypePreCode"})


def _digests() -> list[Digest]:
    out = []
    for path in iter_digest_files(CORPUS) if CORPUS.is_dir() else []:
        try:
            out.append(load_digest(path, CORPUS))
        except DigestError:
            continue
    return out


DIGESTS = _digests()


def _count(pattern: str | re.Pattern[str], text: str) -> int:
    return len(pattern.findall(text)) if isinstance(pattern, re.Pattern) else text.count(pattern)


def _source_text(digest: Digest) -> str:
    """The text the source itself shows: markdown-it text and code tokens (not markup)."""
    out: list[str] = [digest.title]
    for markdown in (digest.body, digest.summary or ""):
        for token in parser().parse(markdown):
            if token.type in ("fence", "code_block"):
                out.append(token.content)
            for child in token.children or ():
                if child.type in ("text", "code_inline"):
                    out.append(child.content)
    return "\n".join(out)


def _shown_text(msg: OutgoingMessage) -> str:
    """What Telegram shows, code/pre left out (markup is literal there by design)."""
    parsed = parse_html(msg.html)
    text = parsed["text"].encode("utf-16-le")
    for e in sorted(parsed["entities"], key=lambda e: -e["offset"]):
        if e["type"]["@type"] in _NO_TEXT_CHECK:
            start, end = 2 * e["offset"], 2 * (e["offset"] + e["length"])
            text = text[:start] + "\n".encode("utf-16-le") + text[end:]
    return text.decode("utf-16-le")


@pytest.mark.parametrize("digest", DIGESTS, ids=lambda d: str(d.path.relative_to(CORPUS)))
def test_corpus_messages_read_well_in_telegram(digest: Digest) -> None:
    rendered = render_digest(digest)
    messages = build_messages(digest, rendered)
    source = _source_text(digest)
    # sections whose very last block is a heading: nothing follows it to travel with
    ends_on_heading = {
        s.title_text for s in rendered.sections if not s.blocks or is_heading_block(s.blocks[-1])
    }
    for number, msg in enumerate(messages, 1):
        where = f"{digest.path} message {number}"
        # a heading or bold label never ends a message (a photo's caption is the title)
        last_line = msg.html.rstrip().rsplit("\n", 1)[-1]
        section_end = msg is messages[-1] or messages[number].section != msg.section
        if msg.method == "sendMessage" and not (section_end and msg.section in ends_on_heading):
            assert not is_heading_block(last_line), (where, last_line)
        # Telegram keeps every link we send, none of them a broken mailto:
        sent = entities_as_sent(msg.html)
        urls = [e["type"]["url"] for e in sent if e["type"]["@type"] == "textEntityTypeTextUrl"]
        assert len(urls) == msg.html.count("<a href="), (where, urls)
        assert not any(u.lower().startswith(("http://mailto:", "mailto:")) for u in urls), where
        # the 100-entity budget holds for what Telegram counts, and our count is never lower
        assert len(sent) <= 100, (where, len(sent))
        assert measure(msg.html).entities >= len(sent), where
    shown = "\n".join(_strip_marker(_shown_text(m), m) for m in messages)
    for name, pattern in STRAY.items():
        assert _count(pattern, shown) <= _count(pattern, source), (digest.path, name)


def _strip_marker(text: str, msg: OutgoingMessage) -> str:
    marker = html_to_plain(continuation_marker(msg.section or "")).strip()
    return text.removeprefix(marker) if msg.section else text
