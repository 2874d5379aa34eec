"""scim2-server's own command (``scim2-server``), quiet and with a uvicorn-sized backlog.

Run by ``bench/.peer-venv/bin/python`` (bench/_peer.py), with the command's arguments. The
server is the one scim2-server ships: wsgiref's ``WSGIServer`` with ``ThreadingMixIn``
(one thread per connection, HTTP/1.0), its in-memory storage, a single process. Two
changes, both to the plumbing around it:

- the access line wsgiref writes to stderr for every request is dropped, as the service
  under test logs no access lines either (``SCIM_LOG_LEVEL=warning``);
- the listen backlog is uvicorn's (2048) instead of socketserver's 5: HTTP/1.0 opens a
  connection per request, and with 16 clients a backlog of 5 overflows, so the kernel
  drops connections (retried a second later, or reset), which would measure the
  backlog, not scim2-server.
"""

from __future__ import annotations

from wsgiref.simple_server import WSGIRequestHandler

from scim2_server.testserver.cli import ThreadingWSGIServer, main

BACKLOG = 2048  # uvicorn's default


def _no_access_log(self: WSGIRequestHandler, code: int | str = "-", size: int | str = "-") -> None:
    del self, code, size


if __name__ == "__main__":
    WSGIRequestHandler.log_request = _no_access_log  # type: ignore[method-assign,assignment]
    ThreadingWSGIServer.request_queue_size = BACKLOG
    main()
