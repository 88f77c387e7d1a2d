"""How pip installs a project's dependencies without the project, and records them exactly as
installing the project would.

pip marks what it installs on request with a `REQUESTED` file (listed in `RECORD`), and what it
installs to satisfy another package without one. `pip install flask gunicorn` would therefore mark
the dependencies differently from `pip install .`. Installing a stub wheel that only requires them
marks them as dependencies, the way the project's own install does; the stub is uninstalled right
after, so it leaves nothing behind. The wheel is written at build time by a Python one-liner (a
wheel is a zip file with three metadata files), so no file is added to the build context.
"""

from __future__ import annotations

import posixpath

from dockerfix.ecosystems.commands import PYTHON

NAME = "dockerfix-deps"
WHEEL = "/tmp/dockerfix_deps-0-py3-none-any.whl"

# argv: the wheel to write, then requirement strings or the text of requirement files (one per
# line; blank lines, comments and option lines are dropped, as setuptools drops the first two).
# Old-Python-friendly on purpose (no f-strings), single-quote free so it fits in '...'.
SCRIPT = (
    "import re,sys,zipfile;"
    'd="dockerfix_deps-0.dist-info/";'
    'r=[q for a in sys.argv[2:] for l in a.splitlines() for q in [re.sub(r"(^|\\s)#.*","",l).strip()] '
    'if q[:1] not in ("","-")];'
    'z=zipfile.ZipFile(sys.argv[1],"w");'
    'z.writestr(d+"METADATA","Metadata-Version: 2.1\\nName: dockerfix-deps\\nVersion: 0\\n"'
    '+"".join("Requires-Dist: "+q+"\\n" for q in r));'
    'z.writestr(d+"WHEEL","Wheel-Version: 1.0\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n");'
    'z.writestr(d+"RECORD","");'
    "z.close()"
)


def python_for(tool: str) -> str:
    """An interpreter to write the stub with, given the raw first word of the pip invocation:
    the interpreter itself for `python -m pip`, the `python3` beside a `.../bin/pip`, else
    `python3` from PATH (any Python 3 can write a zip file)."""
    base = posixpath.basename(tool)
    if PYTHON.match(base):
        return tool
    head = tool[: -len(base)] if base and tool.endswith(base) else ""
    if head.endswith("/") and "'" not in head and '"' not in head:
        return head + "python3"
    return "python3"


def write_command(python: str, arguments: list[str]) -> str:
    """The shell command that writes the stub wheel; ``arguments`` are shell words already quoted."""
    return " ".join([python, "-c", f"'{SCRIPT}'", WHEEL, *arguments])
