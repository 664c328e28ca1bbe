"""Scenario loading: extends, overrides, hashing, messages, the JSON Schema."""

import json
import re
import textwrap
from pathlib import Path

import pytest

import aiopex
from aiopex.errors import ScenarioError
from aiopex.inputs.scenario import json_schema

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "data" / "scenarios").glob("*.yaml"))

BASE = """
name: base
start: "2027-01"
horizon_months: 12
usage:
  population: 100
  items_per_user_month: 10
costs:
  - {name: api, category: compute, driver: per_request, rate: 0.01}
  - {name: ops, category: support, driver: fixed, rate: 1000}
  - {name: gone, category: other, driver: fixed, rate: 5}
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text))
    return p


def test_examples_load_and_hash_is_stable():
    assert len(EXAMPLES) >= 4
    for path in EXAMPLES:
        a, b = aiopex.load_scenario(path), aiopex.load_scenario(path)
        assert a.inputs_hash == b.inputs_hash and len(a.inputs_hash) == 64


def test_extends_merges_costs_by_name_and_removes(tmp_path):
    write(tmp_path, "base.yaml", BASE)
    child = write(
        tmp_path,
        "child.yaml",
        """
        extends: base.yaml
        name: child
        usage: {population: 200}
        costs:
          - {name: ops, rate: 2000}
          - {name: gone, remove: true}
          - {name: new, category: data, driver: fixed, rate: 7}
        """,
    )
    s = aiopex.load_scenario(child)
    names = [c.name for c in s.model.costs]
    assert names == ["api", "ops", "new"]
    assert s.model.costs[1].rate == 2000 and s.model.costs[1].driver == "fixed"
    assert s.model.usage.population == 200 and s.model.usage.items_per_user_month == 10
    assert "extends" not in s.resolved


def test_chain_of_three(tmp_path):
    write(tmp_path, "a.yaml", BASE)
    write(tmp_path, "b.yaml", "extends: a.yaml\nname: b\nusage: {bypass_rate: 0.2}\n")
    c = write(tmp_path, "c.yaml", "extends: b.yaml\nname: c\nhorizon_months: 24\n")
    s = aiopex.load_scenario(c)
    assert (s.name, s.horizon, s.model.usage.bypass_rate) == ("c", 24, 0.2)


def test_overrides_change_the_hash_and_the_value(tmp_path):
    p = write(tmp_path, "base.yaml", BASE)
    plain = aiopex.load_scenario(p)
    s = aiopex.load_scenario(p, ["costs.api.rate=0.02", "usage.bypass_rate=0.3"])
    assert s.model.costs[0].rate == 0.02 and s.model.usage.bypass_rate == 0.3
    assert s.inputs_hash != plain.inputs_hash
    same = aiopex.load_scenario(p, {"costs.api.rate": 0.02, "usage.bypass_rate": 0.3})
    assert same.inputs_hash == s.inputs_hash


def test_override_problems_name_the_path(tmp_path):
    p = write(tmp_path, "base.yaml", BASE)
    with pytest.raises(ScenarioError) as e:
        aiopex.load_scenario(p, ["costs.apx.rate=1", "usage.bypas_rate=0.3", "costs.ops.rate=-3"])
    text = str(e.value)
    assert "costs.apx.rate" in text and "did you mean api" in text
    assert "usage.bypas_rate: unknown field; did you mean bypass_rate?" in text
    assert "costs[1].rate: must be >= 0, got -3" in text


def test_every_problem_at_once(tmp_path):
    p = write(
        tmp_path,
        "bad.yaml",
        """
        name: bad
        start: "2027-01"
        usage: {population: -1, items_per_user_month: 10, bypass_rate: 1.5}
        costs:
          - {name: a, category: compute, driver: fte, rate: 100}
          - {name: a, category: nonsense, driver: fixed, rate: 1}
        """,
    )
    with pytest.raises(ScenarioError) as e:
        aiopex.load_scenario(p)
    fields = {pr.field for pr in e.value.problems}
    assert {"usage.population", "usage.bypass_rate", "costs[0].fte", "costs[1].category"} <= fields
    assert all(pr.file == str(p) for pr in e.value.problems)


def test_range_forms_and_point_values(tmp_path):
    p = write(
        tmp_path,
        "r.yaml",
        """
        name: r
        start: "2027-01"
        usage:
          population: {low: 100, high: 400}
          items_per_user_month: {low: 5, mode: 10, high: 20, dist: pert}
          bypass_rate: {low: 0.1, high: 0.3, dist: uniform}
          growth_per_year: {low: -0.1, high: 0.3}
          adoption: {ceiling: {mean: 0.7, sd: 0.05, dist: normal}}
        """,
    )
    s = aiopex.load_scenario(p)
    inputs = {k: v for k, v, _ in s.scalar_inputs()}
    assert inputs["usage.population"] == pytest.approx(200.0)
    assert inputs["usage.items_per_user_month"] == 10
    assert inputs["usage.bypass_rate"] == pytest.approx(0.2)
    assert inputs["usage.growth_per_year"] == pytest.approx(0.1)
    assert inputs["usage.adoption.ceiling"] == 0.7


def test_json_schema_in_package_is_current():
    shipped = json.loads((ROOT / "src" / "aiopex" / "scenario.schema.json").read_text())
    assert shipped == json.loads(json.dumps(json_schema()))
    props = shipped["$defs"]["Scenario"]["properties"]
    assert "costs" in props and "extends" in props


def test_json_schema_accepts_every_bundled_scenario_and_refuses_a_bad_one():
    """An editor checks a file as written: a child of ``extends`` gives only what differs
    (a cost line may be its name and rate), and must not be flagged for what it inherits."""
    import jsonschema
    import yaml

    schema = json.loads((ROOT / "src" / "aiopex" / "scenario.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    check = jsonschema.Draft202012Validator(schema)
    files = [*EXAMPLES, ROOT / "data" / "actuals" / "claims_assistant.yaml"]
    assert any("extends" in yaml.safe_load(f.read_text()) for f in files)
    for f in files:
        assert not [e.message for e in check.iter_errors(yaml.safe_load(f.read_text()))], f
    assert not check.is_valid({"name": "x"})  # start, usage, ... required without extends
    child = {"extends": "a.yaml", "costs": [{"name": "x", "rate": -1}]}
    assert not check.is_valid(child)  # a negative rate is still refused
    assert check.is_valid({**child, "costs": [{"name": "x", "rate": 2}]})


@pytest.mark.parametrize(
    "given",
    [
        '{"costs.api.rate": 0.02, "usage.bypass_rate": 0.3}',
        "costs.api.rate=0.02\nusage.bypass_rate=0.3",
        "costs[0].rate=0.02, usage.bypass_rate=0.3",
        {"costs[0].rate": "0.02", "usage.bypass_rate": 0.3},
    ],
)
def test_overrides_as_one_string_or_by_index(tmp_path, given):
    """A notebook parameter arrives as one string: JSON or PATH=VALUE items, never characters."""
    p = write(tmp_path, "base.yaml", BASE)
    want = aiopex.load_scenario(p, ["costs.api.rate=0.02", "usage.bypass_rate=0.3"])
    s = aiopex.load_scenario(p, given)
    assert s.model.costs[0].rate == 0.02 and s.model.usage.bypass_rate == 0.3
    assert s.inputs_hash == want.inputs_hash


def test_an_inherited_problem_names_the_parent_and_its_own_path(tmp_path):
    bad_base = BASE.replace("rate: 1000}", "rate: -1000}")
    write(tmp_path, "base.yaml", bad_base)
    child = write(
        tmp_path,
        "child.yaml",
        """
        extends: base.yaml
        name: child
        costs:
          - {name: api, remove: true}
          - {name: new, category: data, driver: fixed, rate: -7}
        """,
    )
    with pytest.raises(ScenarioError) as e:
        aiopex.load_scenario(child)
    got = {(Path(p.file).name, p.field, p.message) for p in e.value.problems}
    assert got == {
        ("base.yaml", "costs[1].rate", "must be >= 0, got -1000"),
        ("child.yaml", "costs[1].rate", "must be >= 0, got -7"),
    }
    # an override of the inherited value is the command line's, named against the file loaded
    with pytest.raises(ScenarioError) as e:
        aiopex.load_scenario(child, ["costs.ops.rate=-5", "costs.new.rate=1"])
    assert [(Path(p.file).name, p.field) for p in e.value.problems] == [
        ("child.yaml", "costs[0].rate")
    ]


def test_loader_limits_are_refused_with_a_short_message(tmp_path):
    from aiopex.inputs.files import MAX_NODES

    rows = "\n".join(
        f"  - {{name: l{i}, category: other, driver: fixed, rate: 1}}" for i in range(3)
    )
    p = write(tmp_path, "ok.yaml", BASE.split("costs:")[0] + "costs:\n" + rows + "\n")
    assert len(aiopex.load_scenario(p).model.costs) == 3
    wide = "description: [" + ", ".join(["x"] * (MAX_NODES + 10)) + "]\n"
    big = write(tmp_path, "wide.yaml", BASE + wide)
    with pytest.raises(ScenarioError) as e:
        aiopex.load_scenario(big)
    assert "more than 50,000 values" in str(e.value) and len(str(e.value)) < 400


def test_json_schema_defaults_are_the_documented_ones():
    """An editor offers the schema's ``default``; it must be the one the field's description
    (and docs/scenario.md) gives, not ``null`` where ``null`` only means "not given"."""
    shipped = json.loads((ROOT / "src" / "aiopex" / "scenario.schema.json").read_text())
    checked, wrong = 0, []
    for model in [shipped, *shipped["$defs"].values()]:
        for name, prop in model.get("properties", {}).items():
            said = re.search(r"default (-?\d+(?:\.\d+)?)(?:;|$)", prop.get("description", ""))
            if said and not isinstance(prop.get("default"), dict):
                checked += 1
                if prop.get("default") != json.loads(said.group(1)):
                    wrong.append((name, prop.get("default"), said.group(1)))
    assert checked >= 20 and not wrong


def test_numbers_are_read_as_yaml_1_2_reads_them():
    """PyYAML follows YAML 1.1: ``rate: 0100`` was 64 (octal), ``1:30`` 90 (base 60) and
    ``1e3`` text. A scenario's numbers are read as written: 100, text, 1000."""
    from aiopex.inputs.files import load_yaml

    got = load_yaml("a: 0100\nb: 1:30\nc: 1e3\nd: 2.5e6\ne: 1_000\nf: 0x10\ng: -0.5\nh: .5")
    assert got == {"a": 100, "b": "1:30", "c": 1000.0, "d": 2.5e6, "e": 1000, "f": 16,
                   "g": -0.5, "h": 0.5}  # fmt: skip
    claims = ROOT / "data" / "scenarios" / "claims_triage.yaml"
    s = aiopex.load_scenario(claims, ["usage.population=0100", "costs[0].rate=1e-3"])
    inputs = {k: v for k, v, _ in s.scalar_inputs()}
    assert inputs["usage.population"] == 100
    assert inputs["costs.llm_input_tokens.rate"] == 0.001
