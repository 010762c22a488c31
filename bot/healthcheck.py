"""`python -m bot.healthcheck` (also `digestbot healthcheck`): exit 0 when the running bot's
/healthz (at HEALTH_LISTEN) answers 200, else 1, printing its JSON answer.

Docker runs this every 30 s inside the container, so it imports nothing but the standard
library and python-dotenv (the bot's own modules take seconds to import on a busy machine;
a health check has 5).
"""

from __future__ import annotations

import json
import os
import re
import sys
import urllib.error
import urllib.request
from pathlib import Path

_LISTEN_RE = re.compile(
    r"(?:\[(?P<v6>[0-9A-Fa-f:.]+)\]|(?P<host>[A-Za-z0-9.-]+)):(?P<port>\d{1,5})"
)


def parse_listen(raw: str) -> tuple[str, int] | None:
    """`host:port` (IPv6 in brackets: `[::1]:8080`) -> (host, port); None if malformed."""
    match = _LISTEN_RE.fullmatch(raw.strip())
    if not match or int(match["port"]) > 65535:
        return None
    return match["v6"] or match["host"], int(match["port"])


def check(host: str, port: int, timeout: float = 4.0) -> int:
    # a server listening on every address is reached on loopback
    host = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(host, host)
    url = f"http://[{host}]:{port}/healthz" if ":" in host else f"http://{host}:{port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            print(answer.read().decode("utf-8", "replace"))
            return 0
    except urllib.error.HTTPError as exc:  # 503: the JSON says why
        print(exc.read().decode("utf-8", "replace") or f"HTTP {exc.code}")
    except (OSError, ValueError) as exc:
        print(json.dumps({"status": "unreachable", "reason": f"{url}: {exc}"}))
    return 1


def main() -> int:
    raw = os.environ.get("HEALTH_LISTEN", "").strip()
    if not raw and Path(".env").is_file():  # the bot reads .env from its working directory too
        from dotenv import dotenv_values

        raw = (dotenv_values(".env").get("HEALTH_LISTEN") or "").strip()
    if not raw:
        print("error: HEALTH_LISTEN: is not set: the bot serves no /healthz", file=sys.stderr)
        return 2
    address = parse_listen(raw)
    if address is None:
        print(f"error: HEALTH_LISTEN: {raw!r} is not host:port", file=sys.stderr)
        return 2
    return check(*address)


if __name__ == "__main__":
    sys.exit(main())
