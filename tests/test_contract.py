"""contract/: the facts more than one layer reads — the pack can import it the CLI way, the outputs fixture is the
real program's, and the output shapes refuse a field without a key."""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from enum import StrEnum
from importlib import metadata
from pathlib import Path
from typing import Any, ClassVar

import pytest
from packaging.requirements import Requirement

from contract.outputs import Key, StackOutputs, check_shape
from contract.values import UNKNOWN, SecretValue
from tests.project_files import ROOT
from tools import outputs_fixture
from tools.outputs_fixture import FixtureError

PACK = ROOT / "policy"
# Every virtualenv has these (python -m venv installs pip; setuptools' .pth hook imports _distutils_hack).
VENV_BASE = {"pip", "setuptools"}


def _closure(requirements: list[str]) -> set[str]:
    """The distributions `pip install -r` of `requirements` installs: the pins and, transitively, their
    dependencies for this interpreter (markers evaluated, extras not requested)."""
    todo = [Requirement(line) for line in requirements]
    seen: set[str] = set()
    while todo:
        req = todo.pop()
        name = metadata.distribution(req.name).metadata["Name"].lower().replace("_", "-")
        if name in seen:
            continue
        seen.add(name)
        for dep in metadata.requires(name) or []:
            child = Requirement(dep)
            if child.marker is None or child.marker.evaluate({"extra": ""}):
                todo.append(child)
    return seen


def _pack_requirements() -> list[str]:
    lines = (PACK / "requirements.txt").read_text().splitlines()
    return [line for line in lines if line.strip() and not line.lstrip().startswith("#")]


def _start_pack_the_cli_way(tmp_path: Path) -> dict[str, str | None]:
    """`python -m pulumi.policy ENGINE policy/` from policy/, isolated (-I: no PYTHONPATH, no user site, no script
    directory on the path); the modules it had loaded when the pack was up, by name → file."""
    out = tmp_path / "modules.json"
    env = {"PATH": "/usr/bin:/bin", "PULUMI_PROJECT": "summit-resilience", "PULUMI_STACK": "stage"}
    result = subprocess.run(
        [sys.executable, "-I", str(ROOT / "tests" / "pack_cli_trace.py"), str(out)],
        cwd=PACK,
        env={**env, "PULUMI_DRY_RUN": "true"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"the pack did not start the CLI way: {result.stderr.strip()[-2000:]}"
    assert result.stdout.strip().isdigit(), f"the pack printed no port: {result.stdout!r}"
    return json.loads(out.read_text())  # type: ignore[no-any-return]


def test_the_pack_started_the_cli_way_loads_only_what_its_virtualenv_and_contract_provide(tmp_path):
    modules = _start_pack_the_cli_way(tmp_path)
    allowed = _closure(_pack_requirements()) | VENV_BASE
    distributions = metadata.packages_distributions()
    stdlib = (sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["platstdlib"])
    site = sysconfig.get_paths()["purelib"]
    outside: set[str] = set()
    for name, file in sorted(modules.items()):
        top = name.split(".")[0]
        if name in ("__main__", "__mp_main__"):
            continue  # the tracing script itself (the CLI's is pulumi.policy's __main__, checked as `pulumi`)
        if file is None or top in sys.stdlib_module_names or (file.startswith(stdlib) and not file.startswith(site)):
            continue  # built-in, namespace package or the standard library
        path = Path(file)
        if path.is_relative_to(ROOT) and not path.is_relative_to(ROOT / ".venv"):
            if path.relative_to(ROOT).parts[0] not in ("policy", "contract"):
                outside.add(f"{top} (repository folder {path.relative_to(ROOT).parts[0]}/)")
            continue
        owners = {d.lower().replace("_", "-") for d in distributions.get(top, [])}
        if not owners & allowed:
            outside.add(f"{top} (distribution {', '.join(sorted(owners)) or file})")
    assert "contract.outputs" in modules or "contract.values" in modules, "the pack no longer loads contract/"
    assert sorted(outside) == [], f"policy/requirements.txt would not provide: {sorted(outside)}"


def test_the_committed_outputs_fixture_is_what_the_program_exports():
    committed = outputs_fixture.fixture_path("stage").read_text(encoding="utf-8")
    fresh = outputs_fixture.render(outputs_fixture.outputs_document("stage"))
    assert committed == fresh, (
        "tests/fixtures/outputs.stage.json is stale: the program exports something else now — "
        "run `make outputs-fixture` and commit the file"
    )


def test_the_program_exports_exactly_the_contract_keys_in_order():
    document = json.loads(outputs_fixture.fixture_path("stage").read_text(encoding="utf-8"))
    assert list(document) == [k.value for k in Key]


def test_the_fixture_holds_the_velero_schedule_the_program_creates():
    document = json.loads(outputs_fixture.fixture_path("stage").read_text(encoding="utf-8"))
    assert document[Key.VELERO_SCHEDULE_NAME] == "nightly"  # the hand-written file said summit-stage-hourly


def test_stage_deploys_every_component_so_no_output_of_its_fixture_is_empty():
    document = json.loads(outputs_fixture.fixture_path("stage").read_text(encoding="utf-8"))
    assert [key for key, value in document.items() if value in (None, "", {}, [])] == []


def test_a_secret_output_is_written_as_show_secrets_prints_it():
    assert outputs_fixture._plain("dbSecretArn", SecretValue("arn:aws:secretsmanager:x")) == "arn:aws:secretsmanager:x"


def test_an_output_the_mock_engine_leaves_unknown_is_named_not_written():
    with pytest.raises(FixtureError, match=r"stack output canaries\.us-east-1\.artifactBucket: unknown"):
        outputs_fixture._plain("canaries", {"us-east-1": {"artifactBucket": UNKNOWN}})


def test_the_fixture_tool_refuses_an_unknown_stack_with_one_line_and_exit_2(capsys, tmp_path):
    target = tmp_path / "out.json"
    assert outputs_fixture.main(["--stack", "nope", "--output", str(target)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Pulumi.nope.yaml: no such stack file" in err
    assert not target.exists()


class _Keys(StrEnum):
    ONE = "one"


@dataclass(frozen=True)
class _TwoFields:
    KEYS: ClassVar[type[StrEnum]] = _Keys
    one: Any
    two: Any


def test_a_shape_field_without_a_key_is_refused_naming_both_lists():
    with pytest.raises(TypeError, match=r"_TwoFields fields \['ONE', 'TWO'\] do not match _Keys \['ONE'\]"):
        check_shape(_TwoFields)


def test_stack_outputs_render_nested_shapes_with_their_keys():
    from contract.outputs import BucketPairOutputs, document

    pair = BucketPairOutputs("b1", "arn:aws:s3:::b1", "us-east-1", "b2", "arn:aws:s3:::b2", "us-west-2")
    assert document({"data": pair})["data"] == {
        "primaryBucket": "b1",
        "primaryArn": "arn:aws:s3:::b1",
        "primaryRegion": "us-east-1",
        "replicaBucket": "b2",
        "replicaArn": "arn:aws:s3:::b2",
        "replicaRegion": "us-west-2",
    }
    assert StackOutputs.KEYS is Key
