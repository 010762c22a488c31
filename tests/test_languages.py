"""End to end in both languages: the real bot against the fake server.

A `zh-hans` reader gets Chinese replies and menus, an `en` one English; groups follow
BOT_LANGUAGE or what a chat admin set with /language; one INFO line per command, never its text.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import pytest

from bot.i18n import SIMPLIFIED, _, use_language
from bot.standin import FakeTelegram
from tests.harness import RunningBot, digest_text, running_bot

ZH_USER, EN_USER, ADMIN = 2001, 2002, 2003
GROUP = -1002000000001
FORUM = -1002000000002

FILES = {
    "2026-01-25.md": digest_text(
        "2026-01-25",
        "AI 日报 第 25 期",
        {"模型": ["通义千问发布"]},
        tags=["AI 日报", "This Week in Rust"],
        summary="今日要点：\n- 通义千问发布\n- Rust 1.90",
    ),
    "2026-01-24.md": digest_text(
        "2026-01-24", "Rust weekly", {"News": ["Rust 1.90"]}, tags=["this-week-in-rust"]
    ),
}


def _chats(tg: FakeTelegram) -> None:
    tg.add_private_chat(ZH_USER, "李雷", language_code="zh-hans")
    tg.add_private_chat(EN_USER, "Ann", language_code="en")
    tg.add_private_chat(ADMIN, "Root", language_code="en")
    tg.add_supergroup(
        GROUP, "读者群", {ZH_USER: "member", EN_USER: "member", ADMIN: "administrator"}
    )
    tg.add_supergroup(FORUM, "Forum", {EN_USER: "member"}, is_forum=True, topics={42: "News"})


def _bot(
    tg: FakeTelegram, tmp_path: Path, *, admins: Iterable[int] = (), **env: str
) -> AbstractAsyncContextManager[RunningBot]:
    """The real bot on FILES, the chats above on `tg`; `env` overrides its variables."""
    _chats(tg)
    return running_bot(tg, tmp_path, content_files=FILES, admins=admins, env_overrides=env)


def zh(text: str) -> str:
    with use_language(SIMPLIFIED):
        return _(text)


async def test_id_in_the_readers_language(fast_telegram: FakeTelegram, tmp_path: Path) -> None:
    async with _bot(fast_telegram, tmp_path) as bot:
        (en,) = await bot.ask(EN_USER, EN_USER, "/id")
        assert en.parsed_text.splitlines() == [
            f"Your user id: {EN_USER} (for ADMIN_IDS)",
            f"This chat: {EN_USER} (private chat)",
        ]
        (cn,) = await bot.ask(ZH_USER, ZH_USER, "/id")
        assert cn.parsed_text.splitlines() == [
            f"你的用户 ID：{ZH_USER}（用于 ADMIN_IDS）",
            f"本聊天：{ZH_USER}（私聊）",
        ]
        (topic,) = await bot.ask(FORUM, EN_USER, "/id", thread_id=42)
        assert topic.parsed_text.splitlines() == [
            f"Your user id: {EN_USER} (for ADMIN_IDS)",
            f"This chat: {FORUM} (supergroup)",
            "This topic: 42",
            f"To push digests here: DIGEST_CHATS={FORUM}:42",
        ]
        assert topic.message_thread_id == 42


async def test_menus_are_registered_per_language(
    fast_telegram: FakeTelegram, tmp_path: Path
) -> None:
    async with _bot(fast_telegram, tmp_path, admins=[ADMIN]):
        for scope in (
            {"type": "all_private_chats"},
            {"type": "all_group_chats"},
            {"type": "all_chat_administrators"},
            {"type": "chat", "chat_id": ADMIN},
        ):
            english = {c["command"]: c["description"] for c in fast_telegram.commands(scope)}
            chinese = {c["command"]: c["description"] for c in fast_telegram.commands(scope, "zh")}
            assert english and english.keys() == chinese.keys(), scope
            assert english["id"].startswith("Your user id")
            assert chinese["id"] == zh(english["id"]) != english["id"]
            # every Chinese description is a translation, not the English fallback
            assert all(chinese[c] == zh(english[c]) != english[c] for c in english), scope


async def test_groups_follow_bot_language_and_language_command(
    fast_telegram: FakeTelegram, tmp_path: Path
) -> None:
    async with _bot(fast_telegram, tmp_path, BOT_LANGUAGE="zh") as bot:
        (reply,) = await bot.ask(GROUP, EN_USER, "/id")  # a group: BOT_LANGUAGE, not the user's
        assert reply.parsed_text.splitlines()[1] == f"本聊天：{GROUP}（超级群组）"
        (refused,) = await bot.ask(GROUP, EN_USER, "/language en")
        assert refused.parsed_text == zh("Sorry, only an administrator of this chat can do that.")
        (done,) = await bot.ask(GROUP, ADMIN, "/language en")
        assert done.parsed_text == "Done: I will write in English here."
        (reply,) = await bot.ask(GROUP, ZH_USER, "/id")
        assert reply.parsed_text.splitlines()[1] == f"This chat: {GROUP} (supergroup)"
        # a private reader can choose too, over their Telegram language
        (done,) = await bot.ask(EN_USER, EN_USER, "/language 中文")
        assert done.parsed_text == "好的：此后我在这里用简体中文回复。"
        (reply,) = await bot.ask(EN_USER, EN_USER, "/id")
        assert reply.parsed_text.startswith("你的用户 ID")
        (unknown,) = await bot.ask(EN_USER, EN_USER, "/language klingon")
        assert unknown.parsed_text.startswith("不认识这种语言")
    # the choice is stored: a restarted bot still writes English in the group
    async with running_bot(
        fast_telegram, tmp_path, content_files=FILES, env_overrides={"BOT_LANGUAGE": "zh"}
    ) as bot:
        (reply,) = await bot.ask(GROUP, ZH_USER, "/id")
        assert reply.parsed_text.splitlines()[1] == f"This chat: {GROUP} (supergroup)"


async def test_one_info_line_per_command_without_its_text(
    fast_telegram: FakeTelegram, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with _bot(fast_telegram, tmp_path) as bot:
        with caplog.at_level(logging.INFO, logger="digestbot.handlers"):
            await bot.ask(EN_USER, EN_USER, "/search secretword42")
            await bot.ask(GROUP, ZH_USER, "/id@" + bot.username)
    lines = [r.getMessage() for r in caplog.records if r.name == "digestbot.handlers"]
    assert len(lines) == 2, lines
    assert lines[0].startswith(f"/search in private chat {EN_USER}: ok in ")
    assert lines[0].endswith(" ms")
    assert lines[1].startswith(f"/id in supergroup chat {GROUP}: ok in ")
    assert not any("secretword42" in r.getMessage() for r in caplog.records)


async def test_tag_finds_what_the_bot_shows(fast_telegram: FakeTelegram, tmp_path: Path) -> None:
    async with _bot(fast_telegram, tmp_path) as bot:
        for spelling in ("#AI日报", "AI日报", "ai 日报", "AI 日报"):
            (page,) = await bot.ask(EN_USER, EN_USER, f"/tag {spelling}")
            assert "AI 日报 第 25 期" in page.parsed_text, spelling
            assert "1–1 of 1" in page.parsed_text.splitlines()[0], spelling
        for spelling in ("This Week in Rust", "this-week-in-rust", "#ThisWeekinRust"):
            (page,) = await bot.ask(EN_USER, EN_USER, f"/tag {spelling}")
            assert "1–2 of 2" in page.parsed_text.splitlines()[0], spelling


async def test_start_and_help_in_both_languages_with_live_examples(
    fast_telegram: FakeTelegram, tmp_path: Path
) -> None:
    async with _bot(fast_telegram, tmp_path) as bot:
        (cn,) = await bot.ask(ZH_USER, ZH_USER, "/start")
        assert cn.parsed_text.startswith("你好！我每天发布新闻日报。")
        assert "/today — 今天的日报" in cn.parsed_text
        # the examples are the newest digest's date, first tag and a title word: they work
        assert cn.parsed_text.endswith("试试\n/digest 2026-01-25\n/tag AI 日报\n/search AI")
        (en,) = await bot.ask(EN_USER, EN_USER, "/help")
        assert en.parsed_text.startswith("Commands\n/start — What this bot does")
        assert en.parsed_text.endswith("Try\n/digest 2026-01-25\n/tag AI 日报\n/search AI")
        for example in ("/digest 2026-01-25", "/tag AI 日报", "/search AI"):
            replies = await bot.ask(EN_USER, EN_USER, example)
            assert replies and not replies[0].parsed_text.startswith(("No ", "“")), example


async def test_search_in_both_languages_bold_matches_and_links(
    fast_telegram: FakeTelegram, tmp_path: Path
) -> None:
    async with _bot(fast_telegram, tmp_path) as bot:
        (cn,) = await bot.ask(ZH_USER, ZH_USER, "/search 千问")
        lines = cn.parsed_text.splitlines()
        # the item (word in its title) ranks above the digest's summary (word in its text)
        assert lines[0] == "搜索“千问” — 第 1–2 条，共 2 条"
        assert lines[2:4] == ["1. 通义千问发布", "AI 日报 第 25 期 · 2026年1月25日 · 模型"]
        assert lines[6] == "2. AI 日报 第 25 期"
        link = next(e for e in cn.entities if e["type"] == "text_link")
        assert link["url"] == "https://example.com/1"
        (en,) = await bot.ask(EN_USER, EN_USER, "/search Text")
        assert en.parsed_text.splitlines()[0] == "Search “Text” — 1–2 of 2"
        assert "<b>Text</b>" in en.html  # the matched word in the snippet, bold
        (none,) = await bot.ask(ZH_USER, ZH_USER, "/search 不存在的词")
        assert none.parsed_text == "没有与“不存在的词”匹配的内容。"


async def test_group_card_in_chinese_keeps_bullets(
    fast_telegram: FakeTelegram, tmp_path: Path
) -> None:
    async with _bot(fast_telegram, tmp_path, BOT_LANGUAGE="zh") as bot:
        (card,) = await bot.ask(GROUP, EN_USER, "/latest")
        assert card.parsed_text.splitlines()[:6] == [
            "AI 日报 第 25 期",
            "2026年1月25日 · AI 日报, This Week in Rust",
            "",
            "今日要点：",
            "• 通义千问发布",
            "• Rust 1.90",
        ]
        assert card.parsed_text.endswith("栏目（1）\n• 模型")
        assert [b["text"] for b in card.buttons] == ["在私聊中阅读全文"]


async def test_admin_replies_in_chinese(fast_telegram: FakeTelegram, tmp_path: Path) -> None:
    fast_telegram.add_private_chat(2004, "管理员", language_code="zh-CN")
    async with _bot(
        fast_telegram, tmp_path, admins=[2004], TIMEZONE="Asia/Shanghai", DIGEST_CHATS=str(GROUP)
    ) as bot:
        (status,) = await bot.ask(2004, 2004, "/status")
        lines = status.parsed_text.splitlines()
        assert lines[1].startswith("下次推送：") and lines[1].endswith(
            " — 每天 08:00（Asia/Shanghai）"
        )
        assert "已索引的日报：2 期" in lines and "有问题的文件：无" in lines
        (refused,) = await bot.ask(ZH_USER, ZH_USER, "/status")
        assert refused.parsed_text == (
            "抱歉，这个命令只供机器人管理员（ADMIN_IDS）使用。发送 /id 查看你的用户 ID。"
        )
        (refused,) = await bot.ask(EN_USER, EN_USER, "/post")
        assert refused.parsed_text.endswith("Send /id to see your user id.")
        (done,) = await bot.ask(GROUP, ADMIN, "/subscribe")  # a chat admin (getChatMember)
        assert (
            done.parsed_text == "Subscribed: the digest will arrive here daily at 08:00 "
            "(Asia/Shanghai)."
        )
        (done,) = await bot.ask(GROUP, ADMIN, "/language zh")
        (done,) = await bot.ask(GROUP, ADMIN, "/subscribe")
        assert done.parsed_text == "已订阅：日报将推送到这里，时间为每天 08:00（Asia/Shanghai）。"
        await bot.ask(2004, 2004, "/post")
        await fast_telegram.wait_for(
            lambda m: m.chat_id == 2004 and "已完成" in m.parsed_text, timeout=20
        )
        await bot.ask(2004, 2004, "/post")
        again = await fast_telegram.wait_for(
            lambda m: m.chat_id == 2004 and "这次没有发送" in m.parsed_text, timeout=20
        )
        assert again.parsed_text == (
            "AI 日报 第 25 期（2026年1月25日）：已推送到全部 1 个目标，这次没有发送。"
        )
