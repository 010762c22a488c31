"""Run the fake Bot API server for manual trials: ``python -m bot.standin [--port 8081]``.

Point the bot at it (base URL and token are printed), then type lines: each becomes a message from
the private user "Alice" (id 1001). Lines starting with ``!`` are console commands (``!help``).
Everything the bot sends is printed as its raw HTML. Other processes can drive the same server
through the ``/_control/...`` HTTP API (see ``bot/standin/__init__.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys

from bot.standin.server import FakeTelegram
from bot.standin.state import SentMessage

ALICE = 1001
GROUP = -1001001
FORUM = -1001002
CHANNEL = -1001003

HELP = """console commands:
  <text>                       Alice writes <text> to the bot in private
  !group <text>                Alice writes in the supergroup  -1001001
  !topic <thread> <text>       Alice writes in forum topic <thread> of -1001002 (2: News)
  !anon <text>                 an anonymous admin writes in the supergroup
  !channel <text>              a post in the channel -1001003 (@fake_digest_channel)
  !press <chat> <msg> <data>   Alice presses an inline button
  !fail <chat> <kind> [n]      inject 429|500|502|timeout|parse|rich for the next n sends
  !kick <chat> | !block        kick the bot from a chat / Alice blocks the bot
  !stats | !help | !quit"""


def _show(message: SentMessage) -> None:
    where = f"{message.chat_id}" + (
        f"/{message.message_thread_id}" if message.message_thread_id else ""
    )
    head = f"--- bot {message.method} -> {where} #{message.message_id}"
    if message.photo:
        head += f" photo={message.photo}"
    print(head)
    # a rich message reads better as its plain rendering than as its markup
    print(message.parsed_text if message.rich_message is not None else message.html)
    for button in message.buttons:
        target = button.get("callback_data") or button.get("url") or ""
        print(f"  [{button.get('text')}] -> {target}")
    sys.stdout.flush()


async def _console(tg: FakeTelegram) -> None:
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            return
        line = line.rstrip("\n")
        if not line.strip():
            continue
        try:
            if not await _dispatch(tg, line):
                return
        except (ValueError, KeyError, IndexError) as err:
            print(f"! {err!r}")


async def _dispatch(tg: FakeTelegram, line: str) -> bool:
    if not line.startswith("!"):
        await tg.send_text(ALICE, ALICE, line)
        return True
    command, _, rest = line[1:].partition(" ")
    args = rest.split()
    if command == "quit":
        return False
    if command == "help":
        print(HELP)
    elif command == "group":
        await tg.send_text(GROUP, ALICE, rest)
    elif command == "topic":
        thread, _, text = rest.partition(" ")
        await tg.send_text(FORUM, ALICE, text, thread_id=int(thread))
    elif command == "anon":
        await tg.send_text(GROUP, None, rest, anonymous_admin=True)
    elif command == "channel":
        await tg.send_channel_post(CHANNEL, rest)
    elif command == "press":
        await tg.press_button(int(args[0]), ALICE, int(args[1]), " ".join(args[2:]))
    elif command == "fail":
        tg.fail_next(
            int(args[0]),
            args[1],  # type: ignore[arg-type]
            int(args[2]) if len(args) > 2 else 1,
            hold=30.0,
        )
    elif command == "kick":
        tg.kick_bot(int(args[0]))
    elif command == "block":
        tg.block_bot(ALICE)
    elif command == "stats":
        print(tg.stats.to_json())
    else:
        print(f"unknown command !{command}; try !help")
    return True


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bot.standin",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default=None, help="use this token instead of a random one")
    parser.add_argument("--speed", type=float, default=1.0, help="flood limit speed factor")
    parser.add_argument("--no-flood-limits", action="store_true")
    parser.add_argument(
        "--no-rich-messages",
        action="store_true",
        help="behave like a Bot API server older than 10.1 (sendRichMessage 404)",
    )
    args = parser.parse_args(argv)
    tg = FakeTelegram(
        host=args.host,
        port=args.port,
        token=args.token,
        speed=args.speed,
        flood_limits=not args.no_flood_limits,
        rich_messages=not args.no_rich_messages,
    )
    tg.add_private_chat(ALICE, "Alice", username="alice")
    tg.add_supergroup(GROUP, "Fake group", {ALICE: "creator"}, bot_status="administrator")
    tg.add_supergroup(
        FORUM,
        "Fake forum",
        {ALICE: "creator"},
        topics={2: "News", 3: "Chat"},
        bot_status="administrator",
    )
    tg.add_channel(CHANNEL, "Fake channel", username="@fake_digest_channel")
    tg.on_sent.append(_show)
    async with tg:
        print(f"fake Telegram Bot API on {tg.url}")
        print(f"  TELEGRAM_TOKEN={tg.token}")
        print(f"  base_url={tg.base_url}  base_file_url={tg.base_file_url}")
        print(
            f"  chats: private {ALICE} (Alice), supergroup {GROUP}, forum {FORUM} "
            f"(topics 2, 3), channel {CHANNEL} (@fake_digest_channel)"
        )
        print("type a line to message the bot as Alice; !help for more")
        sys.stdout.flush()
        await _console(tg)


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
