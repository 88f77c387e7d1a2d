"""The pulls API of GitHub (and of Gitea/Forgejo, which has the same shape), over urllib.

The token only ever travels in the Authorization header; errors name the status and GitHub's
message, never the token.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

GITHUB_API = "https://api.github.com"
MAX_WAIT = 60.0  # a rate limit that resets sooner than this is waited out


class ForgeError(RuntimeError):
    """A request that failed; the message says why and what to do."""


@dataclass(frozen=True)
class Pull:
    number: int
    state: str  # open, closed
    merged: bool
    url: str
    title: str
    body: str
    head: str


def _pull(data: dict[str, Any]) -> Pull:
    head = data.get("head") or {}
    return Pull(
        number=int(data["number"]),
        state=str(data.get("state", "")),
        merged=bool(data.get("merged_at") or data.get("merged")),
        url=str(data.get("html_url") or data.get("url") or ""),
        title=str(data.get("title") or ""),
        body=str(data.get("body") or ""),
        head=str(head.get("ref") or ""),
    )


class Forge:
    def __init__(
        self,
        api_url: str,
        owner: str,
        repo: str,
        token: str | None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.owner = owner
        self.repo = repo
        self.token = token
        self.sleep = sleep
        self.link = ""  # the Link header of the last response (pagination)

    def _request(self, method: str, path: str, body: dict[str, Any] | None = None, retry: bool = True) -> Any:
        url = path if "://" in path else (
            f"{self.api_url}/repos/{urllib.parse.quote(self.owner)}/{urllib.parse.quote(self.repo)}{path}"
        )
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Accept", "application/vnd.github+json")
        request.add_header("X-GitHub-Api-Version", "2022-11-28")
        request.add_header("User-Agent", "dockerfix")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                self.link = response.headers.get("Link") or ""
                text = response.read().decode("utf-8")
                return json.loads(text) if text else None
        except urllib.error.HTTPError as exc:
            message = _message(exc)
            remaining = exc.headers.get("X-RateLimit-Remaining")
            if exc.code in (403, 429) and (remaining == "0" or exc.headers.get("Retry-After")):
                wait = _wait_seconds(exc.headers)
                if retry and wait <= MAX_WAIT:
                    self.sleep(wait)
                    return self._request(method, path, body, retry=False)
                raise ForgeError(
                    f"rate limited by {self.api_url}; try again in {int(wait)} s ({message})"
                ) from None
            if exc.code in (401, 403):
                raise ForgeError(
                    f"{method} {path}: {exc.code} {message}: check the token (GITHUB_TOKEN or DOCKERFIX_TOKEN) "
                    f"and its access to {self.owner}/{self.repo}"
                ) from None
            raise ForgeError(f"{method} {path}: {exc.code} {message}") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ForgeError(f"cannot reach {self.api_url}: {reason}") from None

    def pulls(self, branch: str) -> list[Pull]:
        """Pull requests from ``branch`` of this repository, newest first."""
        query = urllib.parse.urlencode({"state": "all", "head": f"{self.owner}:{branch}", "per_page": "100"})
        data = self._request("GET", f"/pulls?{query}") or []
        return [p for p in (_pull(d) for d in data) if p.head == branch]

    def create(self, title: str, body: str, branch: str, base: str) -> Pull:
        return _pull(self._request("POST", "/pulls", {"title": title, "body": body, "head": branch, "base": base}))

    def update(self, number: int, title: str, body: str, reopen: bool = False) -> Pull:
        fields: dict[str, Any] = {"title": title, "body": body}
        if reopen:
            fields["state"] = "open"
        return _pull(self._request("PATCH", f"/pulls/{number}", fields))


    def org_repositories(self, org: str) -> list[dict[str, Any]]:
        """Every repository of the organisation ``org`` (``GET /orgs/{org}/repos``), page after
        page as the Link header's ``rel="next"`` says. A next page on another host is refused:
        the token would go there."""
        url: str | None = f"{self.api_url}/orgs/{urllib.parse.quote(org)}/repos?type=all&per_page=100"
        found: list[dict[str, Any]] = []
        while url:
            page = self._request("GET", url)
            if not isinstance(page, list):
                raise ForgeError(f"GET {url}: expected a list of repositories")
            found.extend(d for d in page if isinstance(d, dict))
            url = next_link(self.link)
            if url and urllib.parse.urlsplit(url).netloc != urllib.parse.urlsplit(self.api_url).netloc:
                raise ForgeError(f"the next page of {org}'s repositories is on another host: {url}")
        return found


def next_link(header: str) -> str | None:
    """The ``rel="next"`` URL of a Link header (RFC 8288), if there is one."""
    for part in header.split(","):
        target, _, params = part.partition(";")
        rels = {p.strip().removeprefix("rel=").strip('"') for p in params.split(";") if p.strip().startswith("rel=")}
        if "next" in " ".join(rels).split() and target.strip().startswith("<"):
            return target.strip()[1:].split(">", 1)[0]
    return None


def _message(exc: urllib.error.HTTPError) -> str:
    try:
        data = json.loads(exc.read().decode("utf-8") or "{}")
    except (ValueError, OSError):
        return exc.reason or ""
    return str(data.get("message") or exc.reason or "")


def _wait_seconds(headers: Any) -> float:
    retry_after = headers.get("Retry-After")
    if retry_after and retry_after.isdigit():
        return float(retry_after)
    reset = headers.get("X-RateLimit-Reset")
    if reset and reset.isdigit():
        return max(0.0, float(reset) - time.time())
    return MAX_WAIT + 1
