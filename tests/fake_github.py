"""A small stand-in for GitHub's pulls API, with the request and response shapes of its REST
documentation (list pull requests by head, create, update), that records every request."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

TOKEN = "ghp_secret_token_for_tests"


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    headers: dict[str, str]


@dataclass
class FakeGitHub:
    owner: str = "acme"
    repo: str = "service"
    pulls: list[dict[str, Any]] = field(default_factory=list)
    requests: list[Recorded] = field(default_factory=list)
    failures: list[tuple[int, dict[str, str], dict[str, Any]]] = field(default_factory=list)  # next responses

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
                fake.requests.append(Recorded(self.command, url.path, parse_qs(url.query), body, {k.lower(): v for k, v in self.headers.items()}))
                status, headers, data = fake.respond(self.command, url.path, parse_qs(url.query), body, self.headers)
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
        if headers.get("Authorization") != f"Bearer {TOKEN}":
            return 401, {}, {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}
        if headers.get("Accept") != "application/vnd.github+json":
            return 415, {}, {"message": "Unsupported Media Type"}
        prefix = f"/repos/{self.owner}/{self.repo}/pulls"
        if method == "GET" and path == prefix:
            head = query.get("head", [""])[0]
            state = query.get("state", ["open"])[0]
            found = [p for p in self.pulls if f"{self.owner}:{p['head']['ref']}" == head or not head]
            return 200, {}, [p for p in found if state == "all" or p["state"] == state]
        if method == "POST" and path == prefix:
            if not {"title", "head", "base"} <= set(body):
                return 422, {}, {"message": "Validation Failed"}
            number = len(self.pulls) + 1
            pull = {
                "number": number, "state": "open", "title": body["title"], "body": body.get("body", ""),
                "html_url": f"https://github.example/{self.owner}/{self.repo}/pull/{number}",
                "head": {"ref": body["head"], "label": f"{self.owner}:{body['head']}"}, "base": {"ref": body["base"]},
                "merged_at": None,
            }  # fmt: skip
            self.pulls.append(pull)
            return 201, {}, pull
        if method == "PATCH" and path.startswith(prefix + "/"):
            number = int(path.rsplit("/", 1)[1])
            pull = next((p for p in self.pulls if p["number"] == number), None)
            if pull is None:
                return 404, {}, {"message": "Not Found"}
            for key in ("title", "body", "state"):
                if key in body:
                    pull[key] = body[key]
            return 200, {}, pull
        return 404, {}, {"message": "Not Found"}
