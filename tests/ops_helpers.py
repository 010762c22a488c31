"""Reading the bot's own HTTP endpoints (HEALTH_LISTEN) over real HTTP, as Prometheus and
Docker's HEALTHCHECK do."""

from __future__ import annotations

from typing import Any

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

# HEALTH_LISTEN / WEBHOOK_LISTEN on a free loopback port (the bot reports the one it got)
LOOPBACK_ANY_PORT = "127.0.0.1:0"


async def get_json(url: str) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as session, session.get(url) as answer:
        return answer.status, await answer.json()


async def scrape(base_url: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """/metrics parsed by prometheus-client's own parser: (sample name, labels) -> value."""
    async with aiohttp.ClientSession() as session, session.get(f"{base_url}/metrics") as answer:
        assert answer.status == 200
        assert answer.headers["Content-Type"].startswith("text/plain")
        text = await answer.text()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    """One sample (0 when that series does not exist yet, as Prometheus treats it)."""
    return samples.get((name, frozenset(labels.items())), 0.0)
