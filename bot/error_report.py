"""Reports to ERROR_CHAT_ID: unhandled handler errors and failed pushes, as serious bots do.

One message per distinct error per 10 minutes: the same failure hit by every user at once
(a broken file, a dead disk) must not flood the operators' chat, and must not eat the flood
budget that digests need. The next report of that error says how often it was held back.
Everything is redacted like the logs (token, webhook secret, token-shaped strings).
"""

from __future__ import annotations

import html
import logging
import re
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from telegram import Bot, LinkPreviewOptions
from telegram.constants import MessageLimit, ParseMode
from telegram.error import TelegramError

from bot.config import ChatTarget
from bot.logging_setup import RedactingFilter
from bot.metrics import BotMetrics

if TYPE_CHECKING:
    from bot.delivery.push import PushReport

_LOG = logging.getLogger(__name__)

REPORT_WINDOW_SECONDS = 600.0
_TRACEBACK_CHARS = 2500  # the tail of the traceback: where it failed matters most
_NUMBERS = re.compile(r"\d+")


@dataclass
class _Seen:
    reported_at: float
    held_back: int = 0


def fingerprint(exc: BaseException) -> str:
    """What makes two errors "the same": type, where it was raised, message without numbers
    (ids, counts and offsets differ between users hitting one bug)."""
    frames = traceback.extract_tb(exc.__traceback__) if exc.__traceback__ else []
    where = f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "?"
    return f"{type(exc).__qualname__}@{where}:{_NUMBERS.sub('#', str(exc))[:200]}"


class ErrorReporter:
    def __init__(
        self,
        bot: Bot,
        chat: ChatTarget | None,
        redactor: RedactingFilter,
        metrics: BotMetrics,
        *,
        clock: Callable[[], float] = time.monotonic,
        window: float = REPORT_WINDOW_SECONDS,
    ) -> None:
        self.bot = bot
        self.chat = chat
        self.redact = redactor.redact
        self.metrics = metrics
        self.clock = clock
        self.window = window
        self._seen: dict[str, _Seen] = {}

    async def report_exception(self, exc: BaseException, context: str) -> bool:
        """An unhandled error; `context` says which update (or job) it was handling."""
        tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        error = self.redact(f"{type(exc).__name__}: {exc}")[:500]
        head = (
            f"⚠️ <b>digestbot: unhandled error</b>\n"
            f"<code>{html.escape(error, quote=False)}</code>\n"
            f"{html.escape(self.redact(context)[:500], quote=False)}"
        )
        return await self._report(fingerprint(exc), head, self.redact(tb))

    async def report_push(self, report: PushReport) -> bool:
        """A push that left targets without every part (chat errors, retries exhausted)."""
        failed = report.failed
        if not failed:
            return False
        lines = [
            f"⚠️ <b>digestbot: push incomplete</b>\n{html.escape(report.summary(), quote=False)}"
        ]
        lines += [
            f"• <code>{html.escape(r.label, quote=False)}</code>: "
            f"{html.escape(self.redact(r.error or '?'), quote=False)}"
            for r in failed[:15]
        ]
        if len(failed) > 15:
            lines.append(f"… and {len(failed) - 15} more")
        errors = sorted({_NUMBERS.sub("#", r.error or "") for r in failed})
        return await self._report(
            f"push:{report.digest_id}:{'|'.join(errors)[:300]}", "\n".join(lines)
        )

    async def _report(self, key: str, head_html: str, pre_text: str | None = None) -> bool:
        if self.chat is None:
            return False
        now = self.clock()
        seen = self._seen.get(key)
        if seen is not None and now - seen.reported_at < self.window:
            seen.held_back += 1
            self.metrics.error_reports.labels("suppressed").inc()
            return False
        held_back = seen.held_back if seen is not None else 0
        # forget what is older than the window: the dict stays as small as the error variety
        self._seen = {k: s for k, s in self._seen.items() if now - s.reported_at < self.window}
        self._seen[key] = _Seen(now)
        if held_back:
            head_html += (
                f"\n<i>Also {held_back} more time(s) since the last report "
                f"(one report per {self.window / 60:g} minutes).</i>"
            )
        try:
            await self.bot.send_message(
                self.chat.chat_id,
                _compose(head_html, pre_text),
                message_thread_id=self.chat.thread_id,
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        except TelegramError as exc:  # never let reporting break what it reports on
            _LOG.warning("could not report an error to ERROR_CHAT_ID %s: %s", self.chat, exc)
            self.metrics.error_reports.labels("failed").inc()
            return False
        self.metrics.error_reports.labels("sent").inc()
        return True


def _compose(head_html: str, pre_text: str | None) -> str:
    """Head + the traceback's tail in <pre>, under Telegram's 4096 characters: the start of the
    traceback goes first (where it failed is at the end). Cut as text, then escaped."""
    if pre_text is None:
        return head_html
    room = int(MessageLimit.MAX_TEXT_LENGTH) - len(head_html) - 20
    tail = pre_text.rstrip()[-min(room, _TRACEBACK_CHARS) :]
    while tail and len(html.escape(tail, quote=False)) > room:  # escaping grows & < >
        tail = tail[len(tail) // 10 + 1 :]
    return f"{head_html}\n<pre>{html.escape(tail, quote=False)}</pre>"
