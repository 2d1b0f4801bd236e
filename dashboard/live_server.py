"""Run `migdash serve` in a child process on a free loopback port (browser tests, screenshots)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _environment(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MIGDASH_")}
    env.update(MIGDASH_DATA_DIR=str(data_dir), **extra)
    return env


def _migdash() -> str:
    return str(Path(sys.executable).with_name("migdash"))


def add_user(
    data_dir: Path, name: str, role: str, password: str, municipalities: tuple[str, ...] = ()
) -> None:
    """`migdash users add` against the data folder of a running server (tests, screenshots)."""
    command = [_migdash(), "users", "add", name, "--role", role, "--password-stdin"]
    for code in municipalities:
        command += ["--municipality", code]
    subprocess.run(command, input=password + "\n", text=True, env=_environment(data_dir), check=True)


@contextmanager
def running_server(
    data_dir: Path, *, env: dict[str, str] | None = None, timeout: float = 120
) -> Iterator[str]:
    """Start the dashboard with its own data folder; yield its base URL; stop it afterwards."""
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    full_env = _environment(data_dir, MIGDASH_PORT=str(port), MIGDASH_HOST="127.0.0.1")
    full_env.update(env or {})
    log_path = data_dir / "server.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen([_migdash(), "serve"], env=full_env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + timeout
            while True:
                if process.poll() is not None:
                    raise RuntimeError("the server exited:\n" + log_path.read_text())
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                        break
                except OSError:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"the server did not start within {timeout} s") from None
                    time.sleep(0.3)
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
