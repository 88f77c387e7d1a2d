"""What a RUN's shell commands read and write in the image: a table of known commands.

Read-only commands (`test`, `grep`, `cat`, `flake8` ...) read their operands; writers (`chmod`,
`sed -i`, `mkdir`, `rm`, `useradd` ...) write theirs; package managers write their own trees.
Every command the table does not know reads and writes anything. Redirections, `cd`, variables
and command substitutions are followed as the shell would; where they cannot be, the RUN reads
and writes anything.
"""

from __future__ import annotations

import functools
import posixpath
import re
from collections.abc import Sequence

from dockerfix.document.effects import ALL_ENV, ANYTHING, NOTHING, Effects, Paths, anything, union
from dockerfix.document.model import POSIX_SHELLS, Instruction
from dockerfix.document.options import split_options
from dockerfix.document.shell import Command, ShellWord, parse_shell
from dockerfix.document.state import State, is_known_dir, shell_program
from dockerfix.ecosystems.commands import PYTHON, run_env, unwrap
from dockerfix.ecosystems.pip import PipCall, is_local_reference, is_url, pip_call
from dockerfix.ecosystems.projects import context_free_tool, project_install, uv_pip_command
from dockerfix.ecosystems.toolchain_effects import TOOLCHAINS, install_effects, tool_command_effects
from dockerfix.records import replace

# state every RUN depends on: its processes run as USER, in WORKDIR, through SHELL, with the
# environment
RUN_USES = frozenset({"USER", "WORKDIR", "SHELL", ALL_ENV})

# where an OS package manager (and the system tools beside it) may write: the system's own trees
# (Debian and Alpine packages never write /opt, /srv, /home or /usr/src, /usr/local's folders
# stay empty; RPM packages from vendors may write /opt)
_PREFIX_DIRS = ("bin", "sbin", "lib", "lib32", "lib64", "libx32", "libexec", "include", "share", "etc", "games")
SYSTEM = Paths.of(
    *(f"/usr/{d}" for d in _PREFIX_DIRS), "/etc", "/var", "/lib", "/lib32", "/lib64", "/libx32", "/bin", "/sbin",
    "/boot", "/run",
)
_RPM_TOOLS = frozenset({"dnf", "dnf5", "yum", "microdnf", "rpm", "zypper"})
_OS_TOOLS = frozenset(
    """apt-get apt apt-cache apt-key dpkg dpkg-reconfigure apk dnf dnf5 yum microdnf rpm zypper
    update-ca-certificates ldconfig locale-gen localedef update-alternatives update-locale""".split()
)
_ACCOUNT_TOOLS = frozenset("useradd adduser groupadd addgroup usermod groupmod userdel groupdel chpasswd".split())
# no effect on the file system (their output goes where a redirection sends it)
_QUIET = frozenset(
    """: true false set export unset echo printf sleep exit id whoami uname pwd which type date nproc
    basename dirname umask hash""".split()
)
# read their operands (paths), write nothing
_READERS = frozenset(
    """cat head tail wc ls stat file diff cmp md5sum sha1sum sha256sum sha512sum test [ readlink
    realpath du tree""".split()
)
_GREP = frozenset({"grep", "egrep", "fgrep"})
_VALUE_OPTIONS = {
    "head": {"-n", "-c"}, "tail": {"-n", "-c"}, "grep": {"-e", "-f", "-m", "-A", "-B", "-C", "--include", "--exclude"},
    "sed": {"-e", "-f", "-l"}, "chmod": {"--reference"}, "chown": {"--reference"}, "mkdir": {"-m", "--mode"},
    "touch": {"-d", "-t", "-r", "--reference", "--date"}, "useradd": set(), "install": {"-m", "-o", "-g", "--mode"},
    "ls": {"-I", "--ignore", "-w"}, "du": {"-d", "--max-depth"},
    "compileall": {"-d", "-x", "-i", "-o", "-r", "-s", "-p", "-e", "-j", "--invalidation-mode"},
}  # fmt: skip
_SOURCE = ("*.py", "*.pyi")
# Python linters that read the code and write nothing: the files they read and their configuration
_LINTERS: dict[str, tuple[tuple[str, ...], tuple[str, ...], str | None]] = {
    # name: (file patterns read below each operand, configuration files read in the folder, cache written)
    "flake8": (_SOURCE, ("setup.cfg", "tox.ini", ".flake8"), None),
    "pycodestyle": (_SOURCE, ("setup.cfg", "tox.ini"), None),
    "pyflakes": (_SOURCE, (), None),
    "pydocstyle": (_SOURCE, ("setup.cfg", "tox.ini", ".pydocstyle", ".pydocstylerc", "pyproject.toml"), None),
    "mypy": (_SOURCE, ("mypy.ini", ".mypy.ini", "setup.cfg", "pyproject.toml"), ".mypy_cache"),
    "ruff": (_SOURCE + ("*.ipynb",), ("pyproject.toml", "ruff.toml", ".ruff.toml"), ".ruff_cache"),
}
_BIN_PREFIX = {"/bin": "/usr", "/sbin": "/usr"}


# accounts every Debian, Ubuntu and Alpine image has, with their home folders there
_SYSTEM_HOMES = {"nobody": ("/nonexistent", "/")}


def homes(state: State) -> tuple[str, ...] | None:
    """The home folder a RUN's commands see (the candidates, where base images differ), or
    None when it is not known."""
    if "HOME" in state.env:
        env_home = state.env["HOME"]
        return (env_home,) if env_home is not None else None
    user = state.user
    if user is None:
        return ("/root",)
    name = user.partition(":")[0]
    if name in ("root", "0"):
        return ("/root",)
    info = state.account(name)
    if info is not None:
        return (info.home,) if info.home is not None else None
    return _SYSTEM_HOMES.get(name)


# where a user's home folder is taken to be when the Dockerfile does not show it: useradd and
# adduser put homes under /home, root's is /root (the base image's accounts follow the same rule)
_ANY_HOME = ("/home", "/root")


def home_paths(state: State, *names: str) -> Paths:
    """Folders in the home folder of a RUN's user; where that home is not known, every home
    folder."""
    found = homes(state)
    if found is None:
        return Paths.of(*_ANY_HOME)
    return Paths.of(*(posixpath.join(h, n) for h in found for n in names))


def home(state: State) -> str | None:
    """The home folder a RUN's commands see, when there is one candidate."""
    found = homes(state)
    return found[0] if found is not None and len(found) == 1 else None


_ENV_KEYS = (
    "PATH", "VIRTUAL_ENV", "CONDA_PREFIX", "PYTHONUSERBASE", "PYTHONHOME", "PYTHONPATH", "CONDA_DIR", "MAMBA_ROOT_PREFIX",
)  # fmt: skip


def python_env(state: State, tool: str = "") -> Paths:
    """Where the Python environments a command may use live: the system's, every prefix on PATH,
    a virtualenv, the user site. Installers write there, interpreters and linters read there."""
    env = dict(state.env)
    if env.get("PATH", "") is None and "PATH" in state.raw_env:
        # PATH extends the base image's: keep the entries the Dockerfile writes out
        written = [p for p in state.raw_env["PATH"].strip('"').split(":") if "$PATH" not in p and "${PATH}" not in p]
        parts = [state.expand(p) for p in written]
        if all(p is not None for p in parts):
            env["PATH"] = ":".join(p for p in parts if p) + ":<base>"
    key = tuple((k, env[k]) for k in _ENV_KEYS if k in env)
    tool = state.expand(tool) or tool
    prefix = posixpath.dirname(posixpath.dirname(tool)) if tool.startswith("/") and "/bin/" in tool else ""
    return _python_env(key, tool_prefix=prefix) | home_paths(state, ".local")


@functools.lru_cache(maxsize=256)
def _python_env(key: tuple[tuple[str, str | None], ...], tool_prefix: str) -> Paths:
    env = dict(key)
    prefixes = ["/usr", "/usr/local"]
    roots: list[str] = []
    if tool_prefix:
        prefixes.append(tool_prefix)
    path = env.get("PATH") if "PATH" in env else "/usr/local/bin:/usr/bin:/bin"
    if path is None:
        return ANYTHING
    if path.endswith(":<base>"):
        # the base image's PATH: the system's prefixes, /usr/local, or a tool's under /opt
        path = path[: -len(":<base>")] + ":/usr/local/bin:/usr/bin:/bin:/opt/conda/bin:/opt/venv/bin"
    for entry in path.split(":"):
        if entry.endswith("/bin") and entry.startswith("/"):
            prefix = posixpath.dirname(entry)
            prefixes.append(_BIN_PREFIX.get(entry, prefix) if prefix != "/" else "/usr")
    for var in ("VIRTUAL_ENV", "CONDA_PREFIX", "PYTHONUSERBASE", "PYTHONHOME", "CONDA_DIR", "MAMBA_ROOT_PREFIX"):
        if var in env:
            value = env[var]
            if value is None:
                return ANYTHING
            roots.append(value)
    if "PYTHONPATH" in env:
        value = env["PYTHONPATH"]
        if value is None:
            return ANYTHING
        roots += [p for p in value.split(":") if p.startswith("/")]
    for prefix in prefixes:
        # a prefix's own folders (not /usr/src, where an application may live)
        roots += [posixpath.join(prefix, d) for d in _PREFIX_DIRS + ("pyvenv.cfg", "conda-meta", "envs", "pkgs")]
    return Paths.of(*dict.fromkeys(roots))


def pip_config(state: State) -> Paths:
    out = Paths.of("/etc/pip.conf", "/etc/xdg/pip") | home_paths(state, ".config/pip", ".pip")
    config = state.env.get("PIP_CONFIG_FILE") if "PIP_CONFIG_FILE" in state.env else "/dev/null"
    return out | (ANYTHING if config is None else Paths.of(config) if not config.startswith("/dev/") else NOTHING)


class _Unknown(Exception):
    pass


class _Walker:
    """Follows a script's commands with the working folder and variables the shell would have."""

    def __init__(self, state: State, cwd: str) -> None:
        self.state = state
        self.cwd = cwd

    def path(self, value: str) -> str:
        if "$(" in value or "`" in value:
            raise _Unknown(f"`{value}` runs a command substitution")
        if value.startswith("~"):
            user_home = home(self.state)
            if user_home is None:
                raise _Unknown(f"{value}: the home folder is not known")
            value = user_home + value[1:]
        resolved = self.state.resolve(glob_prefix(value), self.cwd)
        if resolved is None or not is_known_dir(resolved):
            raise _Unknown(f"the path {value} is not known")
        return resolved

    def paths(self, values: Sequence[str]) -> Paths:
        return Paths.of(*(self.path(v) for v in values))


def glob_prefix(value: str) -> str:
    """The part of a path before its first wildcard (the folder a glob looks in)."""
    parts = value.split("/")
    for i, part in enumerate(parts):
        if any(c in part for c in "*?["):
            return "/".join(parts[:i]) or ("/" if value.startswith("/") else ".")
    return value


def _operands(name: str, words: Sequence[ShellWord]) -> tuple[list[str], set[str]]:
    """Operands and the option names given (an option's value is not an operand); `test` and
    `[` take every word as an operand."""
    if name in ("test", "["):
        return [w.value for w in words], set()
    takes = _VALUE_OPTIONS.get(name, set())
    long_values = {t for t in takes if t.startswith("--")}
    short_values = {t[1] for t in takes if not t.startswith("--")}
    options, operands = split_options(tuple(words), long_values, short_values, group_flags=True)
    return [w.value for w in operands], {o.name for o in options}


def run_effects(inst: Instruction, state: State, known: Paths | None = None) -> Effects:
    """What a RUN reads and writes. ``known`` may give what its installs read exactly (their
    requirement files as the rule followed them) in place of the table's guess."""
    script = inst.script
    if script.opaque:
        return anything(f"the RUN at line {inst.line_no} cannot be read ({script.opaque})")
    if state.shell is not None and shell_program(state) not in POSIX_SHELLS:
        return anything(f"the RUN at line {inst.line_no} runs through {state.shell[0] if state.shell else 'SHELL'}")
    try:
        effects = _script_effects(script.commands, state, state.workdir, known, bool(set(script.separators) & {"(", ")"}))
    except _Unknown as why:
        return anything(f"the RUN at line {inst.line_no}: {why}")
    return effects | Effects(uses=RUN_USES)


def command_effects(command: Command, state: State, cwd: str, known: Paths | None = None) -> Effects:
    """One command's effects (anything, with the reason, when it cannot be told)."""
    try:
        return _command(command, _Walker(state, cwd), known)
    except _Unknown as why:
        return anything(str(why))


def _script_effects(
    commands: Sequence[Command], state: State, cwd: str, known: Paths | None, grouped: bool
) -> Effects:
    walker = _Walker(state, cwd)
    parts: list[Effects] = []
    for cmd in commands:
        if cmd.name == "cd":
            if len(cmd.argv) != 2 or cmd.compound or grouped or cmd.redirects:
                raise _Unknown("it changes directory where the shell's folder cannot be followed")
            walker.cwd = walker.path(cmd.argv[1].value)
            continue
        parts.append(_command(cmd, walker, known))
    return union(parts)


def _command(cmd: Command, walker: _Walker, known_reads: Paths | None) -> Effects:
    redirect = walker.paths([t.value for t in cmd.redirects if not t.value.startswith("/dev/") and not t.value.isdigit()])
    base = Effects(reads=redirect, writes=redirect)
    for w in cmd.words:
        if "$(" in w.value or "`" in w.value:
            raise _Unknown(f"`{w.value}` runs a command substitution")
    if not cmd.argv:
        return base
    argv = cmd.argv
    if argv[0].value == "command" and len(argv) > 1 and argv[1].value in ("-v", "-V"):
        return base
    inv = unwrap(cmd)
    if inv is None:
        raise _Unknown(f"`{argv[0].value}` runs a wrapper with options")
    if not inv.argv:
        return base
    state = walker.state
    env = run_env(state, inv)
    if env != dict(state.env):
        walker = _Walker(replace(state, env=env), walker.cwd)
    return base | _known(inv.argv, walker, cmd, known_reads)


def _known(argv: Sequence[ShellWord], walker: _Walker, cmd: Command, known_reads: Paths | None) -> Effects:
    name = posixpath.basename(argv[0].value)
    args = list(argv[1:])
    state = walker.state
    cwd = walker.cwd
    if name in _QUIET:
        return Effects()
    if name in _READERS:
        operands, _ = _operands(name, args)
        if name in ("test", "["):
            operands = [o for o in operands if o not in ("]", "!", "=", "!=", "-a", "-o") and not re.fullmatch(r"-[a-zA-Z]", o)]
            return Effects(reads=walker.paths(operands))
        return Effects(reads=walker.paths(operands or ([cwd] if name in ("ls", "du", "tree") else [])))
    if name in _GREP:
        operands, options = _operands("grep", args)
        if not (options & {"-e", "-f", "--regexp", "--file"}) and operands:
            operands = operands[1:]
        recursive = bool(options & {"-r", "-R", "--recursive", "--dereference-recursive"}) or any(
            o.startswith("-") and not o.startswith("--") and ("r" in o or "R" in o) for o in options
        )
        return Effects(reads=walker.paths(operands or ([cwd] if recursive else [])))
    if name in _OS_TOOLS:
        operands = [w.value for w in args if "/" in w.value and not w.value.startswith("-") and not is_url(w.value)]
        system = SYSTEM | Paths.of("/opt") if name in _RPM_TOOLS else SYSTEM
        return Effects(reads=system | walker.paths(operands), writes=system)
    if name in _ACCOUNT_TOOLS:
        return _accounts(name, args, walker)
    if name == "mkdir":
        operands, options = _operands(name, args)
        return Effects(dirs=tuple(walker.path(o) for o in operands), writes=NOTHING)
    if name in ("rm", "touch", "mv", "tee", "chmod", "chown", "chgrp", "ln", "cp", "install"):
        return _writer(name, args, walker)
    if name == "sed":
        return _sed(args, walker)
    if name in _LINTERS:
        return _linter(name, args, walker)
    if PYTHON.match(name):
        return _python(argv, walker, cmd, known_reads)
    call = pip_call(cmd)
    if call is not None:
        return _pip(call, walker, known_reads)
    mirrored = uv_pip_command(cmd)
    if mirrored is not None:
        call = pip_call(mirrored)
        if call is not None:
            return _pip(call, walker, known_reads) | _uv_settings(walker)
    project = project_install(cmd, _nothing)
    if project is not None:
        if project.tool in TOOLCHAINS:
            manifests = known_reads if known_reads is not None else walker.paths(project.files + project.optional)
            return install_effects(project, state, cwd, manifests, home_paths)
        return _project(project.files + project.optional, walker, known_reads)
    tool = tool_command_effects(cmd, state, cwd, home_paths)
    if tool is not None:
        return tool
    if context_free_tool(cmd):
        return Effects(writes=home_paths(state, ".cache", ".config", ".local", ".conda"))
    if name in ("sh", "bash", "dash") and len(args) >= 2 and args[0].value == "-c":
        inner = parse_shell(args[1].value)
        if inner.opaque:
            raise _Unknown(f"`{name} -c` runs a script that cannot be read")
        return _script_effects(inner.commands, state, cwd, None, True)
    if name in _TOOL_RUNNERS:
        raise _Unknown(f"`{' '.join(w.value for w in argv[:3])}` may read or write anything")
    raise _Unknown(f"`{argv[0].value}` may read or write anything")


def _accounts(name: str, args: Sequence[ShellWord], walker: _Walker) -> Effects:
    values = [w.value for w in args]
    homes: list[str] = []
    for flag in ("-d", "--home-dir", "--home", "-h"):
        if flag in values and values.index(flag) + 1 < len(values):
            homes.append(walker.path(values[values.index(flag) + 1]))
    if name in ("useradd", "adduser") and not homes:
        homes.append("/home")
    account = Paths.of("/etc/passwd", "/etc/group", "/etc/shadow", "/etc/gshadow", "/etc/subuid", "/etc/subgid")
    backups = Paths.of("/etc/passwd-", "/etc/group-", "/etc/shadow-", "/etc/gshadow-", "/etc/subuid-", "/etc/subgid-")
    return Effects(
        reads=Paths.of("/etc/login.defs", "/etc/default", "/etc/skel", "/etc/adduser.conf") | account,
        writes=account | backups | Paths.of("/var/mail", "/var/spool/mail", "/var/log", *homes),
    )


def _writer(name: str, args: Sequence[ShellWord], walker: _Walker) -> Effects:
    operands, options = _operands(name, args)
    if options & {"-t", "--target-directory"}:
        raise _Unknown(f"`{name} -t` is not followed")
    reads = NOTHING
    if name in ("chown", "chgrp"):
        if not any(o.startswith("--reference") for o in options):
            operands = operands[1:]
        reads = Paths.of("/etc/passwd", "/etc/group")
    if name == "chmod" and operands and re.match(r"^[0-7]{3,4}$|^[ugoa]*[+=-][rwxXst]*(,[ugoa]*[+=-][rwxXst]*)*$", operands[0]):
        operands = operands[1:]
    if name in ("cp", "install", "ln") and len(operands) >= 2:
        sources, target = operands[:-1], operands[-1]
        if name == "install" and options & {"-d", "--directory"}:
            return Effects(dirs=tuple(walker.path(o) for o in operands))
        linked = name == "ln" and bool(options & {"-s", "--symbolic"} or any("s" in o for o in options if not o.startswith("--")))
        return Effects(reads=reads | (NOTHING if linked else walker.paths(sources)), writes=walker.paths([target]))
    if name == "mv":
        return Effects(reads=walker.paths(operands), writes=walker.paths(operands))
    return Effects(reads=reads, writes=walker.paths(operands))


def _sed(args: Sequence[ShellWord], walker: _Walker) -> Effects:
    operands, options = _operands("sed", args)
    in_place = any(o == "--in-place" or (o.startswith("-i") or (not o.startswith("--") and "i" in o)) for o in options)
    if not options & {"-e", "-f", "--expression", "--file"} and operands:
        operands = operands[1:]
    files = walker.paths(operands)
    return Effects(reads=files, writes=files if in_place else NOTHING)


def _linter(name: str, args: Sequence[ShellWord], walker: _Walker) -> Effects:
    patterns, config, cache = _LINTERS[name]
    values = [w.value for w in args]
    if name == "ruff":
        if not values or values[0] not in ("check", "format"):
            raise _Unknown("`ruff` without check or format may write anything")
        writing = {"--fix", "--unsafe-fixes", "--add-noqa", "--fix-only"} if values[0] == "check" else None
        if writing is not None and writing & set(values) or values[0] == "format" and not {"--check", "--diff"} & set(values):
            raise _Unknown(f"`ruff {values[0]}` rewrites the files it reads")
        args = args[1:]
    operands, options = _operands(name, args)
    folders = operands or ["."]
    reads = Paths.of(*(walker.path(f) for f in folders), names=patterns) | Paths.of(
        *(posixpath.join(walker.cwd, c) for c in config)
    )
    writes = Paths.of(posixpath.join(walker.cwd, cache)) if cache and "--no-cache" not in options else NOTHING
    if name == "mypy" and "--cache-dir=/dev/null" in options:
        writes = NOTHING
    return Effects(reads=reads | python_env(walker.state), writes=writes)


_PYTHON_VALUE_FLAGS = frozenset({"-W", "-X", "-Q"})


def imported_modules(code: str) -> list[str] | None:
    """The top-level modules a `python -c` program imports, when importing is all it does."""
    import ast  # only for a `python -c`

    try:
        tree = ast.parse(code)
    except SyntaxError:
        return None
    out: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.Import):
            out += [a.name.split(".")[0] for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.append(node.module.split(".")[0])
        else:
            return None
    return out


def module_paths(module: str, folders: Sequence[str]) -> Paths:
    """Where an import of ``module`` looks in each folder: a module file, a package folder, an
    extension module."""
    out = NOTHING
    for folder in folders:
        out = out | Paths.of(posixpath.join(folder, module), posixpath.join(folder, module + ".py"))
        out = out | Paths.of(folder, names=(f"{module}.*",), shallow=True)
    return out


def import_path(state: State, cwd: str) -> list[str]:
    """The folders before site-packages on a `python -c`'s sys.path: its working folder, then
    PYTHONPATH."""
    folders = [cwd]
    value = state.env.get("PYTHONPATH") if "PYTHONPATH" in state.env else ""
    if value is None:
        raise _Unknown("PYTHONPATH is set to a value that is not known")
    folders += [posixpath.normpath(posixpath.join(cwd, p)) for p in value.split(":") if p]
    return folders


def _python(argv: Sequence[ShellWord], walker: _Walker, cmd: Command, known_reads: Paths | None) -> Effects:
    values = [w.value for w in argv]
    k = 1
    while k < len(values) and values[k].startswith("-") and values[k] not in ("-c", "-m"):
        if values[k] in ("-V", "--version"):
            return Effects()
        k += 2 if values[k] in _PYTHON_VALUE_FLAGS else 1
    if k + 1 < len(values) and values[k] == "-c":
        modules = imported_modules(values[k + 1])
        if modules is None:
            raise _Unknown(f"`{values[0]} -c` runs a program that may read or write anything")
        folders = import_path(walker.state, walker.cwd)
        reads = python_env(walker.state, values[0])
        for module in modules:
            reads = reads | module_paths(module, folders)
        return Effects(reads=reads)
    if k + 1 < len(values) and values[k] == "-m":
        module = values[k + 1]
        if module == "pip":
            call = pip_call(cmd)
            if call is not None:
                return _pip(call, walker, known_reads)
        if module == "venv":
            operands = [v for v in values[k + 2 :] if not v.startswith("-")]
            if len(operands) == 1:
                return Effects(reads=python_env(walker.state, values[0]), writes=walker.paths(operands))
        if module == "compileall":
            # compiles the folders it is given into __pycache__ folders beside the sources
            operands, _ = _operands("compileall", argv[k + 2 :])
            if operands:
                places = walker.paths(operands)
                return Effects(reads=places | python_env(walker.state, values[0]), writes=places)
        if module in _LINTERS:
            effects = _linter(module, argv[k + 2 :], walker)
            return effects | Effects(reads=module_paths(module, import_path(walker.state, walker.cwd)))
    raise _Unknown(f"`{' '.join(values[: k + 2])}` may read or write anything")


def _pip(call: PipCall, walker: _Walker, known_reads: Paths | None) -> Effects:
    state = walker.state
    env_reads = python_env(state, call.tool.value) | pip_config(state)
    sub = call.subcommand
    if sub in ("", "freeze", "list", "check", "show", "help", "inspect", "debug") or call.subcommand_word is None:
        return Effects(reads=env_reads)
    if sub not in ("install", "uninstall", "wheel", "download"):
        raise _Unknown(f"`pip {sub}` is not followed")
    reads = env_reads
    if known_reads is not None:
        reads = reads | known_reads
    else:
        for name in ("requirement", "constraint"):
            for value in call.values(name):
                if not is_url(value):
                    path = walker.path(value)
                    reads = reads | Paths.of(posixpath.dirname(path))  # it may include files beside it
        for value in call.values("find-links"):
            if not is_url(value):
                reads = reads | walker.paths([value])
        for value in call.values("editable"):
            reads = reads | walker.paths([value])
        for word in call.positionals:
            if is_local_reference(word.value):
                reads = reads | walker.paths([word.value.split("[")[0]])
        for var in ("PIP_REQUIREMENT", "PIP_CONSTRAINT", "PIP_FIND_LINKS", "PIP_EDITABLE"):
            if var in state.env:
                raise _Unknown(f"{var} names files pip reads")
    if sub == "wheel":
        folder = (call.values("wheel-dir") or call.values("w") or ["."])[-1]
        return Effects(reads=reads, writes=Paths.of(walker.path(folder), names=("*.whl",)))
    if sub == "download":
        folder = (call.values("dest") or call.values("d") or ["."])[-1]
        return Effects(reads=reads, writes=walker.paths([folder]))
    places = [v for name in ("target", "prefix", "root") for v in call.values(name)]
    if places:
        return Effects(reads=reads, writes=walker.paths(places + call.values("src")))
    return Effects(reads=reads, writes=walker.paths(call.values("src")) | python_env(state, call.tool.value))


# tools whose subcommand says what runs (`npm run build`, `go build`): messages name it
_TOOL_RUNNERS = frozenset({"npm", "npx", "yarn", "pnpm", "bun", "go", "cargo", "corepack"})


def _nothing(_: str) -> str | None:
    return None


# what uv reads from the folder it runs in and every folder above it
_UV_FILES = ("pyproject.toml", "uv.toml", ".venv", ".python-version")


def _uv_settings(walker: _Walker) -> Effects:
    folders = [walker.cwd]
    while folders[-1] != "/":
        folders.append(posixpath.dirname(folders[-1]))
    return Effects(reads=Paths.of(*(posixpath.join(f, n) for f in folders for n in _UV_FILES)))


def _project(files: Sequence[str], walker: _Walker, known_reads: Paths | None) -> Effects:
    """uv sync, poetry/pipenv/pdm install, conda env: they read their manifests and write an
    environment (in the project's folder, under the home folder or in a system prefix) and
    may write the lock file beside the manifests."""
    state = walker.state
    env = python_env(state) | home_paths(state, ".cache", ".local", ".conda", ".config", ".virtualenvs")
    manifests = known_reads if known_reads is not None else walker.paths(list(files))
    own = Paths.of(*(posixpath.join(walker.cwd, n) for n in (".venv", "__pypackages__", *files)))
    return Effects(reads=env | manifests | _uv_settings(walker).reads, writes=env | own)
