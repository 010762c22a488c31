"""Push jobs in the bot: /post and resumed jobs run as background tasks; the admin who asked is
told the result when the job ends, also after a restart.

The job rows are written before anything is sent (DeliveryService.create_job); the
acknowledgement "Pushing…" is sent beside the push, best effort: a failing or hanging Bot API
call for it never decides whether the push happens. Tasks are cancelled when the bot stops; the
job rows stay 'running' and the next start adopts and finishes them (resume).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from telegram import Bot

from bot.admin_views import and_more, code_html, digest_name
from bot.delivery.notify import best_effort_send, esc
from bot.delivery.push import DeliveryService, PushReport, TargetLike
from bot.digest.model import Digest, DigestError
from bot.i18n import _, ngettext, use_language
from bot.reader.views import fit_lines

_LOG = logging.getLogger("digestbot.jobs")

# the final report waits this long for the acknowledgement to go out first (or fail)
ACK_WAIT = 30.0


def format_report(report: PushReport, digest: Digest) -> str:
    """What a push did, named by title and date: "already pushed to all N targets" when the
    journal held everything, else messages sent, targets complete and each failure."""
    name = digest_name(digest.title, digest.date)
    n = len(report.results)
    if report.ok and report.sent == 0:
        return ngettext(
            "{name}: already pushed to its {n} target; nothing sent.",
            "{name}: already pushed to all {n} targets; nothing sent.",
            n,
        ).format(name=name, n=n)
    done = sum(r.complete for r in report.results)
    lines = [
        ngettext(
            "{name}: {sent} message sent; {done} of {n} targets complete.",
            "{name}: {sent} messages sent; {done} of {n} targets complete.",
            report.sent,
        ).format(name=name, sent=report.sent, done=done, n=n)
    ]
    for result in report.failed[:20]:
        state = _("deactivated") if result.deactivated else _("failed")
        lines.append(f"• <code>{esc(result.label)}</code> {state}: {code_html(result.error or '')}")
    if len(report.failed) > 20:
        lines.append(and_more(len(report.failed) - 20))
    return "\n".join(lines)


def fit(html: str) -> str:
    # every line of these reports closes its own tags, so whole lines can be dropped safely
    return fit_lines([], html.split("\n"), [], "…")


class PushJobs:
    def __init__(self, delivery: DeliveryService, bot: Bot) -> None:
        self.delivery = delivery
        self.bot = bot
        self._tasks: set[asyncio.Task[Any]] = set()

    def _spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    @property
    def busy(self) -> bool:
        return bool(self._tasks)

    async def wait(self) -> None:
        """Until every job task of this process has ended (tests, benchmarks)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def stop(self) -> None:
        """Cancel the running jobs; their rows stay unfinished and the next start resumes them."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def post(
        self,
        digests: Sequence[Digest],
        targets: Sequence[TargetLike] | None,
        *,
        requested_by: int | None,
        report_chat: int | None,
        report_thread: int | None,
        ack: Callable[[int], str] | None = None,
    ) -> int:
        """/post: one durable job per digest (committed before this returns), pushed in order
        in the background; returns the number of targets of the first job. `ack(count)` is
        the acknowledgement's HTML."""
        jobs = []
        for digest in digests:
            job = await self.delivery.create_job(
                digest,
                targets,
                kind="manual",
                requested_by=requested_by,
                report_chat=report_chat,
                report_thread=report_thread,
            )
            jobs.append((digest, job))
        count = len(jobs[0][1][1]) if jobs else 0
        ack_task = None
        if ack is not None and report_chat is not None:
            ack_task = self._spawn(
                best_effort_send(self.bot, report_chat, report_thread, fit(ack(count))), "post-ack"
            )
        self._spawn(self._run(jobs, report_chat, report_thread, ack_task), "admin-post")
        return count

    async def _run(
        self,
        jobs: list[tuple[Digest, tuple[int, Any]]],
        report_chat: int | None,
        report_thread: int | None,
        ack: asyncio.Task[Any] | None,
        prefix: str = "",
    ) -> None:
        lines = []
        for digest, job in jobs:
            report = await self.delivery.push(digest, job=job)
            lines.append(format_report(report, digest))
        if report_chat is None:
            return
        if ack is not None:  # the acknowledgement first, if it can still go out
            await asyncio.wait([ack], timeout=ACK_WAIT)
        await best_effort_send(
            self.bot, report_chat, report_thread, fit(prefix + "\n\n".join(lines))
        )

    async def resume(self) -> int:
        """Adopt every unfinished job whose owner is gone (a crash, a stop mid-push, a killed
        `digestbot post`) and finish it in the background; returns how many."""
        adopted = await self.delivery.store.adopt_stale_jobs(
            self.delivery.owner, self.delivery.claim_ttl
        )
        for job in adopted:
            record = await self.delivery.store.get_digest(job.digest_id)
            targets = [(t.chat_id, t.thread_id) for t in job.targets if t.state == "pending"]
            try:
                if record is None:
                    raise DigestError(job.digest_id, "no longer in the content folder")
                digest = self.delivery.catalog.load(record)
            except DigestError as exc:
                _LOG.warning(
                    "push job %d (%s) cannot resume: %s", job.id, job.digest_id, exc.reason
                )
                summary = f"not resumed: {exc.reason}"  # operator
                await self.delivery.store.finish_job(job.id, ok=False, summary=summary)
                if job.report_chat is not None:
                    with use_language(self.delivery.settings.bot_language):
                        text = _(
                            "⚠️ The interrupted push of {name} could not be resumed: {reason}"
                        ).format(
                            name=esc(record.title if record else job.digest_id),
                            reason=code_html(exc.reason),
                        )
                    self._spawn(
                        best_effort_send(self.bot, job.report_chat, job.report_thread, text),
                        "resume-report",
                    )
                continue
            _LOG.info(
                "resuming push job %d (%s, %s) to %d target(s)",
                job.id,
                job.digest_id,
                job.kind,
                len(targets),
            )
            with use_language(self.delivery.settings.bot_language):
                prefix = _("Resumed after a restart:") + "\n" if job.kind == "manual" else ""
            self._spawn(
                self._run(
                    [(digest, (job.id, targets))], job.report_chat, job.report_thread, None, prefix
                ),
                f"resume-job-{job.id}",
            )
        return len(adopted)
