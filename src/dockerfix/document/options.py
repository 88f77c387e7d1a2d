"""The options of a simple command: which words are options, with their values, and which are
operands. Each tool says which of its options take a value; the rest is the same everywhere."""

from __future__ import annotations

from collections.abc import Container

from dockerfix.document.shell import ShellWord
from dockerfix.records import frozen


@frozen(slots=True)
class Option:
    name: str  # as the tool names it: as written ("-o", "--setopt"), or a tool's own canonical name
    value: str | None
    words: tuple[ShellWord, ...]  # the word(s) that spell it


def split_options(
    words: tuple[ShellWord, ...], long_values: Container[str], short_values: Container[str], group_flags: bool
) -> tuple[list[Option], list[ShellWord]]:
    """The options of a command line, named as written, and its other words, in order; options
    may come anywhere, `--` ends them. ``long_values`` ("--index-url") take a value after `=` or
    in the next word, ``short_values`` (letters) right after the letter or in the next word.
    Other short flags written together (`-qU`) are one option with ``group_flags``, one option a
    letter otherwise."""
    options: list[Option] = []
    positionals: list[ShellWord] = []
    k = 0
    while k < len(words):
        w = words[k]
        v = w.value
        if v == "--":
            positionals.extend(words[k + 1 :])
            break
        if v.startswith("--") and len(v) > 2:
            key, eq, value = v.partition("=")
            if eq:
                options.append(Option(key, value, (w,)))
            elif key in long_values and k + 1 < len(words):
                options.append(Option(key, words[k + 1].value, (w, words[k + 1])))
                k += 1
            else:
                options.append(Option(key, None, (w,)))
        elif v.startswith("-") and len(v) > 1:
            letter = v[1]
            if letter in short_values:
                if len(v) > 2:
                    options.append(Option("-" + letter, v[2:].removeprefix("="), (w,)))
                elif k + 1 < len(words):
                    options.append(Option("-" + letter, words[k + 1].value, (w, words[k + 1])))
                    k += 1
                else:
                    options.append(Option("-" + letter, None, (w,)))
            elif group_flags:
                options.append(Option(v, None, (w,)))
            else:
                options.extend(Option("-" + c, None, (w,)) for c in v[1:] if c != "=")
        else:
            positionals.append(w)
        k += 1
    return options, positionals
