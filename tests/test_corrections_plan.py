"""Property tests of the correction planner on GENERATED digests and random edits of them.

A chat is simulated as message id -> content: the plan applied to the old parts must leave the
chat showing exactly the new parts (each part once, nothing else but "removed" notes), touching
in `sections` only the messages of the sections that changed; re-planning after a crash at any
step never sends a part twice.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.delivery.corrections_plan import (
    DELETE_WINDOW,
    Edit,
    OldPart,
    Plan,
    Remove,
    Send,
    plan_correction,
)
from bot.delivery.parts import new_parts
from bot.digest.calls import build_calls
from bot.digest.model import Digest, OutgoingMessage
from bot.digest.split import build_messages

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
NOW = dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)
WORDS = ["alpha", "beta", "gamma", "中文", "日报", "<&>", "*bold*", "`code`", "naïve", "😀"]


@dataclass(frozen=True)
class Doc:
    """A digest as data that is easy to edit: sections of items (text, repeat count)."""

    summary: str
    cover: str | None
    sections: tuple[tuple[str, tuple[tuple[str, int], ...]], ...]

    def digest(self) -> Digest:
        body = []
        for title, items in self.sections:
            body.append(f"## {title}")
            for n, (text, repeat) in enumerate(items):
                body.append(f"### [Item {n} {text}](https://example.com/{n})")
                body.append(" ".join([text] * repeat))
        return Digest(
            id="20261201-0badcafe",
            path=Path("gen.md"),
            title="Generated digest",
            date=dt.date(2026, 12, 1),
            body="\n\n".join(body) + "\n",
            summary=self.summary,
            cover_image=self.cover,
        )


item = st.tuples(
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=6).map(" ".join),
    st.sampled_from([1, 1, 2, 40, 400]),
)


@st.composite
def docs(draw: st.DrawFn) -> Doc:
    count = draw(st.integers(1, 6))
    sections = tuple(
        (f"Section {n}", tuple(draw(st.lists(item, min_size=1, max_size=5)))) for n in range(count)
    )
    return Doc(
        draw(st.sampled_from(["A summary.", "Another summary."])),
        draw(st.sampled_from([None, "https://example.com/a.png"])),
        sections,
    )


@st.composite
def edited(draw: st.DrawFn, doc: Doc) -> tuple[Doc, set[str | None]]:
    """`doc` after 1-3 random edits, and the sections they changed (None: the header)."""
    changed: set[str | None] = set()
    sections = [list(s) for s in doc.sections]
    fresh = 100
    for _ in range(draw(st.integers(1, 3))):
        op = draw(
            st.sampled_from(
                ["item", "add", "drop", "drop_section", "new_section", "summary", "cover"]
            )
        )
        if op == "summary":
            doc = replace(doc, summary=doc.summary + " Fixed.")
            changed.add(None)
            continue
        if op == "cover":
            doc = replace(doc, cover=draw(st.sampled_from([None, "https://example.com/b.png"])))
            changed.add(None)
            continue
        if op == "new_section":
            fresh += 1
            where = draw(st.integers(0, len(sections)))
            sections.insert(
                where, [f"Section {fresh}", tuple(draw(st.lists(item, min_size=1, max_size=3)))]
            )
            changed.add(f"Section {fresh}")
            continue
        if not sections:
            continue
        k = draw(st.integers(0, len(sections) - 1))
        title, items = sections[k][0], list(sections[k][1])
        if op == "drop_section":
            del sections[k]
            changed.add(title)
            continue
        n = draw(st.integers(0, len(items) - 1))
        if op == "item":
            text, repeat = items[n]
            items[n] = (text + " typo", repeat)
        elif op == "add":
            items.insert(n, draw(item))
        elif len(items) > 1:
            del items[n]
        sections[k][1] = tuple(items)
        changed.add(title)
    return replace(doc, sections=tuple((t, tuple(i)) for t, i in sections)), changed


# ------------------------------------------------------------------ a simulated chat + journal


def _seen(message: OutgoingMessage) -> tuple[str, str | None]:
    return message.html, message.photo


@dataclass
class Row:
    slot: int
    message_id: int
    content: OutgoingMessage
    sent_at: dt.datetime


class Chat:
    """Messages (id -> html) and the journal the executor keeps, applying one action at a time."""

    def __init__(self, messages: list[OutgoingMessage], sent_at: dt.datetime) -> None:
        self.shown: dict[int, object] = {}  # message id -> what the reader sees
        self.rows: list[Row] = []
        self.sends = 0
        for n, message in enumerate(messages):
            self.shown[100 + n] = _seen(message)
            self.rows.append(Row(n, 100 + n, message, sent_at))
        self.next_id = 100 + len(messages)

    def old_parts(self) -> list[OldPart]:
        parts = new_parts([r.content for r in self.rows])
        return [
            OldPart(r.slot, r.message_id, p.content_hash, p.kind, p.media, r.sent_at)
            for r, p in zip(self.rows, parts, strict=True)
        ]

    def actions(self, plan: Plan, new: list[OutgoingMessage]) -> list:
        return [
            *((a, new) for a in plan.edits),
            *((a, new) for a in plan.sends),
            *((a, new) for a in plan.removals),
        ]

    def apply(self, action: Edit | Send | Remove, new: list[OutgoingMessage]) -> None:
        if isinstance(action, Edit):
            row = next(r for r in self.rows if r.slot == action.slot)
            self.shown[row.message_id] = _seen(new[action.position])
            row.content = new[action.position]
        elif isinstance(action, Send):
            self.sends += 1
            self.shown[self.next_id] = _seen(new[action.position])
            self.rows.append(
                Row(
                    max(r.slot for r in self.rows) + 1 if self.rows else 0,
                    self.next_id,
                    new[action.position],
                    NOW,
                )
            )
            self.next_id += 1
        else:
            row = next(r for r in self.rows if r.slot == action.slot)
            if action.how == "delete":
                del self.shown[row.message_id]
            else:
                self.shown[row.message_id] = "(removed in a correction)"
            self.rows.remove(row)


def _check_final(chat: Chat, plan: Plan, new: list[OutgoingMessage]) -> None:
    """After the plan, nothing left to do, and the journal maps each new part to a message."""
    again = plan_correction(chat.old_parts(), new_parts(new), now=NOW)
    assert again.empty, again
    slots = again.final_slots()
    assert sorted(slots) == list(range(len(new)))
    by_slot = {r.slot: r for r in chat.rows}
    ids = [by_slot[slots[p]].message_id for p in range(len(new))]
    assert len(set(ids)) == len(ids)
    assert [chat.shown[i] for i in ids] == [_seen(m) for m in new]
    others = set(chat.shown) - set(ids)
    assert all(chat.shown[i] == "(removed in a correction)" for i in others)


@SETTINGS
@given(st.data())
def test_plan_applied_to_old_parts_yields_exactly_the_new_parts(data: st.DataObject) -> None:
    doc = data.draw(docs())
    after, _ = data.draw(edited(doc))
    old, new = build_messages(doc.digest()), build_messages(after.digest())
    age = data.draw(st.sampled_from([dt.timedelta(hours=1), DELETE_WINDOW]))
    chat = Chat(old, NOW - age)
    plan = plan_correction(chat.old_parts(), new_parts(new), now=NOW)
    # unchanged parts are never touched: no "message is not modified" calls
    for edit in plan.edits:
        assert old[edit.slot].to_json() != new[edit.position].to_json()
    for action, msgs in chat.actions(plan, new):
        chat.apply(action, msgs)
    assert chat.sends == len(plan.sends)
    _check_final(chat, plan, new)
    if age >= DELETE_WINDOW:  # too old to delete: every removal is a note
        assert all(r.how == "note" for r in plan.removals)


@SETTINGS
@given(st.data())
def test_sections_layout_touches_only_the_changed_sections(data: st.DataObject) -> None:
    doc = data.draw(docs())
    after, changed = data.draw(edited(doc))
    old, new = build_messages(doc.digest()), build_messages(after.digest())
    plan = plan_correction(Chat(old, NOW).old_parts(), new_parts(new), now=NOW)
    touched = {old[slot].section for slot in plan.touched_slots}
    assert touched <= changed
    assert {new[s.position].section for s in plan.sends} <= changed
    # the header is one part of its own: a fix in a section never re-sends or edits it
    if None not in changed:
        assert all(old[s].section is not None for s in plan.touched_slots)


@SETTINGS
@given(st.data())
def test_a_crash_at_any_step_then_a_new_plan_never_sends_a_part_twice(data: st.DataObject) -> None:
    doc = data.draw(docs())
    after, _ = data.draw(edited(doc))
    old, new = build_messages(doc.digest()), build_messages(after.digest())
    chat = Chat(old, NOW - dt.timedelta(hours=2))
    plan = plan_correction(chat.old_parts(), new_parts(new), now=NOW)
    steps = chat.actions(plan, new)
    crash_at = data.draw(st.integers(0, len(steps)))
    for action, msgs in steps[:crash_at]:
        chat.apply(action, msgs)
    # the restarted process plans again from the journal as the crash left it
    resumed = plan_correction(chat.old_parts(), new_parts(new), now=NOW)
    for action, msgs in chat.actions(resumed, new):
        chat.apply(action, msgs)
    assert chat.sends == len(plan.sends)  # each new part sent once over both runs
    _check_final(chat, resumed, new)


def test_a_changed_cover_is_a_media_edit_and_a_changed_caption_a_caption_edit() -> None:
    doc = Doc("Sum.", "https://example.com/a.png", (("S", (("x", 1),)),))
    old = build_messages(doc.digest())
    chat = Chat(old, NOW)
    photo = build_messages(replace(doc, cover="https://example.com/b.png").digest())
    caption = build_messages(replace(doc, summary="Other.").digest())
    media_plan = plan_correction(chat.old_parts(), new_parts(photo), now=NOW)
    caption_plan = plan_correction(chat.old_parts(), new_parts(caption), now=NOW)
    assert [e.method for e in media_plan.edits] == ["editMessageMedia"]
    assert [e.method for e in caption_plan.edits] == ["editMessageCaption"]
    assert not media_plan.sends and not caption_plan.sends


def test_a_photo_part_never_becomes_a_text_edit() -> None:
    doc = Doc("Sum.", "https://example.com/a.png", (("S", (("x", 1),)),))
    old = build_messages(doc.digest())
    new = build_messages(replace(doc, cover=None).digest())
    plan = plan_correction(Chat(old, NOW).old_parts(), new_parts(new), now=NOW)
    assert [(r.kind, r.how) for r in plan.removals] == [("photo", "delete")]
    assert [s.position for s in plan.sends] == [0]
    assert all(s.reply_to == 100 for s in plan.sends)  # the push's first message


def test_a_shrunk_section_moves_into_the_packed_message_before_it() -> None:
    # found by hypothesis: in compact, a long last section has messages of its own; cut short,
    # it fits the message before it, which is edited to hold it, and its old messages go
    long = (("alpha", 1), ("alpha", 1), ("alpha alpha", 400))
    doc = Doc("A summary.", None, (("Section 0", (("alpha", 1),)), ("Section 2", long)))
    after = replace(doc, sections=(doc.sections[0], ("Section 2", long[:2])))
    old, new = build_calls(doc.digest(), "compact"), build_calls(after.digest(), "compact")
    # header | Section 0 | Section 2 in three; after: header | Section 0 + Section 2
    assert [len(old), len(new)] == [5, 2] and "Section 2" in new[1].html
    chat = Chat(old, NOW)  # type: ignore[arg-type]
    plan = plan_correction(chat.old_parts(), new_parts(new), now=NOW)
    assert plan.touched_slots == {1, 2, 3, 4} and not plan.sends  # the header stays as it is
    assert [r.slot for r in plan.removals] == [2, 3, 4]
    for action, calls in chat.actions(plan, new):  # type: ignore[arg-type]
        chat.apply(action, calls)
    _check_final(chat, plan, new)  # type: ignore[arg-type]


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.data(), st.sampled_from(["compact", "rich"]))
def test_packed_layouts_touch_at_most_the_messages_from_the_changed_one_onward(
    data: st.DataObject, layout: str
) -> None:
    doc = data.draw(docs())
    after, changed = data.draw(edited(doc))
    old, new = build_calls(doc.digest(), layout), build_calls(after.digest(), layout)
    chat = Chat(old, NOW)  # type: ignore[arg-type]  # calls carry html and photo alike
    plan = plan_correction(chat.old_parts(), new_parts(new), now=NOW)
    # where the changes sit in the old messages: the message of the old section before a changed
    # or new section (packing may fill that one: a section that shrinks or a new one can move
    # into it); a packed message names only its first section, so look at the text; None: the
    # header
    before = {t for t, _ in doc.sections}
    old_order = [t for t, _ in doc.sections]
    order = [t for t, _ in after.sections]
    anchors: set[str | None] = set()
    for title in changed:
        if title is None:
            anchors.add(None)
            continue
        if title in before:
            k = old_order.index(title) - 1
            anchors.add(old_order[k] if k >= 0 else None)
            continue
        k = order.index(title) - 1
        while k >= 0 and order[k] not in before:
            k -= 1
        anchors.add(order[k] if k >= 0 else None)
    titles = [re.compile(re.escape(t) + r"(?!\d)") for t in anchors if t is not None]
    holding = [n for n, call in enumerate(old) if any(t.search(call.html) for t in titles)]
    first = 0 if None in anchors else min(holding, default=len(old))
    assert all(slot >= first for slot in plan.touched_slots)
    assert all(s.position >= first for s in plan.sends)
    for action, calls in chat.actions(plan, new):  # type: ignore[arg-type]
        chat.apply(action, calls)
    _check_final(chat, plan, new)  # type: ignore[arg-type]
