"""Issue 7 against the real bot and the strict fake: a failing "Pushing…" acknowledgement never
stops a /post, forged button presses edit nothing, and one user flooding /today neither starves
other users nor a push."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.delivery.ratelimit import FloodLimiter
from bot.standin import FakeTelegram
from handlers.guard import SLOW_DOWN
from tests.delivery_helpers import write_digest
from tests.harness import running_bot
from tests.test_admin import (
    ADMIN,
    CHANNEL,
    DAY,
    GROUP,
    admin_bot,
    newest_parts,
    wait_summary,
)

FLOODER, OTHER_USER = 9001, 9002


@pytest.mark.parametrize(
    ("kind", "times", "hold"),
    [
        ("500", 3, 0.0),  # three 500s: more than the acknowledgement's tries
        ("timeout", 1, 0.0),  # the connection dropped without an answer
        ("timeout", 1, 30.0),  # a hang: no answer until the client gives up
    ],
    ids=["500x3", "dropped", "hang"],
)
async def test_post_completes_whatever_happens_to_the_acknowledgement(
    fast_telegram, tmp_path, kind, times, hold
):
    tg = fast_telegram
    async with admin_bot(tg, tmp_path) as bot:
        parts = await newest_parts(bot)
        tg.fail_next(ADMIN, kind, times, hold=hold)  # the next message to the admin fails
        await tg.send_text(ADMIN, ADMIN, "/post")
        summary = await tg.wait_for(
            lambda m: m.chat_id == ADMIN and "targets complete" in m.parsed_text, timeout=60
        )
        assert "2 of 2 targets complete" in summary.parsed_text
        assert len(tg.sent_to(GROUP)) == parts and len(tg.sent_to(CHANNEL)) == parts
        jobs = await bot.services.store.job_states()
        assert [state for *_, state in jobs] == ["done"]


async def test_forged_button_presses_edit_no_pushed_part(fast_telegram, tmp_path):
    tg = fast_telegram
    async with admin_bot(tg, tmp_path) as bot:
        await bot.ask(ADMIN, ADMIN, "/post")
        await wait_summary(tg, ADMIN)
        await bot.services.jobs.wait()
        pushed = tg.sent_to(GROUP)
        digest_id = (await bot.services.store.latest()).id
        assert pushed
        for message in (pushed[0], pushed[-1]):
            for data in (
                "a:0",
                "g:0",
                f"o:{digest_id}",
                f"t:0:{digest_id[:8]}",
                "d:20261125",
                "s:0:abc",
            ):
                edits_before, sent_before = len(tg.edits), len(tg.sent)
                query = tg.forge_button_press(GROUP, ADMIN, message.message_id, data)
                await bot.settle()
                assert tg.edits[edits_before:] == [], data
                assert tg.sent[sent_before:] == [], data
                assert query in tg.callback_answers  # answered: no spinner left on the client
        # a real interactive list still pages with its own buttons
        listing = (await bot.ask(GROUP, ADMIN, "/archive"))[-1]
        assert listing.buttons
        sent, edits = await bot.press(
            GROUP, ADMIN, listing.message_id, listing.buttons[0]["callback_data"]
        )
        assert edits or sent  # the archive's own button is served


def _flood_digest(root) -> None:
    write_digest(root, DAY, sections=4)  # 5 parts


async def _timed_push(bot, tg: FakeTelegram, groups: list[int]) -> float:
    digest = (await bot.services.catalog.find_digests(None))[0]
    parts = len(bot.services.catalog.messages(digest))
    start = time.monotonic()
    await tg.send_text(ADMIN, ADMIN, f"/post {DAY.isoformat()}")
    await tg.wait_until(lambda: all(len(tg.sent_to(g)) >= parts for g in groups), timeout=120)
    return time.monotonic() - start


async def test_one_user_flooding_today_starves_neither_readers_nor_a_push(tmp_path):
    groups = [-1003000 - n for n in range(20)]
    _flood_digest(tmp_path / "content")
    # Telegram's real limits: the reply pacing (1 msg/s in the flooder's chat) is the point
    async with FakeTelegram() as tg:
        for user in (ADMIN, FLOODER, OTHER_USER):
            tg.add_private_chat(user, f"User {user}")
        for group in groups:
            tg.add_supergroup(group, f"Group {group}")
        env = {"DIGEST_CHATS": ",".join(str(g) for g in groups), "TIMEZONE": "UTC"}
        async with running_bot(
            tg, tmp_path, admins=[ADMIN], env_overrides=env, limiter=FloodLimiter()
        ) as bot:
            # the baseline: the same push, same bot, nobody flooding
            baseline = await _timed_push(bot, tg, groups)
            await bot.services.jobs.wait()
            # forget the journal so the same push has everything to do again
            await bot.services.store._db.execute("DELETE FROM deliveries")
            tg.reset_records()

            for _ in range(300):
                await tg.send_text(FLOODER, FLOODER, "/today")
            asked = time.monotonic()
            await tg.send_text(OTHER_USER, OTHER_USER, "/help")
            push = asyncio.create_task(_timed_push(bot, tg, groups))
            await tg.wait_for(lambda m: m.chat_id == OTHER_USER, timeout=30)
            help_latency = time.monotonic() - asked
            flooded = await push
            await bot.services.jobs.wait()
            assert help_latency < 5, f"/help took {help_latency:.1f}s"
            assert flooded < 2 * baseline + 1, f"push {flooded:.1f}s vs {baseline:.1f}s alone"
            await bot.settle(timeout=60)
            to_flooder = [m.parsed_text for m in tg.sent_to(FLOODER)]
            # one digest (5 parts), a "still sending" note and one polite slow-down notice: not
            # 300 digests
            assert len(to_flooder) <= 5 + 3, to_flooder
            assert SLOW_DOWN in to_flooder
            assert sum(text.startswith("Digest of") for text in to_flooder) == 1
