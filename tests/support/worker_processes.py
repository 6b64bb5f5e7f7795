"""RQ workers as production runs them, `flask worker` in a process of its own, for the tests that
stop them warmly or kill them with SIGKILL in the middle of a job."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from tests.support.waiting import wait_for

ROOT = Path(__file__).parents[2]


class WorkerProcess:
    """`flask --app app worker --queue ...` as production starts it, in its own process group,
    configured through the environment only."""

    def __init__(self, environment: Mapping[str, str], log_path: Path, queues: Sequence[str]) -> None:
        self.environment = {**os.environ, **environment}
        self.log_path = log_path
        self.queues = queues
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> WorkerProcess:
        command = [sys.executable, "-m", "flask", "--app", "app", "worker"]
        for queue in self.queues:
            command += ["--queue", queue]
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                command, cwd=ROOT, env=self.environment, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        return self

    def log(self) -> str:
        return f"--- {self.log_path.name}\n{self.log_path.read_text(errors='replace')}"

    def kill(self) -> None:
        """SIGKILL, as the kernel's OOM killer or a pulled plug would: the worker's process group
        (the worker and its scheduler), and any child that RQ put in a group of its own."""
        assert self._process is not None
        tree = _process_tree(self._process.pid)
        os.killpg(self._process.pid, signal.SIGKILL)
        for pid in tree:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(os.getpgid(pid), signal.SIGKILL)
        self._process.wait(10)
        self._process = None
        wait_for(lambda: not any(_is_alive(pid) for pid in tree), "the killed worker's processes to be gone")

    def request_stop(self) -> None:
        """Ask for a warm shutdown (SIGTERM), as a service manager does; `stop` waits for it."""
        if self._process is not None:
            os.killpg(self._process.pid, signal.SIGTERM)

    def stop(self) -> None:
        """A warm shutdown, or SIGKILL when it takes too long."""
        if self._process is None:
            return
        self.request_stop()
        try:
            self._process.wait(10)
            self._process = None
        except subprocess.TimeoutExpired:
            self.kill()


def _process_tree(root: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # pid (command) state ppid ...; the command may itself contain spaces and parentheses.
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    tree, frontier = [root], [root]
    while frontier:
        children = [pid for pid, parent in parents.items() if parent in frontier]
        tree += children
        frontier = children
    return tree


def _is_alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"
