"""The sandbox page in headless Chromium (Debian's chromium + chromium-driver, through selenium).

The sandbox (stand-in + the real bot + the page's server) runs on its own event loop in a thread,
because selenium's calls block. Each step saves a screenshot under tmp_path and checks that it is
not blank. Without Chromium the tests skip locally; with CI=true they fail instead (.ci/run
installs it).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bot.config import Settings
from bot.sandbox import world
from bot.sandbox.run import Sandbox, sandbox
from tests.harness import digest_text, previewing

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
NEWEST = dt.date(2026, 3, 12)
TITLE = "Browsers, bold titles and real links"


def _require(what: str, present: bool) -> None:
    if present:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is missing; CI must have it (.ci/run installs it)")
    pytest.skip(f"{what} is not installed")


def _content(root: Path) -> Path:
    """12 issues (so /archive has a second page); the newest with a cover and rich markup."""
    content = root / "content"
    content.mkdir(parents=True)
    for day in range(1, 12):
        date = dt.date(2026, 3, day)
        (content / f"{date}.md").write_text(
            digest_text(date, f"Issue of {date}", {"News": [f"Story {day}"]}), encoding="utf-8"
        )
    (content / f"{NEWEST}.md").write_text(
        f"""---
title: "{TITLE}"
date: {NEWEST}
tags: [browsers, testing]
summary: "- one bold title\\n- one link"
coverImage: "https://example.com/covers/{NEWEST}.png"
---
# {TITLE}

## Research

### [Headless Chromium draws entities](https://example.com/story/chromium)
- Text with *italic*, **bold** and `inline code`.

> A quote worth keeping.

```python
print("pre with a language")
```

## Figures

| Model | Score |
| --- | ---: |
| Alpha | 91 |
| Beta | 87 |
""",
        encoding="utf-8",
    )
    return content


def close_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel what is left (an HTTP handler mid-answer) and close the loop, as asyncio.run does."""
    pending = asyncio.all_tasks(loop)
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    loop.run_until_complete(loop.shutdown_asyncgens())
    loop.close()


class SandboxThread:
    """`sandbox(...)` on an event loop of its own; `call` runs a function on that loop."""

    def __init__(self, base: Settings, content: Path) -> None:
        self.base, self.content = base, content
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.box: Sandbox | None = None
        self.error: BaseException | None = None
        self._stop: asyncio.Event | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self._main())
        except BaseException as exc:  # reported to the test thread
            self.error = exc
            self.ready.set()
        finally:
            close_loop(self.loop)

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        async with sandbox(self.base, port=0, content_dir=self.content, speed=20) as box:
            self.box = box
            self.ready.set()
            await self._stop.wait()

    def start(self) -> Sandbox:
        self.thread.start()
        self.ready.wait(60)
        if self.box is None:
            raise RuntimeError(f"the sandbox did not start: {self.error!r}")
        return self.box

    def call(self, fn: Callable[[], Any]) -> Any:
        async def run() -> Any:
            return fn()

        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(10)

    def run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)

    def stop(self) -> None:
        if self._stop is not None:
            self.loop.call_soon_threadsafe(self._stop.set)
        self.thread.join(30)


@pytest.fixture
def running(tmp_path: Path) -> Iterator[tuple[SandboxThread, Sandbox]]:
    base = Settings.from_env(
        {
            "DATABASE_PATH": str(tmp_path / "data" / "digestbot.sqlite3"),
            "TIMEZONE": "UTC",
            "PUSH_SCHEDULE": "0 8 * * *",
        },
        env_file=None,
        require_token=False,
    )
    runner = SandboxThread(base, _content(tmp_path))
    box = runner.start()
    try:
        yield runner, box
    finally:
        runner.stop()


@pytest.fixture
def browser() -> Iterator[Any]:
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _require("selenium", False)
    _require(f"chromium ({CHROMIUM})", Path(CHROMIUM).exists())
    _require(f"chromedriver ({CHROMEDRIVER})", Path(CHROMEDRIVER).exists())
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1280,900",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        # loopback only: every other host resolves to nothing, every proxy hop fails
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
        "--proxy-server=http://127.0.0.1:9",
        "--proxy-bypass-list=127.0.0.1",
    ):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def wait(driver: Any, predicate: Callable[[Any], Any], what: str, timeout: float = 30) -> Any:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(
        driver, timeout, ignored_exceptions=(StaleElementReferenceException,)
    ).until(predicate, f"timed out waiting for {what}")


def screenshot(driver: Any, path: Path) -> Path:
    """Save the page; a screenshot of nearly one colour is a blank (or broken) page."""
    from PIL import Image, ImageStat

    driver.save_screenshot(str(path))
    with Image.open(path) as image:
        gray = image.convert("L")
        variance = ImageStat.Stat(gray).var[0]
        colours = len(gray.getcolors(256) or [])
    assert variance > 200 and colours > 30, f"{path.name} looks blank ({variance=}, {colours=})"
    return path


def css(driver: Any, selector: str) -> list[Any]:
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, selector)


def type_text(driver: Any, text: str) -> None:
    from selenium.webdriver.common.keys import Keys

    box = css(driver, "#composer-input")[0]
    box.send_keys(text + Keys.ENTER)


def open_chat(driver: Any, chat_id: int, thread: int | None = None) -> None:
    selector = f'li[data-chat="{chat_id}"]' + (f'[data-thread="{thread}"]' if thread else "")

    def clicked(d: Any) -> bool:  # the list is redrawn when a chat's last message changes
        css(d, selector)[0].click()
        return True

    wait(driver, clicked, f"chat {chat_id} in the list")
    wait(driver, lambda d: css(d, selector + ".active"), f"chat {chat_id} to open")


def open_bot_chat(driver: Any, box: Sandbox) -> None:
    """The sandbox page, once it shows the member's chat with the bot (its first view)."""
    driver.get(box.url)
    wait(driver, lambda d: css(d, f'li[data-chat="{world.MEMBER}"].active'), "the bot chat")


def bot_rows_with(driver: Any, text: str) -> list[Any]:
    return [row for row in css(driver, "#messages .row:not(.out)") if text in row.text]


def test_today_archive_push_and_refusals_in_a_browser(
    running: tuple[SandboxThread, Sandbox], browser: Any, tmp_path: Path
) -> None:
    runner, box = running
    shots = tmp_path / "screenshots"
    shots.mkdir()
    open_bot_chat(browser, box)

    # /today: the digest's formatted messages, a bold title and a link with the right URL
    type_text(browser, "/today")
    wait(
        browser,
        lambda d: any(TITLE in s.text for s in css(d, "#messages .row strong")),
        "the bold title",
    )
    link = wait(
        browser,
        lambda d: [
            a
            for a in css(d, "#messages .row a")
            if a.get_attribute("href") == "https://example.com/story/chromium"
        ],
        "the link",
    )[0]
    assert link.text == "Headless Chromium draws entities"
    assert css(browser, "#messages .row.out")[0].text.startswith("/today")  # the user's own
    assert css(browser, "#messages pre code[data-language='python']")
    assert css(browser, "#messages blockquote")
    assert css(browser, "#messages img.photo")  # the cover, drawn locally
    assert (
        css(browser, "#messages .bubble .body")[0].value_of_css_property("color")
        == "rgba(0, 0, 0, 1)"
    )
    browser.execute_script("document.querySelector('#messages .row strong').scrollIntoView()")
    screenshot(browser, shots / "01-today.png")

    # /archive: a paging button edits the same message
    type_text(browser, "/archive")
    older = wait(
        browser,
        lambda d: [b for b in css(d, "#messages .kb-button") if b.text == "Older »"],
        "the archive's Older button",
    )[0]
    row_id = browser.execute_script("return arguments[0].closest('.row').dataset.messageId", older)
    before = css(browser, f'.row[data-message-id="{row_id}"] .body')[0].text
    assert "Issue of 2026-03-03" in before
    older.click()
    wait(
        browser,
        lambda d: (
            "Issue of 2026-03-01" in css(d, f'.row[data-message-id="{row_id}"] .body')[0].text
        ),
        "page 2 in the same message",
    )
    row = css(browser, f'.row[data-message-id="{row_id}"]')[0]
    assert "edited" in row.text and "Issue of 2026-03-03" not in row.text
    screenshot(browser, shots / "02-archive-page-2.png")

    # the daily push: in the group and in the forum's News topic
    css(browser, "#push-now")[0].click()
    open_chat(browser, world.GROUP)
    wait(
        browser,
        lambda d: any(TITLE in s.text for s in css(d, "#messages .row strong")),
        "the digest in the group",
        timeout=60,
    )
    screenshot(browser, shots / "03-group.png")
    open_chat(browser, world.FORUM, world.NEWS_TOPIC)
    wait(
        browser,
        lambda d: any(TITLE in s.text for s in css(d, "#messages .row strong")),
        "the digest in the topic",
        timeout=60,
    )
    assert "Digest forum › News" in css(browser, "#chat-title")[0].text
    screenshot(browser, shots / "04-topic.png")
    wait(
        browser,
        lambda d: "targets complete" in css(d, "#notice")[0].text,
        "the push report",
        timeout=60,
    )

    # a call Telegram refuses shows in red under the chat, with Telegram's reason
    open_chat(browser, world.MEMBER)
    runner.call(lambda: box.tg.fail_next(world.MEMBER, "parse"))
    type_text(browser, "/latest")
    text, colour = wait(
        browser,
        lambda d: [
            (e.text, e.value_of_css_property("color"))
            for e in css(d, "#errors .error")
            if "can't parse entities" in e.text
        ],
        "the red error",
    )[0]
    assert "refused by Telegram (400)" in text
    assert colour.startswith("rgba(183, 28, 28")
    screenshot(browser, shots / "05-refused.png")


RICH_HTML = (
    '<h1>Rich digest</h1><p>Read <b>this</b> and <a href="https://example.com/rich">the source'
    "</a></p><h2>Numbers</h2><table bordered><tr><th>Model</th><th>Score</th></tr>"
    '<tr><td>Alpha</td><td align="right">91</td></tr></table>'
    "<ul><li>first point</li></ul><hr/>"
    '<figure><img src="https://example.com/rich.png"/><figcaption>A cover</figcaption></figure>'
    "<details><summary>More</summary><p>hidden until opened</p></details>"
)


def test_rich_messages_drawn_from_their_blocks(
    running: tuple[SandboxThread, Sandbox], browser: Any, tmp_path: Path
) -> None:
    runner, box = running
    open_bot_chat(browser, box)
    from bot.delivery.rich_api import send_rich_message

    # through the stand-in's sendRichMessage: it validates the HTML and stores Telegram's blocks
    sent = runner.run(send_rich_message(box.app.bot, world.MEMBER, {"html": RICH_HTML}))
    message_id = sent.message_id
    row = f'.row[data-message-id="{message_id}"]'
    wait(browser, lambda d: css(d, f"{row} h1"), "the rich message")
    assert css(browser, f"{row} h1")[0].text == "Rich digest"
    assert css(browser, f"{row} h2")[0].text == "Numbers"
    cells = [c.text for c in css(browser, f"{row} table th, {row} table td")]
    assert cells == ["Model", "Score", "Alpha", "91"]
    assert css(browser, f"{row} a")[0].get_attribute("href") == "https://example.com/rich"
    assert css(browser, f"{row} strong")[0].text == "this"
    assert css(browser, f"{row} hr") and css(browser, f"{row} ul li")
    assert not css(browser, f"{row} details")[0].get_attribute("open")
    assert css(browser, f"{row} figure img")
    assert "A cover" in css(browser, f"{row} figcaption")[0].text
    screenshot(browser, tmp_path / "rich.png")


ALL_ENTITIES = (
    "😀 <b>bold</b> <i>italic</i> <u>under</u> <s>struck</s> <tg-spoiler>secret</tg-spoiler> "
    '<code>inline()</code> <a href="https://example.com/x?a=1&amp;b=2">a link</a> #hashtag\n'
    '<pre><code class="language-rust">fn main() {}</code></pre>'
    "<blockquote>quoted</blockquote>"
    "<blockquote expandable>line 1\nline 2\nline 3\nline 4\nline 5\nline 6</blockquote>"
    "<b>bold <i>and italic</i></b>"
)


def test_entities_edits_and_deletions_as_telegram_draws_them(
    running: tuple[SandboxThread, Sandbox], browser: Any, tmp_path: Path
) -> None:
    runner, box = running
    open_bot_chat(browser, box)
    bot = box.app.bot  # the real bot's own Bot (PTB, HTML by default) through the stand-in
    sent = runner.run(bot.send_message(world.MEMBER, ALL_ENTITIES))
    row = f'.row[data-message-id="{sent.message_id}"]'
    wait(browser, lambda d: css(d, f"{row} strong"), "the message")
    # the emoji is two UTF-16 units: a wrong offset would cut "bold"
    assert css(browser, f"{row} strong")[0].text == "bold"
    assert css(browser, f"{row} em")[0].text == "italic"
    assert css(browser, f"{row} u")[0].text == "under"
    assert css(browser, f"{row} s")[0].text == "struck"
    assert css(browser, f"{row} code")[0].text == "inline()"
    assert (
        css(browser, f"{row} a[title]")[0].get_attribute("href") == "https://example.com/x?a=1&b=2"
    )
    assert css(browser, f"{row} .hashtag")[0].text == "#hashtag"
    pre = css(browser, f"{row} pre code[data-language='rust']")[0]
    assert pre.text == "fn main() {}"
    assert css(browser, f"{row} strong em")[0].text == "and italic"  # nested
    spoiler = css(browser, f"{row} .spoiler")[0]
    assert spoiler.value_of_css_property("color") == "rgba(0, 0, 0, 0)"  # hidden
    spoiler.click()
    assert "revealed" in spoiler.get_attribute("class")
    quote = css(browser, f"{row} blockquote.expandable")[0]
    assert "collapsed" in quote.get_attribute("class")
    folded = quote.size["height"]
    quote.click()
    assert quote.size["height"] > folded
    screenshot(browser, tmp_path / "entities.png")

    runner.run(
        bot.edit_message_text(
            "<b>changed</b> text", chat_id=world.MEMBER, message_id=sent.message_id
        )
    )
    wait(
        browser,
        lambda d: css(d, f"{row} strong") and css(d, f"{row} strong")[0].text == "changed",
        "the edit",
    )
    assert "edited" in css(browser, f"{row} .meta")[0].text
    runner.run(bot.delete_message(world.MEMBER, sent.message_id))
    wait(browser, lambda d: css(d, f"{row}.deleted"), "the deletion")
    assert css(browser, row)[0].text == "Message deleted"
    screenshot(browser, tmp_path / "edited-deleted.png")


def test_preview_page_follows_the_file(tmp_path: Path, browser: Any) -> None:
    content = _content(tmp_path)
    file = content / f"{NEWEST}.md"
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    stop = asyncio.Event()
    boxes: list[Any] = []

    async def main() -> None:
        async with previewing(file, content, interval=0.1) as box:
            boxes.append(box)
            ready.set()
            await stop.wait()

    def run() -> None:
        try:
            loop.run_until_complete(main())
        finally:
            ready.set()
            close_loop(loop)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        assert ready.wait(30) and boxes, "the preview did not start"
        browser.get(boxes[0].url)
        wait(
            browser,
            lambda d: any(TITLE in s.text for s in css(d, "#messages strong")),
            "the digest",
        )
        assert not css(browser, "#composer")[0].is_displayed()  # a preview is read-only
        assert "layout sections" in css(browser, "#preview-info")[0].text
        assert (
            css(browser, "#messages .bubble .body")[0].value_of_css_property("color")
            == "rgba(0, 0, 0, 1)"
        )  # the page's mode class must not restyle the messages
        screenshot(browser, tmp_path / "preview.png")
        file.write_text(
            file.read_text(encoding="utf-8").replace(TITLE, "A retitled issue"), encoding="utf-8"
        )
        os.utime(file, ns=(time.time_ns(), time.time_ns() + 10**9))
        wait(
            browser,
            lambda d: any("A retitled issue" in s.text for s in css(d, "#messages strong")),
            "the reload",
        )
        assert not any(TITLE in s.text for s in css(browser, "#messages strong"))
        screenshot(browser, tmp_path / "preview-reloaded.png")

        # switch the layout to rich: one rich message, drawn from the stand-in's blocks
        wait(
            browser,
            lambda d: css(d, '#preview-info button[data-layout="rich"]')[0].click() or True,
            "the layout switch",
        )
        wait(
            browser,
            lambda d: css(d, "#messages .rich h2") and css(d, "#messages .rich td"),
            "headings and a table",
        )
        headings = [h.text for h in css(browser, "#messages .rich h1, #messages .rich h2")]
        assert "A retitled issue" in headings and "Figures" in headings
        cells = [c.text for c in css(browser, "#messages .rich td")]
        assert cells[:2] == ["Alpha", "91"]
        assert "layout rich" in css(browser, "#preview-info")[0].text
        screenshot(browser, tmp_path / "preview-rich.png")
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(30)


_TAGS = ("b", "i", "u", "s", "tg-spoiler", "code", 'a href="https://example.com/p"', "blockquote")
_TEXT = st.text(alphabet=st.sampled_from("ab c\n<&>😀中文é"), min_size=1, max_size=8)


@st.composite
def _html(draw: st.DrawFn, depth: int = 0) -> str:
    parts = []
    for _ in range(draw(st.integers(1, 3))):
        if depth < 3 and draw(st.booleans()):
            tag = draw(st.sampled_from(_TAGS))
            parts.append(f"<{tag}>{draw(_html(depth + 1))}</{tag.split()[0]}>")
        else:
            parts.append(html.escape(draw(_TEXT), quote=False))
    return "".join(parts)


_DRAWN = """
const box = document.createElement("div");
box.appendChild(drawEntities(arguments[0], arguments[1]));
box.querySelectorAll(".lang").forEach((label) => label.remove());
const counts = {};
for (const [type, tag] of [["bold", "strong"], ["italic", "em"], ["underline", "u"],
    ["strikethrough", "s"], ["spoiler", ".spoiler"], ["code", "code"], ["text_link", "a[title]"],
    ["blockquote", "blockquote"]]) counts[type] = box.querySelectorAll(tag).length;
return [box.textContent, counts];
"""


def test_every_message_text_survives_drawing(
    running: tuple[SandboxThread, Sandbox], browser: Any
) -> None:
    """For any HTML Telegram accepts: the page shows exactly the message's text (nothing lost
    or doubled, UTF-16 offsets honoured) and one element per entity."""
    from bot.standin.telegram_html import TelegramHTMLError, validate_message

    _, box = running
    browser.get(box.url)
    wait(browser, lambda d: css(d, "#chats li"), "the page")

    @settings(max_examples=60, deadline=None, database=None)
    @given(_html())
    def check(source: str) -> None:
        try:
            parsed = validate_message(source)
        except TelegramHTMLError:
            assume(False)
            return
        assume(parsed.text.strip())
        text, counts = browser.execute_script(_DRAWN, parsed.text, parsed.api_entities)
        assert text == parsed.text
        for kind, drawn in counts.items():
            assert drawn == sum(e["type"] == kind for e in parsed.api_entities), (kind, source)

    check()
