"""The fake server is as strict as Telegram about the edits and deletes a correction makes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import Bot, InputMediaPhoto
from telegram.error import BadRequest, RetryAfter

from bot.standin import FakeTelegram

GROUP = -100500
PHOTO = "https://example.com/a.png"


@pytest.fixture
async def unlimited() -> AsyncIterator[FakeTelegram]:
    """Flood limits off: these tests are about what is accepted, not how fast."""
    async with FakeTelegram(flood_limits=False) as tg:
        yield tg


async def _bot(tg: FakeTelegram) -> Bot:
    bot = Bot(tg.token, base_url=tg.base_url)
    await bot.initialize()
    return bot


async def test_text_caption_and_media_edits_are_checked_and_recorded(
    unlimited: FakeTelegram,
) -> None:
    tg = unlimited
    tg.add_supergroup(GROUP, "G")
    bot = await _bot(tg)
    text = await bot.send_message(GROUP, "<b>old</b>", parse_mode="HTML")
    photo = await bot.send_photo(GROUP, PHOTO, caption="cap", parse_mode="HTML")
    await bot.edit_message_text("<b>new</b>", GROUP, text.message_id, parse_mode="HTML")
    await bot.edit_message_caption(
        GROUP, photo.message_id, caption="<i>cap 2</i>", parse_mode="HTML"
    )
    await bot.edit_message_media(
        InputMediaPhoto("https://example.com/b.png", caption="cap 3"), GROUP, photo.message_id
    )
    assert [(e.method, e.parsed_text) for e in tg.edits] == [
        ("editMessageText", "new"),
        ("editMessageCaption", "cap 2"),
        ("editMessageMedia", "cap 3"),
    ]
    assert tg.edits[-1].photo == "https://example.com/b.png"
    # the same content again: Telegram's "not modified", for each kind of edit
    for call in (
        bot.edit_message_text("<b>new</b>", GROUP, text.message_id, parse_mode="HTML"),
        bot.edit_message_caption(GROUP, photo.message_id, caption="cap 3"),
        bot.edit_message_media(
            InputMediaPhoto("https://example.com/b.png", caption="cap 3"), GROUP, photo.message_id
        ),
    ):
        with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
            await call
    # kinds do not mix: no caption on a text message, no media in place of text
    with pytest.raises(BadRequest, match=r"(?i)no caption in the message"):
        await bot.edit_message_caption(GROUP, text.message_id, caption="x")
    with pytest.raises(BadRequest, match=r"(?i)no media in the message"):
        await bot.edit_message_media(InputMediaPhoto(PHOTO), GROUP, text.message_id)
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.edit_message_caption(GROUP, photo.message_id, caption="<b>x", parse_mode="HTML")
    await bot.shutdown()


async def test_gone_and_locked_messages_and_the_48_hour_delete_window(
    unlimited: FakeTelegram,
) -> None:
    tg = unlimited
    tg.add_group(-500, "Basic")
    bot = await _bot(tg)
    a, b, c = [await bot.send_message(-500, f"m{n}") for n in range(3)]
    tg.delete_as_admin(-500, a.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", -500, a.message_id)
    tg.make_uneditable(-500, b.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message can't be edited"):
        await bot.edit_message_text("x", -500, b.message_id)
    assert await bot.delete_message(-500, b.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(-500, b.message_id)
    tg.advance_clock(48 * 3600 + 1)
    with pytest.raises(BadRequest, match=r"(?i)message can't be deleted"):
        await bot.delete_message(-500, c.message_id)
    await bot.edit_message_text("still editable", -500, c.message_id)  # edits have no window
    assert tg.deleted == [(-500, b.message_id)]
    await bot.shutdown()


async def test_edits_count_against_the_flood_limits(fake_telegram: FakeTelegram) -> None:
    tg = fake_telegram
    tg.add_private_chat(9, "Reader")
    bot = await _bot(tg)
    sent = await bot.send_message(9, "v0")
    with pytest.raises(RetryAfter):  # a burst of 3 per chat, the send used one
        for n in range(1, 5):
            await bot.edit_message_text(f"v{n}", 9, sent.message_id)
    assert tg.stats.sent_429 == 1
    assert len(tg.edits) == 2
    await bot.shutdown()


async def test_injected_edit_faults(unlimited: FakeTelegram) -> None:
    tg = unlimited
    tg.add_supergroup(GROUP, "G")
    bot = await _bot(tg)
    sent = await bot.send_message(GROUP, "v0")
    tg.fail_next(GROUP, "not_modified")
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("v1", GROUP, sent.message_id)
    tg.fail_next(GROUP, "edit_not_found")
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("v1", GROUP, sent.message_id)
    assert tg.edits == []
    await bot.shutdown()
