"""`digestbot check` for publishers: what is a digest, errors vs warnings, file:line, --strict,
grouped reasons and the summary line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.digest.links import REASON_BAD_HOST, REASON_MAILTO, REASON_RELATIVE, REASON_SCHEME

GOOD = "---\ntitle: T\ndate: 2026-01-0{n}\n---\n# T\n\n## S\n\nText.\n"


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for key in ("CONTENT_DIR", "TELEGRAM_BOT_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    root = tmp_path / "content"
    root.mkdir()
    return root


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str]]:
    code = main(["check", *args])
    return code, capsys.readouterr().out.strip().splitlines()


def test_file_types_and_skipped_names(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (folder / "a.md").write_text(GOOD.format(n=1), encoding="utf-8")
    (folder / "b.markdown").write_text(GOOD.format(n=2), encoding="utf-8")
    (folder / "c.txt").write_text(GOOD.format(n=3), encoding="utf-8")
    (folder / "notes.txt").write_text("no front matter, not a digest\n", encoding="utf-8")
    for name in ("README.md", "SOURCES.md", "LICENSE.md", "_index.md"):
        (folder / name).write_text("# not a digest\n", encoding="utf-8")
    code, lines = run(capsys, str(folder))
    assert code == 0
    assert lines == [
        "checked 3 file(s): 3 digest(s) (0 draft(s)), 6 message(s), 0 error(s), 0 warning(s)"
    ]
    code, lines = run(capsys, str(folder / "README.md"), str(folder / "a.md"))
    assert code == 0 and lines[-1].endswith(", 1 skipped (not digests)")


def test_draft_is_checked_and_named(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = folder / "d.md"
    path.write_text("---\ntitle: T\ndate: 2026-01-01\ndraft: true\n---\n[x](/rel)\n", "utf-8")
    code, lines = run(capsys, str(path))
    assert code == 0
    assert lines[0] == f"{path}:6: warning: {REASON_RELATIVE}: /rel"
    assert lines[1].startswith(f"{path}: draft")
    assert "1 digest(s) (1 draft(s))" in lines[2]


def test_warnings_name_file_and_line_and_strict_fails(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = folder / "w.md"
    path.write_text(
        "---\ntitle: T\ndate: 2026-01-01\ncoverImage: cover.png\ntags: {a: 1}\n---\n"
        "# T\n\n## S\n\n"  # lines 7-10
        "[mail](mailto:a@b.org) [js](javascript:x())\n\n"  # line 11
        "<div class=card>join us</div>\n\n"  # line 13
        "- [repo](https://https://github.com/x)\n",  # line 15
        encoding="utf-8",
    )
    code, lines = run(capsys, str(path))
    assert code == 0
    assert lines[:-1] == [
        f"{path}:5: warning: tags: a dict is not a list of names (ignored)",
        f"{path}:4: warning: coverImage is not an http(s) URL, the digest is sent without it: "
        "cover.png",
        f"{path}:11: warning: {REASON_MAILTO}: mailto:a@b.org",
        f"{path}:11: warning: {REASON_SCHEME}: javascript:x()",
        f"{path}:13: warning: HTML block dropped (Telegram messages cannot hold it): <div…>",
        f"{path}:15: warning: {REASON_BAD_HOST}: https://https://github.com/x",
    ]
    assert lines[-1].endswith("0 error(s), 6 warning(s)")
    assert main(["check", "--strict", str(path)]) == 1


@pytest.mark.parametrize(
    ("html", "warnings"),
    [
        ("<b>bold</b> <span>kept</span> <br> <sup>1</sup> <code>c</code>", []),
        ('<img src="pic.png" alt="p">', [f"{REASON_RELATIVE}: pic.png"]),
        ('<a href="javascript:x()">js</a>', [f"{REASON_SCHEME}: javascript:x()"]),
        ('<a href="https://e.com">ok</a> <video src="https://e.com/v.mp4">', []),
    ],
)
def test_inline_html_is_checked_like_markdown(
    folder: Path, capsys: pytest.CaptureFixture[str], html: str, warnings: list[str]
) -> None:
    # formatting tags pass silently; an inline <a href>/<img src> gets the link warnings of a
    # markdown link (check once crashed on any inline tag other than an opening <a>)
    path = folder / "h.md"
    path.write_text(GOOD.format(n=1) + f"\n{html}\n", encoding="utf-8")  # html on line 11
    code, lines = run(capsys, str(path))
    assert (code, lines[:-1]) == (0, [f"{path}:11: warning: {w}" for w in warnings])


def test_errors_exit_1_and_identical_reasons_are_grouped(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for n in range(5):
        (folder / f"issue-{n}.md").write_text("# undated\n\ntext\n", encoding="utf-8")
    (folder / "2026-01-01.md").write_text("---\ntitle: [oops\n---\nx\n", encoding="utf-8")
    (folder / "ok.md").write_text(GOOD.format(n=1), encoding="utf-8")
    code, lines = run(capsys, str(folder))
    assert code == 1
    # in file order (first occurrence of each reason)
    assert lines[0].startswith(f"{folder / '2026-01-01.md'}: front matter is not valid YAML")
    assert lines[1] == (
        "5 files: no usable date (add date: to the front matter, or YYYY-MM-DD to the name): "
        "issue-0.md, issue-1.md, issue-2.md … (+2)"
    )
    assert lines[2] == (
        "checked 7 file(s): 1 digest(s) (0 draft(s)), 2 message(s), 6 error(s), 0 warning(s)"
    )


def test_no_digest_found_is_an_error(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = run(capsys, str(folder))
    assert code == 1 and "no digest files (.md, .markdown, .txt) found" in lines[0]


def test_missing_path_is_a_usage_error(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(folder / "nope.md")]) == 2
    assert "nope.md" in capsys.readouterr().err
