"""git, run as a subprocess. The token reaches git only through the environment, as an HTTP
header (GIT_CONFIG_* variables): never in arguments, remote URLs or git config files."""

from __future__ import annotations

import base64
import os
import re
import subprocess
from pathlib import Path

from dockerfix.records import frozen


class GitError(RuntimeError):
    """A git command that failed; the message has git's own words (the token is never in them)."""


@frozen
class Git:
    cwd: Path
    token: str | None = None

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["GIT_TERMINAL_PROMPT"] = "0"
        if self.token:
            basic = base64.b64encode(f"x-access-token:{self.token}".encode()).decode()
            count = int(env.get("GIT_CONFIG_COUNT", "0"))
            env["GIT_CONFIG_COUNT"] = str(count + 1)
            env[f"GIT_CONFIG_KEY_{count}"] = "http.extraHeader"
            env[f"GIT_CONFIG_VALUE_{count}"] = f"Authorization: Basic {basic}"
        return env

    def run(self, *args: str, check: bool = True) -> str:
        proc = subprocess.run(
            ["git", *args], cwd=self.cwd, env=self._env(), capture_output=True, text=True, timeout=600, check=False
        )
        if check and proc.returncode != 0:
            message = (proc.stderr.strip() or proc.stdout.strip()).replace(self.token or "\0", "***")
            raise GitError(f"git {args[0]}: {message}")
        return proc.stdout.strip()

    def ok(self, *args: str) -> bool:
        return subprocess.run(
            ["git", *args], cwd=self.cwd, env=self._env(), capture_output=True, timeout=600, check=False
        ).returncode == 0


_REMOTE = re.compile(r"^(?:[a-z+]+://(?:[^@/]+@)?[^/]+(?::\d+)?/|[^@]+@[^:]+:)(?P<path>.+?)(?:\.git)?/?$")


def owner_and_repo(url: str) -> tuple[str, str] | None:
    """owner/repo from https://host/owner/repo(.git), git@host:owner/repo.git or ssh://..."""
    m = _REMOTE.match(url.strip())
    if not m:
        return None
    parts = m.group("path").split("/")
    if len(parts) < 2:
        return None
    return parts[-2], parts[-1]


def default_branch(git: Git, remote: str) -> str:
    """The remote's HEAD branch (ls-remote --symref)."""
    out = git.run("ls-remote", "--symref", remote, "HEAD")
    m = re.search(r"^ref: refs/heads/(\S+)\s+HEAD", out, re.M)
    if not m:
        raise GitError(f"cannot tell the default branch of {remote} (give --base)")
    return m.group(1)
