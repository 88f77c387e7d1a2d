"""A small stand-in for GitHub's pulls API, with the request and response shapes of its REST
documentation (list pull requests by head, create, update), that records every request. It
serves any owner/repo (by path), each with its own pull requests, and answers requests from many
threads at once; it listens on a port chosen at run time."""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

TOKEN = "ghp_secret_token_for_tests"
_PULLS = re.compile(r"^/repos/(?P<slug>[^/]+/[^/]+)/pulls(?:/(?P<number>\d+))?$")


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    headers: dict[str, str]
    status: int = 0  # the reply's


@dataclass
class FakeGitHub:
    owner: str = "acme"
    repo: str = "service"
    by_repo: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # owner/repo: its pull requests
    requests: list[Recorded] = field(default_factory=list)
    failures: list[tuple[int, dict[str, str], dict[str, Any]]] = field(default_factory=list)  # next responses
    failures_at: dict[int, tuple[int, dict[str, str], dict[str, Any]]] = field(default_factory=dict)  # by request number
    headers: dict[str, str] = field(default_factory=dict)  # sent with every successful reply
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def pulls(self) -> list[dict[str, Any]]:
        """The pull requests of owner/repo."""
        return self.by_repo.setdefault(f"{self.owner}/{self.repo}", [])

    def start(self) -> FakeGitHub:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                url = urlparse(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                recorded = Recorded(self.command, url.path, parse_qs(url.query), body, {k.lower(): v for k, v in self.headers.items()})
                with fake.lock:
                    fake.requests.append(recorded)
                    status, headers, data = fake.respond(self.command, url.path, parse_qs(url.query), body, self.headers)
                    recorded.status = status
                payload = json.dumps(data).encode()
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PATCH = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def respond(self, method: str, path: str, query: dict[str, list[str]], body: Any, headers: Any) -> tuple[int, dict[str, str], Any]:
        if self.failures:
            return self.failures.pop(0)
        if len(self.requests) in self.failures_at:
            return self.failures_at.pop(len(self.requests))
        if headers.get("Authorization") != f"Bearer {TOKEN}":
            return 401, {}, {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}
        if headers.get("Accept") != "application/vnd.github+json":
            return 415, {}, {"message": "Unsupported Media Type"}
        m = _PULLS.match(path)
        if m is None:
            return 404, {}, {"message": "Not Found"}
        slug, owner = m.group("slug"), m.group("slug").split("/")[0]
        pulls = self.by_repo.setdefault(slug, [])
        if method == "GET" and m.group("number") is None:
            head = query.get("head", [""])[0]
            state = query.get("state", ["open"])[0]
            found = [p for p in pulls if f"{owner}:{p['head']['ref']}" == head or not head]
            return 200, self.headers, [p for p in found if state == "all" or p["state"] == state]
        if method == "POST" and m.group("number") is None:
            if not {"title", "head", "base"} <= set(body):
                return 422, {}, {"message": "Validation Failed"}
            number = len(pulls) + 1
            pull = {
                "number": number, "state": "open", "title": body["title"], "body": body.get("body", ""),
                "html_url": f"https://github.example/{slug}/pull/{number}",
                "head": {"ref": body["head"], "label": f"{owner}:{body['head']}"}, "base": {"ref": body["base"]},
                "merged_at": None,
            }  # fmt: skip
            pulls.append(pull)
            return 201, self.headers, pull
        if method == "PATCH" and m.group("number") is not None:
            pull = next((p for p in pulls if p["number"] == int(m.group("number"))), None)
            if pull is None:
                return 404, {}, {"message": "Not Found"}
            for key in ("title", "body", "state"):
                if key in body:
                    pull[key] = body[key]
            return 200, self.headers, pull
        return 404, {}, {"message": "Not Found"}
