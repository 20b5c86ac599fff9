# Copyright 2026 The devenv-facade Authors.
# SPDX-License-Identifier: Apache-2.0

"""The facade under test: bin/devenv-facade, started on free loopback ports
with its embedded ModelArts emulator, and stopped as an operator would
(SIGTERM)."""

from __future__ import annotations

import os
import pathlib
import re
import signal
import subprocess
import threading
import uuid
from typing import Sequence

#: The repository root: this file is clients/python/tests/facade.py.
REPO_ROOT = pathlib.Path(__file__).resolve().parents[3]

#: The emulator's sample project and its running sample instance.
SAMPLE_PROJECT = "0123456789abcdef0123456789abcdef"
SAMPLE_INSTANCE = "DE-7d558ef8-c73d-11ea-964c-0255ac100033"

#: The emulator's sample notebooks of the new API (in the same project):
#: notebooks_test, RUNNING, and notebook-usecase, STOPPED; and the image of
#: the pages' samples, which new notebooks run.
SAMPLE_RUNNING_NOTEBOOK = "f9937afa-4451-42db-a76b-72d624749f66"
SAMPLE_STOPPED_NOTEBOOK = "936bea3e-d3df-435e-8b58-d817283284ae"
SAMPLE_IMAGE = "e1a07296-22a8-4f05-8bc8-e936c8e54090"

_SERVING = re.compile(r"\bmsg=serving\b")
_GRPC_ADDR = re.compile(r"\bgrpc_addr=(\S+)")
_REST_ADDR = re.compile(r"\brest_addr=(\S+)")


def facade_binary() -> str:
    """$DEVENV_FACADE_BIN (make test-clients builds it once for both
    suites), else bin/devenv-facade built here."""
    path = os.environ.get("DEVENV_FACADE_BIN")
    if path:
        if not os.path.exists(path):
            raise FileNotFoundError(f"DEVENV_FACADE_BIN={path} does not exist")
        return path
    subprocess.run(["go", "build", "-o", "bin/", "./cmd/devenv-facade"], cwd=REPO_ROOT, check=True)
    return str(REPO_ROOT / "bin" / "devenv-facade")


class Facade:
    """A running facade. start() returns once it logged its "serving" line,
    which names the addresses it bound (port 0 picks free ones)."""

    def __init__(self, process: subprocess.Popen, grpc_addr: str, rest_addr: str, lines: list):
        self._process = process
        self._lines = lines
        #: The gRPC listener, "127.0.0.1:PORT".
        self.grpc_addr = grpc_addr
        #: The REST mirror, "http://127.0.0.1:PORT".
        self.rest_url = "http://" + rest_addr

    @classmethod
    def start(cls, timeout: float = 30.0, extra_args: Sequence[str] = ()) -> "Facade":
        """Starts the facade with extra_args added to its flags."""
        # Settings meant for another facade stay out: the flags decide.
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DEVENV_FACADE_", "OS_"))}
        args = [
            facade_binary(),
            "--grpc-addr", "127.0.0.1:0",
            "--http-addr", "127.0.0.1:0",
            "--admin-addr", "",
            "--log-format", "text",
            *extra_args,
        ]
        process = subprocess.Popen(
            args, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True,
        )
        lines: list = []
        found: dict = {}
        serving = threading.Event()

        def read() -> None:
            # Reads the log to the end, so that the facade never blocks on
            # a full pipe, and keeps it for failure messages.
            for line in process.stderr:
                lines.append(line.rstrip("\n"))
                if not serving.is_set() and _SERVING.search(line):
                    grpc_match, rest_match = _GRPC_ADDR.search(line), _REST_ADDR.search(line)
                    if grpc_match and rest_match:
                        found["grpc"], found["rest"] = grpc_match.group(1), rest_match.group(1)
                    serving.set()
            serving.set()

        threading.Thread(target=read, daemon=True).start()
        if not serving.wait(timeout) or "grpc" not in found:
            process.kill()
            process.wait()
            log = "\n".join(lines)
            raise RuntimeError(f"the facade did not serve (exit status {process.returncode}):\n{log}")
        return cls(process, found["grpc"], found["rest"], lines)

    def log(self) -> str:
        """The facade's log so far."""
        return "\n".join(self._lines)

    def stop(self, timeout: float = 30.0) -> int:
        """Sends SIGTERM and returns the exit status once the process ended."""
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
        try:
            return self._process.wait(timeout)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
            raise


def unique(prefix: str) -> str:
    """A name or request ID no other test run uses."""
    return f"{prefix}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
