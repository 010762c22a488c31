"""Callback data of inline buttons: one typed codec, `prefix:field:field`, at most 64 bytes.

Each kind of button is declared like aiogram's CallbackData (`class ArchivePage(Button,
prefix="a"): offset: int`) and becomes a frozen dataclass; `pack()` writes it, `unpack()` reads
it back and validates every field (data comes from the client, and a modified client can send
anything), so handlers get typed values or None. Data holds only what can be rebuilt after a
restart: digest ids, dates, offsets, and short keys that are hashes of text the store keeps
(bot.reader.keys). The wire format is the one earlier versions wrote, so old buttons still work.

PTB's `arbitrary_callback_data` is not used: it keeps the objects in memory (or in a pickle
persistence file), and buttons would stop working after a restart without one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar, dataclass_transform

from telegram.constants import InlineKeyboardButtonLimit

MAX_DATA_BYTES = int(InlineKeyboardButtonLimit.MAX_CALLBACK_DATA)  # 64
# Offsets come back from the client: a huge number would overflow SQLite's 64-bit integers
# (OverflowError); within [0, MAX_OFFSET] any page is reachable.
MAX_OFFSET = 1_000_000
_WORD = re.compile(r"[A-Za-z0-9_-]{1,64}")  # ids and keys: deep-link safe characters
_DIGITS = re.compile(r"\d{1,64}")
_DAY = re.compile(r"\d{8}")

B = TypeVar("B", bound="Button")


@dataclass_transform(frozen_default=True)
class Button:
    """Base of every callback data class: `PREFIX` then the dataclass fields, in order.

    A subclass names its prefix (`class OpenDay(Button, prefix="d")`) and lists its fields; it
    becomes a frozen dataclass here, so the codec below serves every kind."""

    PREFIX: ClassVar[str]
    _PREFIXES: ClassVar[dict[str, type[Button]]] = {}

    def __init_subclass__(cls, *, prefix: str, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        taken = Button._PREFIXES.get(prefix)
        if ":" in prefix or (taken is not None and taken.__qualname__ != cls.__qualname__):
            raise TypeError(f"button prefix {prefix!r} is taken or contains ':'")  # ambiguous data
        Button._PREFIXES[prefix] = cls
        cls.PREFIX = prefix
        dataclass(frozen=True)(cls)

    def pack(self) -> str:
        parts = [
            self.PREFIX,
            *(_pack_field(getattr(self, f.name)) for f in dataclasses.fields(self)),  # type: ignore[arg-type]
        ]
        data = ":".join(parts)
        if len(data.encode("utf-8")) > MAX_DATA_BYTES:
            raise ValueError(f"callback data over {MAX_DATA_BYTES} bytes: {data!r}")
        return data

    @classmethod
    def unpack(cls: type[B], data: str | None) -> B | None:
        """The button `data` describes, or None if it is not a valid button of this kind."""
        fields = dataclasses.fields(cls)  # type: ignore[arg-type]
        parts = (data or "").split(":")
        if parts[0] != cls.PREFIX or len(parts) != len(fields) + 1:
            return None
        values = []
        for field, raw in zip(fields, parts[1:], strict=True):
            value = _unpack_field(str(field.type), raw)
            if value is None:
                return None
            values.append(value)
        return cls(*values)

    @classmethod
    def pattern(cls) -> str:
        """Regex for CallbackQueryHandler: data of this kind (unpack() validates the rest)."""
        return rf"^{re.escape(cls.PREFIX)}(:|$)"


def _pack_field(value: object) -> str:
    if isinstance(value, dt.date):
        return f"{value:%Y%m%d}"
    return str(value)


def _unpack_field(kind: str, raw: str) -> object | None:
    if kind == "int":
        return min(int(raw), MAX_OFFSET) if _DIGITS.fullmatch(raw) else None
    if kind == "dt.date":
        if not _DAY.fullmatch(raw):
            return None
        try:
            return dt.date(int(raw[:4]), int(raw[4:6]), int(raw[6:]))
        except ValueError:
            return None
    return raw if _WORD.fullmatch(raw) else None


class OpenDigest(Button, prefix="o"):
    """Open a digest (private chat: whole; group: its card)."""

    digest_id: str


class OpenDay(Button, prefix="d"):
    """Open a day: its one edition, or a choice among several."""

    day: dt.date


class ArchivePage(Button, prefix="a"):
    offset: int


class TagsPage(Button, prefix="g"):
    offset: int


class TagPage(Button, prefix="t"):
    offset: int
    key: str  # bot.reader.keys.tag_key of the tag


class SearchPage(Button, prefix="s"):
    offset: int
    key: str  # bot.reader.keys.short_key of the query (its text is kept in the store)


class PageCounter(Button, prefix="n"):
    """The "2/5" button between the pager arrows: leads nowhere."""


class ChooseLayout(Button, prefix="l"):
    """A /layout button: this chat/topic (or this private reader) gets `layout`."""

    layout: str  # checked against bot.digest.calls.LAYOUTS by the handler


BUTTON_KINDS: tuple[type[Button], ...] = (
    OpenDigest,
    OpenDay,
    ArchivePage,
    TagsPage,
    TagPage,
    SearchPage,
    PageCounter,
    ChooseLayout,
)
