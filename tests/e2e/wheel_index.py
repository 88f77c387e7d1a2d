"""A tiny PEP 503 "simple" package index serving a folder of wheels, for the end-to-end tests.

pip inside the test images is pointed at this index (see ``scripts/e2e_env.py``). Every answer carries
``Cache-Control`` and ``ETag`` so that pip's HTTP cache stores it, which lets the tests see whether a
BuildKit cache mount kept pip's cache between builds. The index runs in a background thread::

    with WheelIndex(wheelhouse) as index:  # a free port; index.port says which
        ...  # build images whose pip uses index.url
    assert any(path.startswith("/files/") for path in index.requests)
"""

from __future__ import annotations

import errno
import hashlib
import html
import re
import threading
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import unquote, urlsplit

CACHE_CONTROL = "max-age=600"
HTML = "text/html; charset=utf-8"
WHEEL = "application/octet-stream"


def normalise(name: str) -> str:
    """Return the PEP 503 normalised form of a project name: lower case, runs of ``-_.`` become ``-``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def project_of(wheel_name: str) -> str:
    """Return the normalised project name of a wheel file name (the part before the first ``-``)."""
    return normalise(wheel_name.split("-", 1)[0])


def etag_of(body: bytes) -> str:
    """Return the quoted ETag of a response body: its sha256."""
    return f'"{hashlib.sha256(body).hexdigest()}"'


@dataclass(frozen=True)
class Wheel:
    """One wheel of the wheelhouse."""

    path: Path
    sha256: str

    @property
    def name(self) -> str:
        """Return the file name of the wheel."""
        return self.path.name


def _hash_file(path: Path) -> str:
    """Return the sha256 hex digest of a file."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def scan(wheelhouse: Path) -> dict[str, list[Wheel]]:
    """Return the wheels of ``wheelhouse`` grouped by normalised project name."""
    projects: dict[str, list[Wheel]] = {}
    for path in sorted(wheelhouse.glob("*.whl")):
        projects.setdefault(project_of(path.name), []).append(Wheel(path, _hash_file(path)))
    return projects


def _page(title: str, links: list[tuple[str, str]]) -> bytes:
    """Return a PEP 503 HTML page listing ``links`` as (href, text) pairs."""
    anchors = "\n".join(f'<a href="{html.escape(href)}">{html.escape(text)}</a><br/>' for href, text in links)
    document = (
        "<!DOCTYPE html>\n<html>\n<head>\n"
        '<meta name="pypi:repository-version" content="1.0">\n'
        f"<title>{html.escape(title)}</title>\n</head>\n<body>\n"
        f"<h1>{html.escape(title)}</h1>\n{anchors}\n</body>\n</html>\n"
    )
    return document.encode("utf-8")


def root_page(projects: dict[str, list[Wheel]]) -> bytes:
    """Return the ``/simple/`` page linking to every project."""
    return _page("Simple index", [(f"/simple/{name}/", name) for name in sorted(projects)])


def project_page(project: str, wheels: list[Wheel]) -> bytes:
    """Return the ``/simple/<project>/`` page linking to every wheel of the project with its hash."""
    return _page(
        f"Links for {project}", [(f"/files/{wheel.name}#sha256={wheel.sha256}", wheel.name) for wheel in wheels]
    )


def _etag_matches(header: str | None, etag: str) -> bool:
    """Return True if an ``If-None-Match`` header value matches ``etag`` (weak comparison)."""
    if not header:
        return False
    candidates = [candidate.strip().removeprefix("W/") for candidate in header.split(",")]
    return "*" in candidates or etag in candidates


class _Handler(BaseHTTPRequestHandler):
    """Answers requests from the catalogue of its WheelIndex."""

    def __init__(self, *args: Any, index: WheelIndex, **kwargs: Any) -> None:
        self.index = index
        super().__init__(*args, **kwargs)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test output quiet."""

    def do_GET(self) -> None:
        """Serve an index page or a wheel."""
        self._respond(send_body=True)

    def do_HEAD(self) -> None:
        """Like GET, without the body."""
        self._respond(send_body=False)

    def _respond(self, send_body: bool) -> None:
        """Look the request path up and send the answer."""
        path = unquote(urlsplit(self.path).path)
        self.index.record(path)
        found = self.index.lookup(path)
        if found is None:
            self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain; charset=utf-8", send_body, cache=False)
        else:
            body, content_type = found
            self._send(HTTPStatus.OK, body, content_type, send_body)

    def _send(self, status: HTTPStatus, body: bytes, content_type: str, send_body: bool, cache: bool = True) -> None:
        """Send ``body`` with caching headers, or 304 if the client already holds it."""
        etag = etag_of(body)
        if cache and _etag_matches(self.headers.get("If-None-Match"), etag):
            self.send_response(HTTPStatus.NOT_MODIFIED)
            self.send_header("Cache-Control", CACHE_CONTROL)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        self.send_response(status)
        self.send_header("Cache-Control", CACHE_CONTROL if cache else "no-store")
        self.send_header("ETag", etag)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body:
            self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    """The HTTP server of a WheelIndex."""

    allow_reuse_address = True
    daemon_threads = True


class WheelIndex:
    """A PEP 503 index of the wheels in a folder, served from a background thread."""

    def __init__(self, wheelhouse: Path, host: str = "127.0.0.1", port: int = 0) -> None:
        self.wheelhouse = Path(wheelhouse)
        self.host = host
        self.port = port
        self.requests: list[str] = []
        self._lock = threading.Lock()
        self._projects: dict[str, list[Wheel]] = {}
        self._files: dict[str, Wheel] = {}
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Return the index URL to give pip (``http://HOST:PORT/simple/``)."""
        return f"http://{self.host}:{self.port}/simple/"

    def refresh(self) -> None:
        """Read the wheelhouse again (the catalogue is otherwise read once, by ``start``)."""
        projects = scan(self.wheelhouse)
        files = {wheel.name: wheel for wheels in projects.values() for wheel in wheels}
        with self._lock:
            self._projects, self._files = projects, files

    def record(self, path: str) -> None:
        """Remember that ``path`` was requested."""
        with self._lock:
            self.requests.append(path)

    def lookup(self, path: str) -> tuple[bytes, str] | None:
        """Return the body and content type for a request path, or None if there is nothing there."""
        with self._lock:
            projects, files = self._projects, self._files
        if path == "/simple/":
            return root_page(projects), HTML
        if path.startswith("/simple/") and path.endswith("/"):
            project = normalise(path[len("/simple/") : -1])
            if "/" not in project and project in projects:
                return project_page(project, projects[project]), HTML
            return None
        if path.startswith("/files/") and path[len("/files/") :] in files:
            return files[path[len("/files/") :]].path.read_bytes(), WHEEL
        return None

    def start(self) -> WheelIndex:
        """Read the wheelhouse and start serving; raise OSError if the port is taken."""
        if self._server is not None:
            return self
        self.refresh()
        try:
            server = _Server((self.host, self.port), self._handler)
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise OSError(
                    error.errno,
                    f"port {self.port} on {self.host} is already in use; "
                    "stop whatever listens there or pick another port",
                ) from error
            raise
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name=f"wheel-index-{self.port}", daemon=True)
        self._thread.start()
        return self

    def _handler(self, *args: Any) -> _Handler:
        """Create the request handler for one connection."""
        return _Handler(*args, index=self)

    def stop(self) -> None:
        """Stop serving and free the port."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=10)

    def __enter__(self) -> WheelIndex:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()
