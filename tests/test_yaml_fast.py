"""The fast YAML read (libyaml's parser) gives what the pure-Python loader gives, and
leaves every error to it."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiopex.inputs import files
from aiopex.inputs.files import MAX_DEPTH, YamlError, load_yaml

ROOT = Path(__file__).resolve().parents[1]
YAML_FILES = sorted(
    p
    for folder in ("data", "tests", "examples", "notebooks")
    if (ROOT / folder).is_dir()
    for p in (ROOT / folder).rglob("*.y*ml")
)

pytestmark = pytest.mark.skipif(files._CLoader is None, reason="PyYAML without libyaml")


def _pure(text: str) -> object:
    """``load_yaml`` with the pure-Python loader only."""
    saved = files._CLoader
    files._CLoader = None
    try:
        return load_yaml(text)
    finally:
        files._CLoader = saved


def test_there_are_files_to_compare() -> None:
    assert len(YAML_FILES) > 20


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_fast_read_equals_the_pure_one(path: Path) -> None:
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        expected: object = _pure(text)
    except Exception as e:  # noqa: BLE001 - a bad file: the same error, same message
        with pytest.raises(type(e)) as got:
            load_yaml(text)
        assert str(got.value) == str(e)
        return
    fast = files._fast_load(text)  # the fast path itself, not its fallback
    assert fast == expected
    assert repr(fast) == repr(expected)  # 1 and 1.0, True and 1 told apart


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("a: 0100", {"a": 100}),
        ("a: 1e3", {"a": 1000.0}),
        ("a: 1:30", {"a": "1:30"}),
        ("a: 0x10\nb: 0o17\nc: 1_000", {"a": 16, "b": 15, "c": 1000}),
        ("a: .inf\nb: yes\nc: ~", {"a": float("inf"), "b": True, "c": None}),
        (
            "base: &b {x: 1}\nother:\n  <<: *b\n  y: 2",
            {"base": {"x": 1}, "other": {"x": 1, "y": 2}},
        ),
    ],
)
def test_yaml_12_numbers_on_the_fast_read(text: str, value: object) -> None:
    assert files._fast_load(text) == value == _pure(text)


def test_deep_nesting_is_refused_as_before() -> None:
    deep = "a: " + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)
    with pytest.raises(files._FallbackError):
        files._fast_load(deep)
    with pytest.raises(YamlError, match=f"nested deeper than {MAX_DEPTH} levels"):
        load_yaml(deep)
    ok = "a: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1)
    assert files._fast_load(ok) == _pure(ok)


def test_repeated_keys_and_bad_yaml_read_as_before() -> None:
    found: list[tuple[str, str]] = []
    assert load_yaml("a: 1\na: 2", found) == {"a": 2}
    assert found == [("a", "key 'a' appears twice (lines 1 and 2); keep one")]
    with pytest.raises(files._FallbackError):
        files._fast_load("a: 1\na: 2")
    for bad in ("a: [1, 2", "a: 1\n b: 2", "--- 1\n--- 2", "a: *nope"):
        with pytest.raises(Exception) as pure:
            _pure(bad)
        with pytest.raises(type(pure.value)) as got:
            load_yaml(bad)
        assert str(got.value) == str(pure.value)
