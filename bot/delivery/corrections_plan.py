"""The correction planner: what to do in ONE chat so it shows a digest's new parts. Pure, no I/O.

Input: the parts the journal says that chat holds (message id, content hash, kind, when sent) and
the parts the digest renders to now. Output: edits in place, sends appended at the end (silent,
replying to the push's first message, since Telegram cannot insert a message between two
others), removals (delete while Telegram still allows it, else a one-line "removed" note) and
the parts left untouched.

Alignment is a diff of the two hash sequences (difflib's SequenceMatcher, no hand-written LCS):
equal runs are never touched, so with a stable splitter a fix inside one `##` section edits only
that section's messages, and in packed layouts only the messages from the changed one onward.
Inside a changed run, old and new parts pair up in order as edits when their kinds allow it
(text -> text, photo -> photo, rich -> rich; Telegram cannot turn a text message into a photo).

Crash safety: the executor journals every confirmed action, so a plan made again after a crash
starts from a half-corrected chat. A part the chat already shows (same hash) anywhere, even out
of order, is kept rather than removed and sent again: re-planning never sends a part twice.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

PartKind = Literal["text", "photo", "rich"]
EditMethod = Literal["editMessageText", "editMessageCaption", "editMessageMedia", "editRich"]
RemoveHow = Literal["delete", "note"]

# Bot API deleteMessage: "A message can only be deleted if it was sent less than 48 hours ago".
DELETE_WINDOW = dt.timedelta(hours=48)
# Plan a note instead of a delete a little before the limit: the delete may wait in the flood
# limiter, and a refused delete costs a request (the executor still falls back to the note).
DELETE_MARGIN = dt.timedelta(minutes=30)


@dataclass(frozen=True)
class OldPart:
    """One message the chat holds, as journaled."""

    slot: int  # the journal's part number for this chat (unique, stable while correcting)
    message_id: int
    content_hash: str
    kind: PartKind
    media: str | None = None  # photo URL of a photo part (decides caption edit vs media edit)
    sent_at: dt.datetime | None = None  # None: unknown, treated as too old to delete


@dataclass(frozen=True)
class NewPart:
    """One part of the digest as it renders now (position = its index in send order)."""

    position: int
    content_hash: str
    kind: PartKind
    media: str | None = None


@dataclass(frozen=True)
class Keep:
    slot: int
    position: int


@dataclass(frozen=True)
class Edit:
    slot: int
    position: int
    message_id: int
    method: EditMethod


@dataclass(frozen=True)
class Send:
    position: int
    reply_to: int | None  # message id of the push's first message


@dataclass(frozen=True)
class Remove:
    slot: int
    message_id: int
    kind: PartKind
    how: RemoveHow


@dataclass(frozen=True)
class Plan:
    keeps: tuple[Keep, ...] = ()
    edits: tuple[Edit, ...] = ()
    sends: tuple[Send, ...] = ()
    removals: tuple[Remove, ...] = ()

    @property
    def empty(self) -> bool:
        """Nothing to do in Telegram (the journal may still need its positions renumbered)."""
        return not (self.edits or self.sends or self.removals)

    @property
    def touched_slots(self) -> set[int]:
        return {e.slot for e in self.edits} | {r.slot for r in self.removals}

    def final_slots(self) -> dict[int, int]:
        """position -> slot for every new part held by an old message once the plan is done."""
        out = {k.position: k.slot for k in self.keeps}
        out.update({e.position: e.slot for e in self.edits})
        return out


def _edit_method(old: OldPart, new: NewPart) -> EditMethod:
    if new.kind == "rich":
        return "editRich"
    if new.kind == "photo":
        return "editMessageCaption" if old.media == new.media else "editMessageMedia"
    return "editMessageText"


def _removal(old: OldPart, now: dt.datetime) -> Remove:
    deletable = old.sent_at is not None and now - old.sent_at < DELETE_WINDOW - DELETE_MARGIN
    return Remove(old.slot, old.message_id, old.kind, "delete" if deletable else "note")


def plan_correction(old: Sequence[OldPart], new: Sequence[NewPart], *, now: dt.datetime) -> Plan:
    """The actions that make a chat holding `old` (in send order) show exactly `new`."""
    keeps: list[Keep] = []
    edits: list[Edit] = []
    added: list[NewPart] = []
    gone: list[OldPart] = []
    matcher = difflib.SequenceMatcher(
        None, [p.content_hash for p in old], [p.content_hash for p in new], autojunk=False
    )
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            keeps.extend(
                Keep(old[i].slot, new[j].position)
                for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
            )
            continue
        olds, news = list(old[i1:i2]), list(new[j1:j2])
        for o, n in zip(olds, news, strict=False):
            if o.kind == n.kind:
                edits.append(Edit(o.slot, n.position, o.message_id, _edit_method(o, n)))
            else:
                gone.append(o)
                added.append(n)
        gone.extend(olds[len(news) :])
        added.extend(news[len(olds) :])
    # A part shown out of order (sent by a correction that crashed before renumbering) is
    # kept where it is: removing and sending it again would repeat it.
    for n in list(added):
        twin = next(
            (o for o in gone if o.content_hash == n.content_hash and o.kind == n.kind), None
        )
        if twin is not None:
            gone.remove(twin)
            added.remove(n)
            keeps.append(Keep(twin.slot, n.position))
    first = old[0].message_id if old else None
    sends = [Send(n.position, first) for n in sorted(added, key=lambda p: p.position)]
    return Plan(
        tuple(sorted(keeps, key=lambda k: k.position)),
        tuple(sorted(edits, key=lambda e: e.position)),
        tuple(sends),
        tuple(_removal(o, now) for o in gone),
    )


__all__ = [
    "DELETE_WINDOW",
    "Edit",
    "Keep",
    "NewPart",
    "OldPart",
    "PartKind",
    "Plan",
    "Remove",
    "Send",
    "plan_correction",
]
