"""A cron expression read for a person: `daily at 08:00 (Asia/Shanghai)`, `每天 08:00`.

Only what people write for a digest is read: one time of day, every day or on some weekdays.
Anything else (several hours, steps, days of the month) is shown as the expression itself —
a wrong reading would be worse than the raw one.
"""

from __future__ import annotations

import re

from babel.dates import get_day_names
from babel.lists import format_list

from bot.i18n import _, babel_locale

_NUMBER = re.compile(r"^\d{1,2}$")
_CRON_DAYS = {"sun": 6, "mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5}


def _weekdays(field: str) -> list[int] | None:
    """Cron day-of-week field -> Monday-based day numbers, or None if it is not a plain list.

    Read as APScheduler 3 reads it (what fires is what we describe): its from_crontab counts
    0 as MONDAY, unlike classic cron's Sunday; names (mon, sun) mean what they say."""
    days: set[int] = set()
    for part in field.lower().split(","):
        bounds = part.split("-")
        if len(bounds) > 2 or not all(b.isdigit() or b in _CRON_DAYS for b in bounds):
            return None
        if any(b.isdigit() and int(b) > 6 for b in bounds):
            return None
        numbers = [int(b) if b.isdigit() else _CRON_DAYS[b] for b in bounds]
        if len(numbers) == 2:
            start, end = numbers
            if bounds[0].isdigit() != bounds[1].isdigit() or end < start:
                return None  # "mon-1", "fri-mon": not worth guessing at
            days.update(range(start, end + 1))
        else:
            days.add(numbers[0])
    return sorted(days)


def describe_schedule(expression: str, timezone: str) -> str:
    """The push schedule in the current language; the expression itself when not simple."""
    fields = expression.split()
    if len(fields) != 5:
        return _("{expression} ({timezone})").format(expression=expression, timezone=timezone)
    minute, hour, day, month, weekday = fields
    if not (_NUMBER.match(minute) and _NUMBER.match(hour) and day == "*" and month == "*"):
        return _("{expression} ({timezone})").format(expression=expression, timezone=timezone)
    if int(minute) > 59 or int(hour) > 23:
        return _("{expression} ({timezone})").format(expression=expression, timezone=timezone)
    time = f"{int(hour):02d}:{int(minute):02d}"
    days = None if weekday == "*" else _weekdays(weekday)
    if weekday == "*" or days == list(range(7)):
        return _("daily at {time} ({timezone})").format(time=time, timezone=timezone)
    if not days:
        return _("{expression} ({timezone})").format(expression=expression, timezone=timezone)
    locale = babel_locale()
    names = get_day_names("wide", locale=locale)
    return _("every {days} at {time} ({timezone})").format(
        days=format_list([names[d] for d in days], locale=locale), time=time, timezone=timezone
    )
