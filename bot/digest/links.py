"""Which links Telegram may carry, and how to show the others (measured with TDLib).

- http(s) with a valid host, and tg: links: sent as links.
- mailto: Telegram turns the href into `http://mailto:x/` (a broken link). Telegram links an
  e-mail address in the text by itself, so the address is shown as text.
- http(s) whose host is not a valid host (`https://https://github.com/…`): Telegram silently
  drops the link, so its text is followed by the URL as text (nothing is lost).
- javascript:, data:, file:, ftp: and every other scheme, and relative links: the text only.

The host rule is hand-written (urllib only splits): it is deliberately stricter than Telegram's,
so what it lets through is always kept by Telegram (tests check it against TDLib).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal
from urllib.parse import unquote, urlsplit

LinkKind = Literal["link", "address", "text_and_url", "text"]

# Why a link is not sent as a link: digestbot check prints these.
REASON_MAILTO = "mailto: link shown as the address (Telegram breaks mailto: links)"
REASON_BAD_HOST = "link with an invalid host shown as text + URL (Telegram would drop it)"
REASON_RELATIVE = "relative link dropped (a message has no base URL)"
REASON_SCHEME = "link shown as its text only (Telegram links http(s) and tg: only)"

_LABEL = re.compile(r"(?!-)[^\W_](?:[\w-]{0,61}[^\W_])?\Z")  # letters/digits/-, no edge '-'
_TLD = re.compile(r"(?:[^\W\d_]{2,63}|xn--[a-z0-9-]{1,59})\Z", re.IGNORECASE)
_EMAIL = re.compile(r"[^\s@<>()\[\],;:\"]+@[^\s@<>()\[\],;:\"]+\Z")
_URL_CHARS = re.compile(r"[^\s<>\"\\^`{|}\x00-\x1f\x7f]+\Z")
# Most digest links are plain ASCII web addresses (`https://example.com/path`): this regex
# accepts only URLs the full check below also accepts (a test proves the inclusion), so it is a
# shortcut, not a second rule. No port, no user, no IP, no non-ASCII host: those take the long way.
_PLAIN_WEB_URL = re.compile(
    r"https?://(?=[^/?#]{1,253}(?:[/?#]|\Z))"
    r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}"
    r"(?:[/?#][^\s<>\"\\^`{|}\x00-\x1f\x7f]*)?\Z",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class LinkDecision:
    kind: LinkKind
    href: str | None = None  # the URL to link ("link"), or to show as text ("text_and_url")
    address: str | None = None  # the e-mail address ("address")
    reason: str | None = None  # None for a plain link


def valid_host(host: str) -> bool:
    """A host Telegram keeps in a link: a DNS name with a letter TLD, or an IP literal."""
    if host.startswith("[") and host.endswith("]"):
        try:
            return ipaddress.ip_address(host[1:-1]).version == 6
        except ValueError:
            return False
    if host[-1:].isdigit():  # a DNS name ends in a letter TLD: only an IPv4 address may not
        try:
            ipaddress.IPv4Address(host)
            return True
        except ValueError:
            return False
    labels = host.removesuffix(".").split(".")
    if len(labels) < 2 or len(host) > 253:
        return False
    return all(_LABEL.match(label) for label in labels) and bool(_TLD.match(labels[-1]))


def _web_link_ok(url: str) -> bool:
    if _PLAIN_WEB_URL.match(url):
        return True
    return _web_link_checked(url)


def _web_link_checked(url: str) -> bool:
    if not _URL_CHARS.match(url):
        return False
    try:
        parts = urlsplit(url)
        port = parts.port  # raises ValueError past 65535
    except ValueError:
        return False
    if port == 0 or parts.hostname is None:
        return False
    host = parts.netloc.rpartition("@")[2]
    host = host.rsplit(":", 1)[0] if not host.endswith("]") and ":" in host else host
    return valid_host(host)


def _mail_address(url: str) -> str | None:
    address = unquote(url.split(":", 1)[1].split("?", 1)[0]).strip()
    return address if _EMAIL.match(address) else None


@lru_cache(maxsize=4096)  # digests link the same sites over and over
def decide(url: str) -> LinkDecision:
    """How a link to `url` is shown in a message (see the module docstring)."""
    url = url.strip()
    scheme, colon, rest = url.partition(":")
    scheme = scheme.lower() if colon and re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*", scheme) else ""
    if scheme in ("http", "https"):
        if _web_link_ok(url):
            return LinkDecision("link", href=url)
        return LinkDecision("text_and_url", href=url, reason=REASON_BAD_HOST)
    if scheme == "tg":
        if rest.strip("/") and _URL_CHARS.match(url):
            return LinkDecision("link", href=url)
        return LinkDecision("text", reason=REASON_SCHEME)
    if scheme == "mailto":
        address = _mail_address(url)
        if address is not None:
            return LinkDecision("address", address=address, reason=REASON_MAILTO)
        return LinkDecision("text", reason=REASON_SCHEME)
    if not scheme:
        return LinkDecision("text", reason=REASON_RELATIVE)
    return LinkDecision("text", reason=REASON_SCHEME)


def safe_href(url: str) -> str | None:
    """The URL if it is sent as a link, else None."""
    decision = decide(url)
    return decision.href if decision.kind == "link" else None
