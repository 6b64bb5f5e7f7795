"""The web server of the embedded default (`flask serve`): waitress, threaded, in the same process
as the embedded worker. Werkzeug's development server is not meant for many visitors at once;
gunicorn forks, and the embedded queue lives in one process's memory."""

from __future__ import annotations

from flask import Flask
from waitress.server import BaseWSGIServer, create_server

# Threads that run requests; more wait in the listen queue. Python runs one at a time, so more
# threads only add switching; a few let page views go on while a submission waits for SQLite.
THREADS = 8


def make_server(app: Flask, host: str, port: int) -> BaseWSGIServer:
    """A server bound to host:port (0: any free port), not yet serving: `run()` serves."""
    server = create_server(app, host=host, port=port, threads=THREADS, ident="pakn")
    assert isinstance(server, BaseWSGIServer), "one address, one server"
    return server


def stop_server(server: BaseWSGIServer) -> None:
    """Stop a server that `run()` serves in another thread: its own loop closes every socket
    (closing them from here would pull them from under its select), and `run()` returns."""

    def close_all() -> None:
        for channel in list(server._map.values()):
            channel.close()

    # Requests under way finish first: they wake the loop to send their answers.
    server.task_dispatcher.shutdown()
    server.trigger.pull_trigger(close_all)
