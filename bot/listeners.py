"""The bot's own HTTP servers (aiohttp): one per distinct host:port, each with its routes.

WEBHOOK_LISTEN and HEALTH_LISTEN may name the same address (one server: the webhook path
beside /healthz and /metrics) or two (e.g. the webhook behind the TLS proxy, metrics on a
private port).
"""

from __future__ import annotations

import socket
from collections.abc import Iterable

from aiohttp import web


class Listeners:
    def __init__(self) -> None:
        self._routes: dict[tuple[str, int], list[web.RouteDef]] = {}
        self._names: dict[tuple[str, int], list[str]] = {}  # the settings naming an address
        self._runners: list[web.AppRunner] = []
        self.bound: dict[tuple[str, int], tuple[str, int]] = {}  # asked -> actual (port 0)

    def add(self, address: tuple[str, int], routes: Iterable[web.RouteDef], name: str) -> None:
        self._routes.setdefault(address, []).extend(routes)
        self._names.setdefault(address, []).append(name)

    def __bool__(self) -> bool:
        return bool(self._routes)

    def url(self, address: tuple[str, int]) -> str:
        """http://host:port of a started listener (the real port when 0 was asked for)."""
        host, port = self.bound[address]
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    async def start(self) -> None:
        for address, routes in self._routes.items():
            app = web.Application()
            app.add_routes(routes)
            # no access log: a request line per health probe and scrape is noise
            runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
            await runner.setup()
            self._runners.append(runner)
            host, port = address
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((host, port))
            except OSError as exc:
                sock.close()
                await self.stop()
                names = " and ".join(self._names[address])
                raise OSError(
                    exc.errno, f"{names}: cannot listen on {host}:{port} ({exc.strerror})"
                ) from exc
            self.bound[address] = (host, sock.getsockname()[1])
            await web.SockSite(runner, sock).start()

    async def stop(self) -> None:
        runners, self._runners = self._runners, []
        for runner in runners:
            await runner.cleanup()
