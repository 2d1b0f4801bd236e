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


@contextmanager
def running_server(
    data_dir: Path, *, env: dict[str, str] | None = None, timeout: float = 120
) -> Iterator[str]:
    """Start the dashboard with its own data folder; yield its base URL; stop it afterwards."""
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("MIGDASH_")}
    full_env.update(MIGDASH_DATA_DIR=str(data_dir), MIGDASH_PORT=str(port), MIGDASH_HOST="127.0.0.1")
    full_env.update(env or {})
    log_path = data_dir / "server.log"
    migdash = Path(sys.executable).with_name("migdash")
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [str(migdash), "serve"], env=full_env, stdout=log, stderr=subprocess.STDOUT
        )
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
