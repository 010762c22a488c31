"""Push jobs and per-part claims in the store (bot/store/jobs.py): the rules that make one part
have one sender, across connections and processes."""

from __future__ import annotations

import asyncio
import random
import socket
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.store import Store
from bot.store.jobs import new_owner, owner_alive, retire_owner

TTL = 30.0


async def test_a_claimed_part_is_busy_for_others_until_journaled(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    async with await Store.open(path) as a, await Store.open(path) as b:
        me, other = new_owner(), new_owner()
        assert await a.claim_part("d", -1, None, 0, owner=me, ttl=TTL) == "claimed"
        assert await b.claim_part("d", -1, None, 0, owner=other, ttl=TTL) == "busy"
        assert await b.part_state("d", -1, None, 0) == "busy"
        assert await b.claim_part("d", -1, 7, 0, owner=other, ttl=TTL) == "claimed"  # topic
        assert await a.deliver_claimed("d", -1, None, 0, owner=me, message_id=5, content_hash="h0")
        assert await b.claim_part("d", -1, None, 0, owner=other, ttl=TTL) == "delivered"
        assert await b.delivered_hashes("d", -1, None) == {0: "h0"}
        # a release frees the part at once
        assert await a.claim_part("d", -1, None, 1, owner=me, ttl=TTL) == "claimed"
        await a.release_part("d", -1, None, 1, owner=me)
        assert await b.claim_part("d", -1, None, 1, owner=other, ttl=TTL) == "claimed"


async def test_claims_of_a_dead_owner_are_taken_over(tmp_path: Path) -> None:
    async with await Store.open(tmp_path / "db.sqlite3") as store:
        dead, alive = new_owner(), new_owner()
        assert await store.claim_part("d", -1, None, 0, owner=dead, ttl=TTL) == "claimed"
        retire_owner(dead)  # this process: closed; another process: its pid is gone
        assert owner_alive(dead) is False
        assert await store.claim_part("d", -1, None, 0, owner=alive, ttl=TTL) == "claimed"
        # a pid that does not exist on this host
        ghost = f"{socket.gethostname()}:{2**22 + 12345}:abcd"
        assert owner_alive(ghost) is False
        # an owner on another host: only the expiry counts
        remote = "elsewhere.example:123:beef"
        assert owner_alive(remote) is None
        assert await store.claim_part("d", -1, None, 1, owner=remote, ttl=TTL) == "claimed"
        assert await store.claim_part("d", -1, None, 1, owner=alive, ttl=TTL) == "busy"
        assert await store.claim_part("d", -1, None, 2, owner=remote, ttl=-1) == "claimed"
        assert await store.claim_part("d", -1, None, 2, owner=alive, ttl=TTL) == "claimed"


async def test_unfinished_jobs_of_a_dead_owner_are_adopted_once(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    async with await Store.open(path) as a, await Store.open(path) as b:
        dead, live = new_owner(), new_owner()
        job = await a.create_job(
            "d", "manual", [(-1, None), (-2, 5)], owner=dead, requested_by=42, report_chat=42
        )
        done = await a.create_job("e", "cli", [(-1, None)], owner=dead)
        await a.finish_job(done, ok=True, summary="fine")
        assert await b.adopt_stale_jobs(new_owner(), TTL) == []  # its owner is alive
        retire_owner(dead)
        adopted = await b.adopt_stale_jobs(live, TTL)
        assert [(j.id, j.kind, j.requested_by) for j in adopted] == [(job, "manual", 42)]
        assert [(t.chat_id, t.thread_id, t.layout) for t in adopted[0].targets] == [
            (-1, None, "classic"),
            (-2, 5, "classic"),
        ]
        assert await a.adopt_stale_jobs(new_owner(), TTL) == []  # now `live`'s


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), pushers=st.integers(2, 4), crash=st.booleans())
def test_every_part_has_one_sender_whatever_the_interleaving(
    tmp_path_factory, seed: int, pushers: int, crash: bool
) -> None:
    """Pushers on separate connections run claim -> "send" -> journal over the same parts in
    random interleavings; one may die after a claim. Each part is "sent" exactly once, except
    the one a dead pusher claimed and may have sent (then at most twice)."""
    path = tmp_path_factory.mktemp("claims") / "db.sqlite3"
    parts = 6
    rng = random.Random(seed)
    sends: list[tuple[str, int]] = []

    async def pusher(store: Store, owner: str, dies_at: int | None) -> None:
        part = 0
        while part < parts:
            state = await store.claim_part("d", -1, None, part, owner=owner, ttl=TTL)
            if state == "delivered":
                part += 1
                continue
            if state == "busy":
                await asyncio.sleep(rng.random() / 1000)
                continue
            await asyncio.sleep(rng.random() / 1000)  # the request in flight
            sends.append((owner, part))
            if part == dies_at:  # killed after sending, before journaling
                retire_owner(owner)
                return
            await store.deliver_claimed(
                "d", -1, None, part, owner=owner, message_id=part, content_hash=None
            )
            part += 1

    async def run() -> None:
        stores = [await Store.open(path) for _ in range(pushers)]
        try:
            owners = [new_owner() for _ in stores]
            dies = [rng.randrange(parts) if crash and n == 0 else None for n in range(pushers)]
            await asyncio.gather(
                *(pusher(s, o, d) for s, o, d in zip(stores, owners, dies, strict=True))
            )
            rows = await stores[0].delivered_parts("d", -1, None)
            assert sorted(rows) == list(range(parts))  # nothing lost
        finally:
            for store in stores:
                await store.close()
        counts = [sum(1 for _, p in sends if p == part) for part in range(parts)]
        assert all(c >= 1 for c in counts)
        repeated = [part for part, c in enumerate(counts) if c > 1]
        assert len(repeated) <= (1 if crash else 0), (sends, counts)
        assert all(counts[p] == 2 for p in repeated)

    asyncio.run(run())
