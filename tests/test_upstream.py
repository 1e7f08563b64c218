"""The vendored upstream files (tests/upstream/): checksums as SOURCES.md records them, versions as the code pins."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from components import backups, costs, synthetics
from components.autoscaling import KARPENTER_CHART
from tests.schemas import CHARTS_DIR, CRDS_DIR, SCHEMAS_DIR, chart_metadata

SOURCES = SCHEMAS_DIR / "SOURCES.md"
ROW = re.compile(
    r"^\| (?P<file>[\w./-]+) \| (?P<repo>[\w.-]+/[\w.-]+) \| (?P<path>[\w./-]+) \| (?P<commit>[0-9a-f]{40}) "
    r"\| (?P<version>v?\d+\.\d+\.\d+) \| (?P<sha256>[0-9a-f]{64}) \|$",
    re.MULTILINE,
)
NOT_UPSTREAM = {"SOURCES.md", "README.md"}  # this project's notes about the files


def _rows() -> dict[str, dict[str, str]]:
    return {m["file"]: m.groupdict() for m in ROW.finditer(SOURCES.read_text(encoding="utf-8"))}


def _vendored() -> set[str]:
    return {p.relative_to(SCHEMAS_DIR).as_posix() for p in SCHEMAS_DIR.rglob("*") if p.is_file()} - NOT_UPSTREAM


def _versions(prefix: str) -> set[str]:
    return {row["version"] for file, row in _rows().items() if file.startswith(prefix + "/")}


def test_every_vendored_file_has_a_sources_row_and_every_row_a_file():
    assert _vendored() == set(_rows())


def test_every_vendored_file_matches_the_sha256_sources_records():
    rows = _rows()
    actual = {file: hashlib.sha256((SCHEMAS_DIR / file).read_bytes()).hexdigest() for file in rows}
    assert {file: digest for file, digest in actual.items() if digest != rows[file]["sha256"]} == {}


CHART_PINS = [
    # (vendored chart directory, the chart the code installs, the version it pins)
    ("velero", backups.VELERO_CHART.chart, backups.VELERO_CHART.version),
    ("karpenter", KARPENTER_CHART.chart.rsplit("/", 1)[-1], KARPENTER_CHART.version),
    ("cost-analyzer-v2.9.7", costs.KUBECOST_CHART.chart, costs.KUBECOST_CHART.version),
    ("prometheus-blackbox-exporter", synthetics.CHART, synthetics.CHART_VERSION),
]


@pytest.mark.parametrize(("directory", "chart", "pinned"), CHART_PINS, ids=[p[0] for p in CHART_PINS])
def test_vendored_chart_is_the_chart_version_the_code_pins(directory, chart, pinned):
    metadata = chart_metadata(directory)
    assert (metadata["name"], str(metadata["version"])) == (chart, pinned)
    assert _versions(f"charts/{directory}") == {pinned}


def test_every_vendored_chart_is_one_the_code_pins():
    assert {p.name for p in CHARTS_DIR.iterdir()} == {directory for directory, _, _ in CHART_PINS}


CRD_RELEASES = {
    # vendored CRD directory → the upstream release the code's custom resources are written for
    "karpenter": lambda: f"v{KARPENTER_CHART.version}",  # the chart installs its own release's CRDs
    "velero": lambda: f"v{chart_metadata('velero')['appVersion']}",  # chart 12.1.0 installs Velero 1.18.1's CRDs
    "prometheus-operator": lambda: synthetics.PROMETHEUS_OPERATOR_CRDS,
    "external-snapshotter": lambda: backups.EXTERNAL_SNAPSHOTTER_CRDS,
}


@pytest.mark.parametrize("directory", sorted(CRD_RELEASES))
def test_vendored_crds_are_the_release_the_code_pins(directory):
    assert _versions(f"crds/{directory}") == {CRD_RELEASES[directory]()}


def test_every_vendored_crd_directory_is_one_the_code_pins():
    assert {p.name for p in CRDS_DIR.iterdir()} == set(CRD_RELEASES)


def test_prometheus_operator_crds_carry_the_operator_version_the_code_pins():
    stamped = {
        path.name: re.search(r"^    operator\.prometheus\.io/version: (\S+)$", path.read_text(encoding="utf-8"), re.M)
        for path in (CRDS_DIR / "prometheus-operator").glob("*.yaml")
    }
    assert stamped
    assert {name: f"v{m[1]}" if m else None for name, m in stamped.items()} == {
        name: synthetics.PROMETHEUS_OPERATOR_CRDS for name in stamped
    }


def test_every_row_names_an_upstream_file_of_the_same_name():
    assert {file: row["path"] for file, row in _rows().items() if Path(row["path"]).name != Path(file).name} == {}
