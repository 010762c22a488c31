"""describe_schedule: cron read for a person, in both languages; the expression otherwise."""

from __future__ import annotations

import pytest
from apscheduler.triggers.cron import CronTrigger
from hypothesis import given
from hypothesis import strategies as st

from bot.i18n import ENGLISH, SIMPLIFIED, use_language
from bot.schedule_text import describe_schedule

TZ = "Asia/Shanghai"


@pytest.mark.parametrize(
    ("cron", "english", "chinese"),
    [
        ("0 8 * * *", "daily at 08:00 (Asia/Shanghai)", "每天 08:00（Asia/Shanghai）"),
        # APScheduler 3's from_crontab counts 0 as Monday (the property test below checks it)
        (
            "30 7 * * 0",
            "every Monday at 07:30 (Asia/Shanghai)",
            "每周星期一 07:30（Asia/Shanghai）",
        ),
        (
            "0 9 * * mon,thu",
            "every Monday and Thursday at 09:00 (Asia/Shanghai)",
            "每周星期一和星期四 09:00（Asia/Shanghai）",
        ),
        (
            "0 9 * * mon-fri",
            "every Monday, Tuesday, Wednesday, Thursday, and Friday at 09:00 (Asia/Shanghai)",
            "每周星期一、星期二、星期三、星期四和星期五 09:00（Asia/Shanghai）",
        ),
        (
            "0 9 * * sun",
            "every Sunday at 09:00 (Asia/Shanghai)",
            "每周星期日 09:00（Asia/Shanghai）",
        ),
        ("0 9 * * 0-6", "daily at 09:00 (Asia/Shanghai)", "每天 09:00（Asia/Shanghai）"),
        ("*/30 8 * * *", "*/30 8 * * * (Asia/Shanghai)", "*/30 8 * * *（Asia/Shanghai）"),
        ("0 8,20 * * *", "0 8,20 * * * (Asia/Shanghai)", "0 8,20 * * *（Asia/Shanghai）"),
        ("0 8 1 * *", "0 8 1 * * (Asia/Shanghai)", "0 8 1 * *（Asia/Shanghai）"),
    ],
)
def test_examples(cron: str, english: str, chinese: str) -> None:
    with use_language(ENGLISH):
        assert describe_schedule(cron, TZ) == english
    with use_language(SIMPLIFIED):
        assert describe_schedule(cron, TZ) == chinese


DAY = st.sampled_from([*map(str, range(7)), "mon", "tue", "wed", "thu", "fri", "sat", "sun"])


def test_plain_weekday_lists_are_read() -> None:
    with use_language(ENGLISH):
        assert describe_schedule("5 6 * * 2,4", "UTC") == (
            "every Wednesday and Friday at 06:05 (UTC)"
        )


@given(
    st.integers(0, 59),
    st.integers(0, 23),
    st.lists(st.one_of(DAY, st.tuples(DAY, DAY).map("-".join)), min_size=1, max_size=4),
)
def test_the_reading_matches_what_apscheduler_fires(
    minute: int, hour: int, days: list[str]
) -> None:
    import datetime as dt
    from zoneinfo import ZoneInfo

    cron = f"{minute} {hour} * * {','.join(days)}"
    try:
        trigger = CronTrigger.from_crontab(cron, timezone=ZoneInfo("UTC"))
    except ValueError:
        return  # e.g. a range backwards: the bot refuses it at start (config.py)
    start = dt.datetime(2026, 1, 5, tzinfo=ZoneInfo("UTC"))  # a Monday
    fired, t = set(), start
    for _ in range(7):
        t = trigger.get_next_fire_time(None, t + dt.timedelta(seconds=1))
        fired.add(t.strftime("%A"))
        assert (t.hour, t.minute) == (hour, minute)
    with use_language(ENGLISH):
        text = describe_schedule(cron, "UTC")
    if text == f"{cron} (UTC)":
        return  # not read (mixed or odd ranges): the expression itself is never wrong
    assert f"at {hour:02d}:{minute:02d} (UTC)" in text
    if len(fired) == 7:
        assert text.startswith("daily")
    else:
        named = {
            d
            for d in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
            if d in text
        }
        assert named == fired
