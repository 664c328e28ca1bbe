"""Reading input files safely: regular files only, bounded size, bounded YAML.

A scenario or history path may name anything: a FIFO (opening it would block), a
device (``/dev/zero`` never ends), a folder. :func:`read_regular` opens without
blocking, checks that it holds a regular file and reads at most a bounded number of
bytes. :func:`load_yaml` reads YAML with a loader that refuses duplicate keys and
bounds what aliases may expand to and how deep the nesting goes, so a 1 KB "billion
laughs" file is refused instead of taking gigabytes. :func:`excerpt` caps every value
a message quotes.
"""

from __future__ import annotations

import os
import re
import reprlib
import stat
from pathlib import Path
from typing import Any

import yaml

from aiopex.atomic import file_kind

#: Largest scenario file read, in bytes (a real one is a few KB).
MAX_SCENARIO_BYTES = 1_000_000
#: Largest usage history CSV read, in bytes (20 years of months is a few KB).
MAX_HISTORY_BYTES = 20_000_000
#: Most YAML nodes a scenario may hold, counting every alias as the nodes it repeats.
MAX_NODES = 50_000
#: Deepest nesting of mappings and lists in a scenario file.
MAX_DEPTH = 32
#: Longest excerpt of a value a message quotes, in characters.
EXCERPT_CHARS = 60


class InputFileError(Exception):
    """An input path that cannot be read as a file; the message says why."""


class YamlError(Exception):
    """A YAML file that is not acceptable.

    ``problems`` lists ``(where, message)``, ``where`` being a field path or ``line N``.
    """

    def __init__(self, where: str, message: str, more: list[tuple[str, str]] | None = None):
        super().__init__(message)
        self.problems = [(where, message), *(more or [])]


def excerpt(value: Any, limit: int = EXCERPT_CHARS) -> str:
    """``repr(value)``, cut to ``limit`` characters with an ellipsis.

    A huge value (an expanded alias, a megabyte string) is never quoted whole; only
    a bounded prefix of it is even formatted.

    Examples
    --------
    >>> excerpt("abc")
    "'abc'"
    >>> excerpt("x" * 500)
    "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx..."
    >>> len(excerpt(list(range(10**5))))
    61
    """
    if isinstance(value, str):
        text = repr(value[: limit + 1])
    elif isinstance(value, (list, tuple)) and len(value) > limit:
        text = repr(type(value)(value[:limit]))
    elif isinstance(value, dict) and len(value) > limit:
        text = repr(dict(list(value.items())[:limit]))
    else:
        try:
            text = reprlib_repr(value)
        except Exception:  # noqa: BLE001 - a message must never fail
            text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[:limit] + "…"


def cap(text: str, limit: int = EXCERPT_CHARS) -> str:
    """Plain ``text`` cut to ``limit`` characters with an ellipsis."""
    return text if len(text) <= limit else text[:limit] + "…"


def reprlib_repr(value: Any) -> str:
    """A repr that formats at most a bounded part of nested containers."""
    r = reprlib.Repr()
    r.maxstring = r.maxother = r.maxlong = EXCERPT_CHARS + 2
    r.maxlist = r.maxdict = r.maxtuple = r.maxset = 12
    r.maxlevel = 4
    return r.repr(value)


def read_regular(path: Path, limit: int) -> bytes:
    """The bytes of the regular file at ``path``, at most ``limit`` of them.

    Opens with ``O_NONBLOCK`` (a FIFO then opens at once instead of waiting for a
    writer), checks with ``fstat`` that the open file is a regular file, and refuses
    a file larger than ``limit`` bytes.

    Raises
    ------
    FileNotFoundError
        When nothing is at ``path``.
    InputFileError
        A folder, FIFO, device or socket; a file too large; an unreadable file.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise
    except IsADirectoryError:
        raise InputFileError("is a folder, not a file") from None
    except OSError as e:
        raise InputFileError(f"cannot open: {e.strerror or e}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise InputFileError(f"is {file_kind(st.st_mode)}, not a regular file")
        if st.st_size > limit:
            raise InputFileError(f"is {st.st_size:,} bytes; the limit is {limit:,}")
        chunks, total = [], 0
        while True:
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise InputFileError(f"is larger than the limit of {limit:,} bytes")
        return b"".join(chunks)
    except OSError as e:
        raise InputFileError(f"cannot read: {e.strerror or e}") from None
    finally:
        os.close(fd)


# -- YAML ---------------------------------------------------------------------------------

_MERGE_TAG = "tag:yaml.org,2002:merge"


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader with a nesting limit while composing, and YAML 1.2 numbers.

    PyYAML reads YAML 1.1, where ``0100`` is octal (64) and ``1:30`` base 60 (90), while
    ``1e3`` is text. Here, as in YAML 1.2: ``0100`` is 100, ``1e3`` and ``2.5e6`` are
    numbers, ``1:30`` is text (refused where a number is due); ``0x10``, ``0o17`` and
    ``1_000`` still read as 16, 15 and 1000.
    """

    def __init__(self, stream: Any):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise YamlError(
                    f"line {mark.line + 1}",
                    f"nested deeper than {MAX_DEPTH} levels; "
                    "no scenario or mapping file is that deep",
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


_INT = re.compile(r"^(?:[-+]?[0-9][0-9_]*|0o[0-7_]+|0x[0-9a-fA-F_]+)$")
_FLOAT = re.compile(
    r"^(?:[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in rules if not tag.endswith((":int", ":float"))]
    for first, rules in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver("tag:yaml.org,2002:int", _INT, list("-+0123456789"))
_Loader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT, list("-+.0123456789"))


def _int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    text = str(loader.construct_scalar(node)).replace("_", "")
    if text[:2] in ("0o", "0x"):
        return int(text, 0)
    return int(text, 10)  # a leading zero is decimal, as in YAML 1.2 (PyYAML: octal)


_Loader.add_constructor("tag:yaml.org,2002:int", _int)

#: The same loader on libyaml's parser (PyYAML's C extension), where it is installed: it
#: reads a document about ten times faster (a 200-member portfolio's files: 2.6 s -> 0.3 s
#: of CPU). It reads what :class:`_Loader` reads, with the same numbers and constructors;
#: :func:`load_yaml` gives it only the first try and reads with :class:`_Loader` whenever
#: something is wrong, so every error and its message is :class:`_Loader`'s.
_CLoader: Any = None
if getattr(yaml, "CSafeLoader", None) is not None:  # pragma: no branch

    class _CLoader(yaml.CSafeLoader):  # type: ignore[no-redef]
        """:class:`_Loader`'s resolvers and constructors on libyaml's parser."""

    _CLoader.yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers
    _CLoader.add_constructor("tag:yaml.org,2002:int", _int)


class _FallbackError(Exception):
    """The fast read met something :class:`_Loader` must judge (nesting, an error)."""


def load_yaml(text: str, repeated: list[tuple[str, str]] | None = None) -> Any:
    """Parse one YAML document safely.

    Refuses (with :class:`YamlError`) a mapping that repeats a key (naming the
    field path and both lines), nesting deeper than :data:`MAX_DEPTH`, and a
    document whose aliases expand to more than :data:`MAX_NODES` nodes or refer
    to themselves. Other YAML errors raise :class:`yaml.YAMLError` as usual.

    With a ``repeated`` list, repeated keys are appended to it as ``(where, message)``
    instead, and the document is returned (the later value kept), so that a caller can
    go on and report the file's other problems with them.

    Examples
    --------
    >>> load_yaml("a: 1\\nb: [1, 2]")
    {'a': 1, 'b': [1, 2]}
    >>> load_yaml("a: 1\\na: 2")
    Traceback (most recent call last):
    aiopex.inputs.files.YamlError: key 'a' appears twice (lines 1 and 2); keep one
    >>> found = []
    >>> load_yaml("a: 1\\na: 2", found), found
    ({'a': 2}, [('a', "key 'a' appears twice (lines 1 and 2); keep one")])
    """
    if _CLoader is not None:
        try:
            return _fast_load(text)
        except (_FallbackError, yaml.YAMLError, YamlError, RecursionError, ValueError):
            pass  # read again below: the errors and their messages are _Loader's
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        found = _check_tree(node)
        if found and repeated is None:
            raise YamlError(*found[0], more=found[1:])
        if repeated is not None:
            repeated.extend(found)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _fast_load(text: str) -> Any:
    """:func:`load_yaml` of a document with nothing wrong, on libyaml's parser; raises
    :class:`_FallbackError` (or the parser's error) on anything :class:`_Loader` must judge:
    nesting deeper than :data:`MAX_DEPTH`, a repeated key, too many nodes, a cycle."""
    loader = _CLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _check_tree(node, depth_limit=True):
            raise _FallbackError("repeated keys")
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _check_tree(root: yaml.Node, depth_limit: bool = False) -> list[tuple[str, str]]:
    """Count expanded nodes (aliases included), refuse cycles; list repeated keys.

    With ``depth_limit``, a node nested deeper than :data:`MAX_DEPTH` (the document's
    root at depth 1) raises :class:`_FallbackError`: :class:`_Loader` refuses it while
    composing, naming its line.
    """
    sizes: dict[int, int] = {}
    active: set[int] = set()
    repeated: list[tuple[str, str]] = []

    def walk(node: yaml.Node, path: str, depth: int = 1) -> int:
        if depth_limit and depth > MAX_DEPTH:
            raise _FallbackError("nested too deep")
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise YamlError(path or "line 1", "an alias refers to a node that contains it")
        active.add(key)
        size = 1
        if isinstance(node, yaml.MappingNode):
            first: dict[tuple[str, str], int] = {}
            for k, v in node.value:
                sub = path
                if isinstance(k, yaml.ScalarNode) and k.tag != _MERGE_TAG:
                    name = (k.tag, k.value)
                    line = k.start_mark.line + 1
                    shown = excerpt(k.value)
                    if name in first:
                        where = f"{path}.{k.value}" if path else k.value
                        repeated.append(
                            (
                                cap(where, 200),
                                f"key {shown} appears twice (lines {first[name]} and {line}); "
                                "keep one",
                            )
                        )
                    first[name] = line
                    sub = f"{path}.{k.value}" if path else str(k.value)
                size += walk(k, path, depth + 1) + walk(v, sub, depth + 1)
                _limit(size, node)
        elif isinstance(node, yaml.SequenceNode):
            for i, v in enumerate(node.value):
                size += walk(v, f"{path}[{i}]", depth + 1)
                _limit(size, node)
        active.discard(key)
        sizes[key] = size
        return size

    walk(root, "")
    return repeated


def _limit(size: int, node: yaml.Node) -> None:
    if size > MAX_NODES:
        raise YamlError(
            f"line {node.start_mark.line + 1}",
            f"more than {MAX_NODES:,} values once aliases are expanded; "
            "no scenario or mapping file is that large (an alias bomb?)",
        )


def key_texts(text: str, field: str) -> list[tuple[str, int]]:
    """The keys of the top-level mapping ``field`` as written (before YAML reads ``2027``,
    ``2027.0`` and ``0x7eb`` as one number), with their line numbers.

    >>> key_texts("budget:\\n  2027: 1\\n  0x7eb: 2\\n", "budget")
    [('2027', 2), ('0x7eb', 3)]
    """
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
    finally:
        loader.dispose()
    if not isinstance(root, yaml.MappingNode):
        return []
    for k, v in root.value:
        if isinstance(k, yaml.ScalarNode) and k.value == field and isinstance(v, yaml.MappingNode):
            return [
                (str(kk.value), kk.start_mark.line + 1)
                for kk, _ in v.value
                if isinstance(kk, yaml.ScalarNode)
            ]
    return []


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file, read in 1 MiB chunks (a 1 GB export needs 1 MiB, not 1 GB)."""
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def locate(path: str | os.PathLike[str]) -> Path:
    """Find a path given as a notebook parameter.

    An absolute path, or one that exists relative to the working directory, is
    returned as it is. Otherwise a relative path is looked up from each parent of
    the working directory in turn, so the notebooks' defaults
    (``data/scenarios/...``) work whether the kernel runs at the project root or in
    ``notebooks/``. Failing that, the path is returned unchanged (and whoever opens
    it reports it missing).
    """
    p = Path(path).expanduser()
    if p.is_absolute() or p.exists():
        return p
    first = p.parts[0] if p.parts else ""
    for parent in Path.cwd().resolve().parents:
        if first and (parent / first).exists():
            return parent / p
    return p
