"""The `digestbot` command line: render, check (engine only), run (the bot), post (delivery).

render/check need no token and no network; run/post import their modules lazily so the engine
commands keep working on their own.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from bot import __version__, catalog
from bot.config import ConfigError, Settings
from bot.digest.calls import DEFAULT_LAYOUT, LAYOUTS, OutgoingCall
from bot.digest.limits import set_limits
from bot.digest.loader import load_all, load_digest, parse_day
from bot.digest.model import Digest, DigestError

if TYPE_CHECKING:
    from bot.digest.lint import Finding


class UsageError(Exception):
    """A bad command-line argument: printed as one line, exit status 2."""


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="digestbot", description="Telegram bot that distributes markdown news digests."
    )
    parser.add_argument("--version", action="version", version=f"digestbot {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    render = sub.add_parser("render", help="print the messages the bot would send for a digest")
    _spec_argument(render)
    render.add_argument(
        "--json",
        action="store_true",
        help='JSON: [{"digest", "title", "calls": [Bot API calls]}] per edition',
    )
    render.add_argument(
        "--layout",
        choices=LAYOUTS,
        default=DEFAULT_LAYOUT,
        help="how a push sends it: one message per ## section (default), "
        "sections packed into few messages, or one rich message",
    )
    render.add_argument("--content-dir", type=Path, help="content folder (default: CONTENT_DIR)")

    check = sub.add_parser(
        "check", help="check digest files for publishing: errors (exit 1) and warnings"
    )
    check.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="FILE|DIR",
        help="digest files and folders (default: CONTENT_DIR)",
    )
    check.add_argument("--strict", action="store_true", help="warnings fail the check too")

    sub.add_parser("run", help="run the bot (needs TELEGRAM_BOT_TOKEN)")
    sub.add_parser(
        "healthcheck",
        help="exit 0 if the running bot's /healthz (HEALTH_LISTEN) "
        "says ok, else 1 (for Docker's HEALTHCHECK)",
    )

    sandbox = sub.add_parser("sandbox", help="try the whole bot in a browser: no token, no network")
    _page_options(sandbox)
    sandbox.add_argument(
        "--content-dir",
        type=Path,
        help="content folder (default: CONTENT_DIR, else the bundled samples)",
    )

    preview = sub.add_parser("preview", help="show one digest in a browser as a chat receives it")
    _spec_argument(preview)
    preview.add_argument(
        "--layout",
        choices=LAYOUTS,
        default=DEFAULT_LAYOUT,
        help=f"how a chat receives the digest (default: {DEFAULT_LAYOUT}; the page can switch)",
    )
    preview.add_argument("--content-dir", type=Path, help="content folder (default: CONTENT_DIR)")
    _page_options(preview)

    post = sub.add_parser("post", help="push a digest now through the delivery journal")
    post.add_argument(
        "date", nargs="?", default=None, metavar="DATE", help="date of the digest (default: latest)"
    )
    post.add_argument(
        "--chat",
        default=None,
        metavar="ID",
        help="one chat (-100123, @channel or -100123:42) instead of DIGEST_CHATS",
    )
    return parser


def _spec_argument(parser: argparse.ArgumentParser) -> None:
    """The digest a command shows, as `_select` reads it (render and preview alike)."""
    parser.add_argument(
        "spec",
        nargs="?",
        default="latest",
        metavar="FILE|DATE|latest",
        help="a digest file, a date (2026-01-25 or 20260125: every edition) or 'latest' (default)",
    )


def _page_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address of the page (default: 127.0.0.1, this machine only)",
    )
    parser.add_argument("--port", type=_port, default=8080, help="port of the page (default: 8080)")


def _port(raw: str) -> int:
    if not raw.isdigit() or not 0 <= int(raw) <= 65535:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a port number (0-65535)")
    return int(raw)


def main(argv: list[str] | None = None) -> int:
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits on --help/--version/bad usage: report its status
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    try:
        _apply_size_limits()
        if args.command == "render":
            return _render(args, sys.stdout)
        if args.command == "check":
            return _check(args, sys.stdout)
        if args.command == "sandbox":
            return _sandbox(args)
        if args.command == "preview":
            return _preview(args)
        if args.command == "healthcheck":
            return _healthcheck()
        # Settings first: a missing token is a one-line error even before the bot code loads.
        settings = Settings.from_env()
        if args.command == "run":
            from bot.app import run_bot

            return run_bot(settings)
        from bot.delivery.post_cli import post_command

        return post_command(settings, args)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except UsageError as exc:
        print(f"digestbot {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # `digestbot render | head`: the reader left; silence the exit flush (Python docs recipe).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


# ---------------------------------------------------------------------------- sandbox, preview


def _sandbox(args: argparse.Namespace) -> int:
    import asyncio

    from bot.logging_setup import setup_logging
    from bot.sandbox.run import run_sandbox
    from bot.sandbox.world import made_up_token

    base = Settings.from_env(require_token=False)
    token = made_up_token()  # the stand-in's: redacted like a real one (it is in every URL)
    setup_logging(base.log_level, [base.token or "", token])
    try:
        return asyncio.run(
            run_sandbox(
                base,
                host=args.host,
                port=args.port,
                content_dir=args.content_dir,
                content_from_env=bool(os.environ.get("CONTENT_DIR")),
                token=token,
            )
        )
    except OSError as exc:  # the port is taken, most often
        raise UsageError(
            f"cannot serve on {args.host}:{args.port} ({exc.strerror or exc})"
        ) from None


def preview_files(spec: str, content_dir: Path | None) -> Callable[[], dict[Path, float]]:
    """What the preview watches: the file itself, or every digest file when the spec is a date or
    'latest' (a new edition may appear)."""
    from bot.digest.loader import iter_digest_files

    path = Path(spec)
    if spec.strip().lower() != "latest" and path.is_file():
        files: Callable[[], list[Path]] = lambda: [path]  # noqa: E731
    else:
        files = lambda: iter_digest_files(_content_dir(content_dir))  # noqa: E731

    def watched() -> dict[Path, float]:
        out: dict[Path, float] = {}
        for file in files():
            with contextlib.suppress(OSError):  # deleted between listing and stat
                out[file] = file.stat().st_mtime_ns
        return out

    return watched


def _preview(args: argparse.Namespace) -> int:
    import asyncio

    from bot.digest.calls import build_calls
    from bot.sandbox.run import run_preview

    try:  # a bad spec is an error before any server starts; later ones show on the page
        _select(args.spec, args.content_dir)
    except DigestError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    try:
        return asyncio.run(
            run_preview(
                lambda: _select(args.spec, args.content_dir),
                build_calls,
                preview_files(args.spec, args.content_dir),
                spec=args.spec,
                layout=args.layout,
                host=args.host,
                port=args.port,
            )
        )
    except OSError as exc:
        raise UsageError(
            f"cannot serve on {args.host}:{args.port} ({exc.strerror or exc})"
        ) from None


def _healthcheck() -> int:
    from bot.healthcheck import main as healthcheck

    return healthcheck()


def _apply_size_limits() -> None:
    """MAX_DIGEST_BYTES / MAX_DIGEST_MESSAGES hold for every command, token or not; another bad
    setting is reported by the command that needs it (render/check need none of them)."""
    try:
        set_limits(Settings.from_env(require_token=False).size_limits)
    except ConfigError as exc:
        if exc.variable.startswith("MAX_DIGEST_"):
            raise


# ---------------------------------------------------------------------------- render


def _content_dir(override: Path | None) -> Path:
    if override is not None:
        return override
    return Settings.from_env(require_token=False).content_dir


def _select(spec: str, content_dir: Path | None) -> list[Digest]:
    """The digests a render/preview spec names, oldest first. Raises UsageError / DigestError."""
    path = Path(spec)
    if spec.strip().lower() != "latest" and path.is_file():
        root = _content_dir(content_dir)
        return [load_digest(path, root if _is_under(path, root) else None, drafts=True)]
    try:
        day = parse_day(spec)
    except ValueError as exc:
        raise UsageError(f"argument FILE|DATE: {spec!r} is not a valid date ({exc})") from None
    if day is None and spec.strip().lower() != "latest":
        raise UsageError(f"argument FILE|DATE: {spec!r} is no such file, date or 'latest'")
    root = _content_dir(content_dir)
    if not root.is_dir():
        raise UsageError(f"content folder {str(root)!r} does not exist")
    digests, errors = load_all(root)
    if errors:
        print(
            f"note: {len(errors)} file(s) under {root} skipped, see `digestbot check`",
            file=sys.stderr,
        )
    chosen = catalog.find(digests, spec)
    if not chosen:
        nearest = catalog.latest(digests)
        hint = f" (latest is {nearest.date:%Y-%m-%d})" if nearest else ""
        raise DigestError(root, f"no digest for {spec}{hint}")
    return chosen


def _is_under(path: Path, root: Path) -> bool:
    return path.resolve().is_relative_to(root.resolve())


def _render(args: argparse.Namespace, out: TextIO) -> int:
    try:
        digests = _select(args.spec, args.content_dir)
    except DigestError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    # each call exactly as the push makes it (the catalogue the push asks; folder use: no store)
    calls_of = catalog.Catalog(None, Path(".")).calls
    try:
        batches = [(digest, calls_of(digest, layout=args.layout)) for digest in digests]
    except DigestError as exc:  # over MAX_DIGEST_MESSAGES: the bot would refuse it too
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.json:
        payload = [
            {
                "digest": digest.id,
                "title": digest.title,
                "calls": [call.to_json() for call in calls],
            }
            for digest, calls in batches
        ]
        json.dump(payload, out, ensure_ascii=False, indent=2)
        out.write("\n")
        return 0
    for digest, calls in batches:
        _print_digest(digest, calls, args.layout, out)
    return 0


def _print_digest(digest: Digest, calls: Sequence[OutgoingCall], layout: str, out: TextIO) -> None:
    from bot.digest.lint import length_limit
    from bot.digest.tghtml import measure

    out.write(f"=== {digest.id}  {digest.path}\n")
    out.write(
        f"=== {digest.title}  ({digest.date:%Y-%m-%d}, {len(calls)} messages, layout {layout})\n"
    )
    for number, call in enumerate(calls, 1):
        sections = ", ".join(s or "-" for s in call.sections) or "-"
        head = f"\n--- [{number}/{len(calls)}] {call.method}  "
        if call.method == "sendRichMessage":
            out.write(head + f"section: {sections}\n")
            _print_rich_outline(call.html, out)
            continue
        size = measure(call.html)
        kind, limit = length_limit(call.method)
        out.write(
            head + f"{kind} {size.utf16}/{limit} UTF-16, {size.entities} entities  "
            f"section: {sections}\n"
        )
        if call.photo:
            out.write(f"photo: {call.photo}\n")
        out.write(call.html.rstrip("\n") + "\n")
    out.write("\n")


def _print_rich_outline(html: str, out: TextIO) -> None:
    """A rich message as an indented outline of its blocks (the fake server's stored shape)."""
    from bot.standin.rich_html import (
        MAX_BLOCKS,
        MAX_DEPTH,
        MAX_MEDIA,
        MAX_TEXT,
        RichHTMLError,
        validate_rich_html,
    )

    try:
        parsed = validate_rich_html(html)
    except RichHTMLError as exc:  # a renderer bug: show it, with the raw HTML to debug
        out.write(f"INVALID: {exc}\n{html}\n")
        return
    c = parsed.counts
    out.write(
        f"{c.text}/{MAX_TEXT} characters, {c.blocks}/{MAX_BLOCKS} blocks, "
        f"depth {c.depth}/{MAX_DEPTH}, {c.media}/{MAX_MEDIA} media\n"
    )
    for line in rich_outline(parsed.blocks):
        out.write(line + "\n")


def rich_outline(blocks: Sequence[dict], indent: str = "") -> list[str]:
    """One line per block: its type and a short text; nested blocks indented."""
    from bot.standin.rich_html import list_item_lines, plain

    lines = []
    for block in blocks:
        kind = block["type"]
        label = (
            kind
            + (f" {block['size']}" if kind == "heading" else "")
            + (f" ({block['language']})" if block.get("language") else "")
        )
        text = plain(block.get("text", block.get("summary", ""))).replace("\n", " / ")
        if block.get("url"):
            text = block["url"] + (
                f"  caption: {plain(block['caption']['text'])}" if block.get("caption") else ""
            )
        if kind == "table":
            text = f"{len(block['cells'])} rows x {max(map(len, block['cells']), default=0)} cols"
        if kind == "list":
            text = f"{len(block['items'])} items"
        lines.append(f"{indent}{label}: {_short(text)}" if text else f"{indent}{label}")
        if kind == "list":
            for item in block["items"]:
                inner = rich_outline(item["blocks"], indent + "    ")
                lines.extend(list_item_lines(item, inner, indent + "  "))
        elif kind == "table":
            lines.extend(
                f"{indent}  | " + " | ".join(_short(plain(c["text"]), 20) for c in row)
                for row in block["cells"]
            )
        elif "blocks" in block:
            lines.extend(rich_outline(block["blocks"], indent + "  "))
    return lines


def _short(text: str, width: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


# ---------------------------------------------------------------------------- check

GROUP_MIN_FILES = 3  # a reason shared by this many files is printed once, with the file names


def _check_targets(
    args: argparse.Namespace,
) -> tuple[list[tuple[Path, Path | None, str]], int, list[DigestError]]:
    """(file, root for its id, name to print in groups) of every digest named; how many named
    files are not digests; what could not be looked at (symlink loops, unreadable folders)."""
    from bot.digest.loader import has_front_matter, is_digest_name, scan_digest_files

    paths = args.paths or [_content_dir(None)]
    targets: list[tuple[Path, Path | None, str]] = []
    unreadable: list[DigestError] = []
    skipped = 0
    for given in paths:
        if given.is_dir():
            files, problems = scan_digest_files(given)
            unreadable.extend(problems)
            targets.extend((f, given, f.relative_to(given).as_posix()) for f in files)
        elif given.is_file():
            if is_digest_name(given) and (
                given.suffix.lower() != ".txt" or has_front_matter(given)
            ):
                root = _content_dir(None)
                targets.append((given, root if _is_under(given, root) else None, str(given)))
            else:
                skipped += 1
        else:
            raise UsageError(f"argument FILE|DIR: {str(given)!r} is no such file or directory")
    return targets, skipped, unreadable


def _check(args: argparse.Namespace, out: TextIO) -> int:
    from bot.digest.lint import Finding, check_file

    targets, skipped, unreadable = _check_targets(args)
    reports = [(check_file(path, root), name) for path, root, name in targets]
    findings: list[tuple[Finding, str]] = [
        (Finding("error", Path(err.path), None, err.reason), err.path) for err in unreadable
    ]
    findings.extend((f, name) for r, name in reports for f in r.findings)
    if not targets and not unreadable:
        where = ", ".join(str(p) for p in (args.paths or [_content_dir(None)]))
        findings.append(
            (
                Finding("error", Path(where), None, "no digest files (.md, .markdown, .txt) found"),
                where,
            )
        )
    for level in ("error", "warning"):
        for line in _grouped([(f, n) for f, n in findings if f.level == level]):
            out.write(line + "\n")
    drafts = [r for r, _ in reports if r.digest is not None and r.digest.draft]
    for report in drafts:
        out.write(f"{report.path}: draft (draft: true): checked, but the bot does not send it\n")
    errors = sum(f.level == "error" for f, _ in findings)
    warnings = len(findings) - errors
    digests = sum(r.digest is not None for r, _ in reports)
    summary = (
        f"checked {len(targets)} file(s): {digests} digest(s) ({len(drafts)} draft(s)), "
        f"{sum(r.messages for r, _ in reports)} message(s), {errors} error(s), "
        f"{warnings} warning(s)"
    )
    out.write(summary + (f", {skipped} skipped (not digests)" if skipped else "") + "\n")
    return 1 if errors or (args.strict and warnings) else 0


def _grouped(findings: list[tuple[Finding, str]]) -> list[str]:
    """One line per finding, except a reason shared by many files: one line naming them."""
    by_reason: dict[str, list[tuple[Finding, str]]] = {}
    for finding, name in findings:
        by_reason.setdefault(finding.reason, []).append((finding, name))
    lines: list[str] = []
    for reason, group in by_reason.items():
        names = list(dict.fromkeys(name for _, name in group))
        level = "" if group[0][0].level == "error" else "warning: "
        if len(names) >= GROUP_MIN_FILES:
            shown = ", ".join(names[:GROUP_MIN_FILES])
            more = f" … (+{len(names) - GROUP_MIN_FILES})" if len(names) > GROUP_MIN_FILES else ""
            lines.append(f"{len(names)} files: {level}{reason}: {shown}{more}")
        else:
            lines.extend(f"{f.where()}: {level}{f.text()}" for f, _ in group)
    return lines
