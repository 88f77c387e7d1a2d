"""`bundle install`: the files Bundler reads in its folder, and why a split could change the image.

Bundler reads the Gemfile (or gems.rb) and its lock, the project's `.bundle/config` (unless
BUNDLE_APP_CONFIG moves it elsewhere, as the official ruby image does), the gemspecs a `gemspec`
line names and the files those require, `path:` gems, `eval_gemfile` targets, a `ruby file:`
version file and `vendor/cache`. The Gemfile and the gemspecs are Ruby: only the plain lines are
read (gem, source, group, gemspec...), any other line stops the split with its number, and a
gemspec that runs a command (`git ls-files`) or lists files of the source stops it too, and so
does one with executables (Bundler writes their wrappers from the source).

Without BUNDLE_FROZEN or BUNDLE_DEPLOYMENT, Bundler may rewrite its lock (it adds the platform it
runs on when the lock lacks it): with a lock in the build context the split is not made then,
since the full copy after the install would put the old lock back.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping

from dockerfix.document.shell import Command
from dockerfix.document.state import State
from dockerfix.ecosystems.commands import run_env
from dockerfix.ecosystems.dependencies import ReadText
from dockerfix.ecosystems.packages import Call, Grammar, read_call
from dockerfix.ecosystems.project_install import Glob, ProjectInstall

BUNDLE = Grammar(
    frozenset({"bundle", "bundler"}),
    frozenset("--gemfile --path --jobs -j --retry --without --with --shebang --trust-policy --target-rbconfig".split()),
    frozenset("j"),
)  # fmt: skip
GEM = Grammar(frozenset({"gem"}), frozenset("-v --version -i --install-dir -n --bindir --source --platform".split()), frozenset("vin"))

_TRUE = frozenset({"1", "true", "yes", "on"})
Env = Mapping[str, "str | None"]

# what a Gemfile may say that Bundler reads without running anything of the project
_PLAIN = re.compile(r"^(source|gem|group|platforms?|git_source|gemspec|ruby|eval_gemfile|path|git|github|end)\b")
_STRING = r"""(["'])([^"'#{}]*)\1"""
_PATH_OPTION = re.compile(r"""(?:\bpath:\s*|:path\s*=>\s*)""" + _STRING)
_RUNS = re.compile(r"`|%x[{(\[]|\b(?:system|exec|spawn|IO\.popen|Open3)\b|\bDir(?:\.glob|\.children|\.entries|\[)")


def bundle_install(command: Command, read: ReadText, glob: Glob | None = None, state: State | None = None) -> ProjectInstall | None:
    """The `bundle install` ``command`` runs, if it runs one. ``state`` gives the variables it runs
    with (without it, only the command's own options are seen)."""
    call = read_call(command, BUNDLE)
    if call is None or call.subcommand not in ("install", ""):
        return None
    if call.subcommand == "" and call.has("--version", "-v", "--help", "-h"):
        return None
    env: Env = run_env(state, call.invocation) if state is not None else {}
    gemfile, lock = ("gems.rb", "gems.locked") if read("gems.rb") is not None else ("Gemfile", "Gemfile.lock")
    found = ProjectInstall("bundle", call, [gemfile], [lock], environments=())
    found.dirs = ["vendor/cache"]
    settings, found.problem = _settings(found, read, env)
    if found.problem:
        return found
    if call.operands:
        found.problem = f"`{call.text}` takes arguments that are not read"
    for option in ("--gemfile", "--binstubs", "--standalone", "--system"):
        if call.has(option):
            found.problem = found.problem or f"`{call.text}` uses {option}, which is not followed"
    for var in ("BUNDLE_GEMFILE", "BUNDLE_CACHE_PATH", "BUNDLE_BIN"):
        if var in settings:
            found.problem = found.problem or f"{var} is set, which is not followed"
    path: list[str | None] = [*call.values("--path")] or ([settings["BUNDLE_PATH"]] if "BUNDLE_PATH" in settings else [])
    if path:
        if path[-1] is None:
            found.problem = found.problem or "BUNDLE_PATH is set to a value that is not known"
        elif not path[-1].startswith("/"):
            found.environments = (posixpath.normpath(path[-1]),)
    elif call.has("--deployment") or (settings.get("BUNDLE_DEPLOYMENT") or "").lower() in _TRUE:
        found.environments = ("vendor/bundle",)  # where deployment mode installs without a path
    if _frozen(call, settings):
        found.files.append(lock)
        found.optional.remove(lock)
    elif read(lock) is not None:
        found.problem = found.problem or (
            f"`{call.text}` may rewrite {lock} (Bundler adds the platform it runs on when the lock lacks it), and the "
            "full copy after it would put the old one back (set BUNDLE_FROZEN=true or BUNDLE_DEPLOYMENT=1)"
        )
    if read(gemfile) is None:
        return found  # a missing Gemfile is reported by the caller
    found.problem = found.problem or _gemfile(found, read, glob, gemfile, set())
    return found


def _settings(found: ProjectInstall, read: ReadText, env: Env) -> tuple[dict[str, str | None], str | None]:
    """Bundler's settings from its variables and the project's `.bundle/config` (which wins over
    the variables, as Bundler has it); the reason when they cannot be told."""
    settings: dict[str, str | None] = {k: v for k, v in env.items() if k.startswith("BUNDLE_")}
    if "BUNDLE_APP_CONFIG" in env:
        where = env["BUNDLE_APP_CONFIG"]
        if where is None or not where.startswith("/"):
            return settings, "BUNDLE_APP_CONFIG is set to a value that is not a known absolute path"
        return settings, None  # the project's .bundle/config is not read
    found.optional.append(".bundle/config")
    text = read(".bundle/config")
    if text is None:
        return settings, None
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped == "---" or stripped.startswith("#"):
            continue
        m = re.fullmatch(r"""(BUNDLE_[A-Z0-9_]+)\s*:\s*(?:"([^"]*)"|'([^']*)'|(\S*))""", stripped)
        if m is None:
            return settings, f".bundle/config line {number} is not read"
        settings[m.group(1)] = next(g for g in m.groups()[1:] if g is not None)
    return settings, None


def _frozen(call: Call, settings: dict[str, str | None]) -> bool:
    """Whether Bundler installs from the lock as it is, never writing it."""
    if call.has("--frozen", "--deployment"):
        return True
    return any((settings.get(v) or "").lower() in _TRUE for v in ("BUNDLE_FROZEN", "BUNDLE_DEPLOYMENT"))


def _statements(text: str) -> list[tuple[int, str]]:
    """The Gemfile's statements with their first line's number: comments dropped, a line that
    ends in a comma or a backslash joined with the next."""
    out: list[tuple[int, str]] = []
    pending: tuple[int, str] | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = re.sub(r"\s+#[^{\"'].*$|^\s*#.*$", "", raw).strip()
        if pending is not None:
            line = pending[1] + " " + line
            number = pending[0]
            pending = None
        if line.endswith((",", "\\")):
            pending = (number, line.rstrip("\\").strip())
            continue
        if line:
            out.append((number, line))
    if pending is not None:
        out.append(pending)
    return out


def _gemfile(found: ProjectInstall, read: ReadText, glob: Glob | None, name: str, seen: set[str]) -> str | None:
    """Add what a Gemfile reads to ``found``; the reason when a line is not read."""
    if name in seen:
        return None
    seen.add(name)
    text = read(name)
    if text is None:
        return f"{name} is not in the copy"
    here = posixpath.dirname(name)
    for number, line in _statements(text):
        if not _PLAIN.match(line) or re.search(r"\b(if|unless|case|while)\b|#\{", line):
            return f"{name} line {number} is not read"
        keyword = line.split()[0].split("(")[0]
        strings = [m.group(2) for m in re.finditer(_STRING, line)]
        problem: str | None = None
        if keyword == "gemspec":
            problem = _gemspecs(found, read, glob, here, line, f"{name} line {number}")
        elif keyword == "eval_gemfile":
            target = _inside(here, strings[0]) if strings else None
            if target is None:
                return f"{name} line {number} evaluates a file that is not followed"
            found.files.append(target)
            problem = _gemfile(found, read, glob, target, seen)
        elif keyword == "ruby" and re.search(r"\bfile:|:file\s*=>", line):
            target = _inside(here, strings[-1]) if strings else None
            if target is None:
                return f"{name} line {number} reads a version file that is not followed"
            found.files.append(target)
        elif keyword == "path" or _PATH_OPTION.search(line):
            m = _PATH_OPTION.search(line)
            value = m.group(2) if m else (strings[0] if strings else None)
            target = _inside(here, value) if value is not None else None
            if target is None:
                return f"{name} line {number} takes a gem from a path outside the copied folder"
            found.dirs.append(target)
        if problem:
            return problem
    return None


def _inside(here: str, value: str) -> str | None:
    """A path a project file names, relative to the install's folder; None when it leaves it."""
    target = posixpath.normpath(posixpath.join(here, value))
    return None if target.startswith(("..", "/")) or target == "." else target


def _gemspecs(found: ProjectInstall, read: ReadText, glob: Glob | None, here: str, line: str, where: str) -> str | None:
    """The gemspecs a `gemspec` line names (the ones of its folder, or `name:`'s), with the files
    they require."""
    options = dict(re.findall(r"""(\w+):\s*(?:["']([^"']*)["'])""", line))
    folder = posixpath.normpath(posixpath.join(here, options.get("path", ".")))
    if folder.startswith(("..", "/")):
        return f"{where} names gemspecs outside the copied folder"
    if "name" in options:
        names: list[str] | None = [posixpath.normpath(posixpath.join(folder, options["name"] + ".gemspec"))]
    else:
        names = glob(posixpath.normpath(posixpath.join(folder, "*.gemspec"))) if glob is not None else []
    if names is None:
        return f"the gemspecs of {where} cannot be listed"
    if "name" not in options and glob is not None and not names:
        return f"{where} names a gemspec, and there is none in {folder}"
    for spec in names:
        found.files.append(spec)
        problem = _ruby_reads(found, read, spec, set()) or _executables(read, spec)
        if problem:
            return problem
    return None


def _executables(read: ReadText, spec: str) -> str | None:
    """Why the gemspec's executables keep the copy in place: when Bundler installs the gemspec's
    own gem, it makes each executable it finds executable in the project and writes a wrapper
    for it in the gems' bin folder; before the full copy it finds none, and the image would lack
    the wrappers (and the mode)."""
    text = read(spec) or ""
    for number, raw in enumerate(text.splitlines(), start=1):
        line = re.sub(r"^\s*#.*$", "", raw)
        if re.search(r"\.executables\b", line) and not re.fullmatch(r"\s*\w+\.executables\s*=\s*(\[\s*\]|%w[\[(]\s*[\])])\s*", line):
            return f"{spec} line {number} installs executables ({raw.strip()}), whose wrappers Bundler writes from the source"
    return None


def _ruby_reads(found: ProjectInstall, read: ReadText, name: str, seen: set[str]) -> str | None:
    """Add the project files a gemspec (or a file it requires) loads; the reason when it runs a
    command or reads files that cannot be followed."""
    if name in seen:
        return None
    seen.add(name)
    text = read(name)
    if text is None:
        return None  # a missing gemspec is reported by the caller; a missing required file fails in both builds
    here = posixpath.dirname(name)
    for number, raw in enumerate(text.splitlines(), start=1):
        line = re.sub(r"^\s*#.*$", "", raw)
        m = _RUNS.search(line)
        if m:
            what = "lists files" if m.group(0).startswith("Dir") else "runs a command"
            return f"{name} line {number} {what} ({raw.strip()}), which needs the source"
        if re.search(r"\bFile\.(read|readlines|open|foreach)\b|\bIO\.read", line):
            return f"{name} line {number} reads a file that is not followed ({raw.strip()})"
        for relative in re.findall(r"""\brequire_relative\s*\(?\s*["']([^"'#]+)["']""", line):
            target = _inside(here, relative if relative.endswith(".rb") else relative + ".rb")
            if target is None:
                return f"{name} line {number} requires a file outside the copied folder"
            found.files.append(target)
            problem = _ruby_reads(found, read, target, seen)
            if problem:
                return problem
        for feature in re.findall(r"""\brequire\s*\(?\s*["']([^"'#]+)["']""", line):
            # a file of the gem's own lib/ (through $LOAD_PATH); anything else is a library
            target = posixpath.normpath(posixpath.join(here, "lib", feature + ".rb"))
            if read(target) is not None:
                found.files.append(target)
                problem = _ruby_reads(found, read, target, seen)
                if problem:
                    return problem
    return None


def gem_tool_command(command: Command) -> bool:
    """A Ruby tool's command that reads nothing of the project it runs in: `gem install` of named
    gems, `gem update --system`, `bundle config` (global), `bundle --version`."""
    gem = read_call(command, GEM)
    if gem is not None:
        if gem.subcommand == "install" and gem.operands and not gem.has("-g", "--file"):
            return all(not w.value.endswith(".gem") and "/" not in w.value for w in gem.operands)
        return gem.subcommand in ("update", "env", "--version", "-v") and (gem.subcommand != "update" or gem.has("--system"))
    call = read_call(command, BUNDLE)
    if call is None:
        return False
    if call.subcommand in ("--version", "-v", "version") or (call.subcommand == "" and call.has("--version", "-v")):
        return True
    return call.subcommand == "config" and not call.has("--local")


def bundle_config_local(command: Command) -> Call | None:
    """A `bundle config set --local ...`: it writes the project's configuration."""
    call = read_call(command, BUNDLE)
    return call if call is not None and call.subcommand == "config" and call.has("--local") else None
