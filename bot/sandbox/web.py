"""The sandbox's web server (aiohttp): the static page and its small JSON API.

    GET  /                     the page (static/index.html, app.js, style.css)
    GET  /api/state?after=N    the whole state once its version is > N (long poll, <= 25 s)
    GET  /api/photo?url=...    a cover drawn locally (the sandbox never fetches the internet)
    POST /api/send             {"chat_id", "thread", "text"} typed by the current persona
    POST /api/press            {"chat_id", "message_id", "data"} an inline button
    POST /api/persona          {"id"} who is typing (member or admin)
    POST /api/push-now, /api/next-push   (sandbox) the daily push now / move the clock to it

Plain HTML/CSS/JS so a newcomer needs nothing but Python; the page is package data.
"""

from __future__ import annotations

import html
import json
from collections.abc import Awaitable, Callable
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from bot.sandbox.view import SandboxView

STATIC = resources.files("bot.sandbox") / "static"
_TYPES = {
    ".html": "text/html",
    ".js": "text/javascript",
    ".css": "text/css",
    ".svg": "image/svg+xml",
}
Action = Callable[[dict[str, Any]], Awaitable[Any]]


class UserError(Exception):
    """A request the page should not have made: 400 with the reason."""


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, default=str)


def build_web_app(view: SandboxView, actions: dict[str, Action]) -> web.Application:
    app = web.Application()

    async def static(request: web.Request) -> web.StreamResponse:
        name = request.match_info.get("name") or "index.html"
        resource = STATIC / name
        suffix = "." + name.rsplit(".", 1)[-1]
        if "/" in name or suffix not in _TYPES or not resource.is_file():
            raise web.HTTPNotFound()
        return web.Response(
            body=resource.read_bytes(),
            content_type=_TYPES[suffix],
            charset="utf-8",
            headers={"Cache-Control": "no-cache"},
        )

    async def state(request: web.Request) -> web.StreamResponse:
        try:
            after = int(request.query.get("after", "-1"))
            wait = min(float(request.query.get("wait", "25")), 25.0)
        except ValueError:
            raise web.HTTPBadRequest(text="after and wait are numbers") from None
        await view.wait_change(after, wait)
        return web.json_response(view.state(), dumps=_dumps)

    async def photo(request: web.Request) -> web.StreamResponse:
        return web.Response(
            text=cover_svg(request.query.get("url", "")),
            content_type="image/svg+xml",
            charset="utf-8",
        )

    def action(name: str, run: Action) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def handle(request: web.Request) -> web.StreamResponse:
            try:
                body = await request.json() if request.can_read_body else {}
                if not isinstance(body, dict):
                    raise UserError("the body must be a JSON object")
                result = await run(body)
            except (UserError, ValueError, KeyError, TypeError) as exc:
                return web.json_response({"ok": False, "error": f"{name}: {exc}"}, status=400)
            view.bump()
            return web.json_response({"ok": True, "result": result}, dumps=_dumps)

        return handle

    app.router.add_get("/", static)
    app.router.add_get("/static/{name}", static)
    app.router.add_get("/api/state", state)
    app.router.add_get("/api/photo", photo)
    for name, run in actions.items():
        app.router.add_post(f"/api/{name}", action(name, run))
    return app


def cover_svg(url: str) -> str:
    """A placeholder for a cover image, named after its URL: the sandbox works offline and
    must not make the browser fetch the internet."""
    parts = urlsplit(url)
    name = parts.path.rsplit("/", 1)[-1] or url
    hue = sum(url.encode()) % 360
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="800" height="420" viewBox="0 0 800 420">'
        f'<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1">'
        f'<stop offset="0" stop-color="hsl({hue},55%,55%)"/>'
        f'<stop offset="1" stop-color="hsl({(hue + 60) % 360},60%,40%)"/></linearGradient></defs>'
        '<rect width="800" height="420" fill="url(#g)"/>'
        '<text x="400" y="200" font-family="sans-serif" font-size="34" fill="#fff" '
        f'text-anchor="middle">{html.escape(name)}</text>'
        '<text x="400" y="250" font-family="sans-serif" font-size="20" fill="#ffffffcc" '
        f'text-anchor="middle">{html.escape(parts.netloc)} · cover image (not fetched)</text>'
        "</svg>"
    )
