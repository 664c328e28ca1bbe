"""The user documentation: links resolve, the site builds, the cookbook's example runs,
and every JSON Schema property says what it means."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted((ROOT / "docs").glob("*.md"))
COOKBOOK = ROOT / "data" / "examples" / "hr_policy_chatbot.yaml"

# [text](target) and [text]: target; images too
_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)|^\[[^\]]+\]:\s*(\S+)", re.M)
_FENCE = re.compile(r"^```.*?^```", re.M | re.S)


def _relative_links(md: Path) -> list[str]:
    text = _FENCE.sub("", md.read_text(encoding="utf-8"))
    text = re.sub(r"`[^`\n]*`", "", text)  # inline code is not a link
    out = []
    for m in _LINK.finditer(text):
        target = m.group(1) or m.group(2)
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
            continue  # http:, mailto:, in-page anchors
        out.append(target)
    return out


def test_docs_exist():
    names = {p.name for p in DOCS}
    assert {"index.md", "scenario.md", "formulas.md", "ranges.md", "cookbook.md"} <= names
    assert {"workbook.md", "review.md"} <= names


@pytest.mark.parametrize("md", [ROOT / "README.md", *DOCS], ids=lambda p: p.name)
def test_every_relative_link_resolves_inside_the_repository(md):
    links = _relative_links(md)
    if md.name in ("README.md", "index.md"):
        assert links, f"{md.name} links nowhere"
    for target in links:
        path = target.split("#", 1)[0]
        resolved = (md.parent / path).resolve()
        assert resolved.is_relative_to(ROOT), f"{md.name}: {target} points outside the repository"
        assert resolved.exists(), f"{md.name}: {target} does not exist"


def test_readme_shows_the_schema_command_and_not_the_contract_folder():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "aiopex schema" in text
    assert "shared/" not in text


def test_mkdocs_builds_strict(tmp_path):
    pytest.importorskip("mkdocs")
    r = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert (tmp_path / "scenario" / "index.html").exists()


def test_cookbook_example_validates_and_runs():
    from aiopex.engine import run
    from aiopex.inputs.scenario import load_scenario

    s = load_scenario(COOKBOOK)
    r = run(s, draws=50, seed=1)
    assert r.scenario.name == "hr_policy_chatbot"
    assert r.metrics["cost_total"] > 0 and r.metrics["benefit_total"] > 0
    assert r.pilot is not None
    # the cookbook's change-management answer is left empty on purpose
    assert r.readiness["answered"] == 5


def test_cookbook_shows_the_example_file_section_by_section():
    """Every top-level section of the example appears in the cookbook's YAML blocks."""
    import yaml

    example = yaml.safe_load(COOKBOOK.read_text(encoding="utf-8"))
    text = (ROOT / "docs" / "cookbook.md").read_text(encoding="utf-8")
    for key in example:
        assert re.search(rf"^{key}:", text, re.M), f"cookbook.md does not show {key}:"


def _properties(schema: dict, path: str = "$"):
    """Yield (path, property schema) for every property of every object in the schema."""
    if isinstance(schema, dict):
        for name, sub in schema.get("properties", {}).items():
            yield f"{path}.{name}", sub
            yield from _properties(sub, f"{path}.{name}")
        for key in ("$defs", "definitions"):
            for name, sub in schema.get(key, {}).items():
                yield from _properties(sub, f"#{name}")
        for key in ("items", "additionalProperties"):
            if isinstance(schema.get(key), dict):
                yield from _properties(schema[key], f"{path}[]")
        for key in ("anyOf", "oneOf", "allOf"):
            for sub in schema.get(key, []):
                yield from _properties(sub, path)


def _described(prop: dict, schema: dict) -> bool:
    if prop.get("description"):
        return True
    ref = prop.get("$ref")
    if ref:
        target = schema["$defs"][ref.rsplit("/", 1)[1]]
        return bool(target.get("description"))
    return any(_described(p, schema) for p in prop.get("allOf", []))


def test_every_schema_property_has_a_description():
    from aiopex.inputs.scenario import json_schema

    schema = json_schema()
    props = list(_properties(schema))
    assert len(props) > 50
    missing = [p for p, sub in props if not _described(sub, schema)]
    assert not missing, f"{len(missing)} properties without a description: {missing}"


# docs/formulas.md#payback in a docstring or comment of the package
_CITATION = re.compile(r"docs/([a-z_]+\.md)(#[a-z0-9-]+)?")


def _anchors(md: Path) -> set[str]:
    """The heading anchors mkdocs makes (toc's default slugify: lower case, punctuation
    dropped, spaces to hyphens)."""
    text = _FENCE.sub("", md.read_text(encoding="utf-8"))
    out = set()
    for h in re.findall(r"^#+\s+(.*?)\s*$", text, re.M):
        slug = re.sub(r"[^\w\s-]", "", h.strip().lower())
        out.add(re.sub(r"[-\s]+", "-", slug).strip("-"))
    return out


def test_the_package_cites_the_users_documentation_and_it_exists():
    # users have docs/, not the contracts the project is built from: a docstring points
    # to the page (and heading) that explains it
    src = ROOT / "src" / "aiopex"
    bad, missing = [], []
    for p in sorted(src.rglob("*.py")) + [src / "scenario.schema.json"]:
        text = p.read_text(encoding="utf-8")
        for name in ("SCENARIO.md", "REVIEW.md", "DESIGN.md", "STYLE.md"):
            if name in text:
                bad.append(f"{p.relative_to(ROOT)} cites {name}")
        for page, anchor in _CITATION.findall(text):
            md = ROOT / "docs" / page
            if not md.is_file():
                missing.append(f"{p.relative_to(ROOT)}: docs/{page} does not exist")
            elif anchor and anchor[1:] not in _anchors(md):
                missing.append(f"{p.relative_to(ROOT)}: no heading docs/{page}{anchor}")
    assert not bad, "\n".join(bad)
    assert not missing, "\n".join(missing)


def test_readme_layout_names_every_module_and_nothing_else():
    # README.md's layout block (scripts/readme_layout.py prints it) against the tree: a
    # module added, moved or removed without it fails here
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    begin = readme.index("<!-- layout: generated by scripts/readme_layout.py")
    block = readme[begin : readme.index("<!-- /layout -->")]
    listed = set(re.findall(r"^  (\S+\.py|\S+/)\s", block, re.M))
    pkg = ROOT / "src" / "aiopex"
    found = set()
    for p in pkg.rglob("*.py"):
        if "__pycache__" in p.parts or p == pkg / "__init__.py":
            continue
        r = p.relative_to(pkg)
        found.add(f"{r.parent.as_posix()}/" if p.name == "__init__.py" else r.as_posix())
    hint = "run: python scripts/readme_layout.py --write"
    assert not found - listed, f"missing from README.md's layout: {sorted(found - listed)}; {hint}"
    assert not listed - found, (
        f"in README.md's layout, not in src: {sorted(listed - found)}; {hint}"
    )
