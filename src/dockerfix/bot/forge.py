"""The pulls API of GitHub (and of Gitea/Forgejo, which has the same shape), over urllib.

The token only ever travels in the Authorization header; errors name the status and GitHub's
message, never the token.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

from dockerfix.bot.budget import Budget, Headers, RateLimited
from dockerfix.records import frozen

GITHUB_API = "https://api.github.com"
RETRIES = 5  # rate-limit replies to one call that are waited out before it fails


def api_url(given: str | None = None) -> str:
    """The forge's API: the one given, else GITHUB_API_URL (set on GitHub Actions), else GitHub's."""
    return given or os.environ.get("GITHUB_API_URL") or GITHUB_API


def token() -> str | None:
    """The token from the environment: DOCKERFIX_TOKEN, else GITHUB_TOKEN."""
    return os.environ.get("DOCKERFIX_TOKEN") or os.environ.get("GITHUB_TOKEN") or None


class ForgeError(RuntimeError):
    """A request that failed; the message says why and what to do."""


class _Limited(Exception):
    """A rate-limit reply (403/429 with X-RateLimit-Remaining: 0 or Retry-After)."""

    def __init__(self, headers: Headers, message: str) -> None:
        super().__init__(message)
        self.headers = headers
        self.message = message


@frozen
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
        budget: Budget | None = None,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.owner = owner
        self.repo = repo
        self.token = token
        self.budget = budget if budget is not None else Budget(sleep=sleep)
        self.link = ""  # the Link header of the last response (pagination)

    def _request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """One API call through the budget; a rate-limit reply is waited out (every worker
        sharing the budget pauses) and the call made again, up to RETRIES times."""
        for _ in range(RETRIES):
            try:
                self.budget.acquire()
                return self._send(method, path, body)
            except _Limited as exc:
                try:
                    self.budget.limited(exc.headers)
                except RateLimited as too_long:
                    raise self._rate_error(too_long.wait, exc.message) from None
            except RateLimited as too_long:
                raise self._rate_error(too_long.wait, "the rate limit is used up") from None
        raise ForgeError(f"rate limited by {self.api_url} for {self.owner}/{self.repo}; still limited after {RETRIES} waits")

    def _rate_error(self, wait: float, message: str) -> ForgeError:
        return ForgeError(
            f"rate limited by {self.api_url} for {self.owner}/{self.repo}; try again in {int(wait)} s ({message})"
        )

    def _send(self, method: str, path: str, body: dict[str, Any] | None) -> Any:
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
                self.budget.observe(response.headers)
                self.link = response.headers.get("Link") or ""
                text = response.read().decode("utf-8")
                return json.loads(text) if text else None
        except urllib.error.HTTPError as exc:
            message = _message(exc)
            remaining = exc.headers.get("X-RateLimit-Remaining")
            if exc.code in (403, 429) and (remaining == "0" or exc.headers.get("Retry-After")):
                raise _Limited(exc.headers, message) from None
            self.budget.observe(exc.headers)
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
