"""Malformed stack files and policy configs: each is one line naming file (and line or key), exit 2, nothing run.

Every input here is built from the committed prod files with one mistake in it, and goes through the real front
door (`preflight.cli.main`, and for a few of them a real `python -m preflight` process); the same line comes
from the settings layer (`settings.load_files`, `load_policy_config`). Bomb and nesting inputs are the actual
inputs (a billion-laughs alias bomb, 5,000 nested brackets); the tests assert the answer, benchmarks/ the time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

import settings
from preflight.analysis import load_policy_config
from preflight.engine import ProgramError, run_program
from settings import ConfigError, files
from tests.harness import PROJECT_DIR, run_preflight, stack_raw

PROD_YAML = (PROJECT_DIR / "Pulumi.prod.yaml").read_text()
PROD_JSON = (PROJECT_DIR / "policy" / "config" / "prod.json").read_text()
KEY = "summit-resilience"

# A billion laughs: 10 lines that expand to 9^9 ≈ 387 million strings when aliases are followed.
ALIAS_BOMB = 'config:\n  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"  {chr(98 + i)}: &{chr(98 + i)} [{','.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(8)
)
NESTED_5000 = "[" * 5000 + "]" * 5000


def line_of(text: str, needle: str, start: int = 1) -> int:
    """1-based number of the first line at or after `start` that contains `needle`."""
    lines = text.splitlines()
    return next(i for i in range(start - 1, len(lines)) if needle in lines[i]) + 1


def n_lines(text: str) -> int:
    return len(text.splitlines())


@dataclass(frozen=True)
class Case:
    """A malformed file and the message (after `<file>: `) it must produce."""

    content: bytes
    message: str


def _yaml(text: str, message: str) -> Case:
    return Case(text.encode(), message)


def _yaml_cases() -> dict[str, Case]:
    p, n = PROD_YAML, n_lines(PROD_YAML)
    retention = line_of(p, "dbBackupRetentionDays")
    config_line = line_of(p, "config:")
    emails_line = line_of(p, "opsAlertEmails")
    return {
        "duplicate-key": _yaml(
            p + f"  {KEY}:dbBackupRetentionDays: 1\n",
            f"{KEY}:dbBackupRetentionDays: set twice (lines {retention} and {n + 1}); the last would silently win, "
            "keep one",
        ),
        "duplicate-nested-key": _yaml(
            p + f"  {KEY}:kubecostToken:\n    secure: v1:abc\n    secure: v1:def\n",
            f"{KEY}:kubecostToken: secure: set twice (lines {n + 2} and {n + 3}); the last would silently win, "
            "keep one",
        ),
        "duplicate-top-level-key": _yaml(
            "encryptionsalt: v1:abc\n" + p + "encryptionsalt: v1:def\n",
            f"encryptionsalt: set twice (lines 1 and {n + 2}); the last would silently win, keep one",
        ),
        "second-config-block": _yaml(
            p + f"config:\n  {KEY}:monthlyBudgetUsd: 5\n",
            f"a second top-level config: block at line {n + 1} (the first is at line {config_line}) would silently "
            "replace the first; merge them into one",
        ),
        "alias-bomb": _yaml(
            ALIAS_BOMB,
            "line 2, column 6: YAML anchor &a: anchors and aliases are not accepted in config files "
            "(write the value out)",
        ),
        "alias": _yaml(
            p.replace(
                f"  {KEY}:budgetAlertEmails:\n    - platform-finops@summit.example.com",
                f"  {KEY}:budgetAlertEmails: *emails",
            ),
            f"line {line_of(p, 'budgetAlertEmails')}, column {len(f'  {KEY}:budgetAlertEmails: ') + 1}: YAML alias "
            "*emails: anchors and aliases are not accepted in config files (write the value out)",
        ),
        "merge-key": _yaml(
            p + f"  {KEY}:x:\n    <<: {{a: 1}}\n",
            f"line {n + 2}, column 5: YAML merge key <<: not accepted in config files (write the keys out)",
        ),
        # The document's root mapping and config: are the first two of the MAX_DEPTH levels.
        "nested-5000-brackets": _yaml(
            p.replace(
                f"  {KEY}:opsAlertEmails:\n    - platform-oncall@summit.example.com",
                f"  {KEY}:opsAlertEmails: {NESTED_5000}",
            ),
            f"line {emails_line}, column {len(f'  {KEY}:opsAlertEmails: ') + files.MAX_DEPTH - 1}: "
            f"nested deeper than {files.MAX_DEPTH} levels",
        ),
        "nested-5000-mappings": _yaml(
            p + f"  {KEY}:x: " + "{a: " * 5000 + "1" + "}" * 5000 + "\n",
            f"line {n + 1}, column {len(f'  {KEY}:x: ') + 4 * (files.MAX_DEPTH - 2) + 1}: "
            f"nested deeper than {files.MAX_DEPTH} levels",
        ),
        # Root mapping, "config", config:, "x" and the list are 5 values; item k of the list is value 5 + k.
        "over-5000-values": _yaml(
            "config:\n  x: [" + "1, " * files.MAX_YAML_NODES + "1]\n",
            f"line 2, column {7 + 3 * (files.MAX_YAML_NODES - 5)}: more than {files.MAX_YAML_NODES} YAML values; "
            "a config file has a few hundred",
        ),
        "sequence-as-key": _yaml(
            p + "  ? [a, b]\n  : 1\n", f"line {n + 1}, column 5: a key must be a string, not a sequence"
        ),
        "nan": _yaml(
            p.replace("monthlyBudgetUsd: 20000", "monthlyBudgetUsd: .nan"),
            f"{KEY}:monthlyBudgetUsd: non-finite number .nan (line {line_of(p, 'monthlyBudgetUsd')}); "
            "write a finite number",
        ),
        "infinity-in-a-list": _yaml(
            p.replace(f'  {KEY}:karpenterCapacityTypes: ["on-demand"]', f"  {KEY}:karpenterCapacityTypes: [-.inf]"),
            f"{KEY}:karpenterCapacityTypes: item 0: non-finite number -.inf (line "
            f"{line_of(p, 'karpenterCapacityTypes')}); write a finite number",
        ),
        "float-overflow": _yaml(
            p.replace("monthlyBudgetUsd: 20000", "monthlyBudgetUsd: 1.0e+999"),
            f"{KEY}:monthlyBudgetUsd: non-finite number 1.0e+999 (line {line_of(p, 'monthlyBudgetUsd')}); "
            "write a finite number",
        ),
        "integer-of-5000-digits": _yaml(
            p.replace("monthlyBudgetUsd: 20000", "monthlyBudgetUsd: " + "9" * 5000),
            f"{KEY}:monthlyBudgetUsd: integer of 5000 characters (line {line_of(p, 'monthlyBudgetUsd')}) is out "
            "of range",
        ),
        "control-character": _yaml(
            p.replace("cc-platform-prod", "cc-platform\x07prod"),
            f"malformed YAML: line {line_of(p, 'costCenter')}, column {len(f'  {KEY}:costCenter: cc-platform') + 1}: "
            "character U+0007 is not allowed",
        ),
        "non-utf8-byte": Case(
            p.encode().replace(b"cc-platform-prod", b"cc-platform-pr\xf6d"),
            f"not UTF-8: byte 0xF6 at line {line_of(p, 'costCenter')}, column "
            f"{len(f'  {KEY}:costCenter: cc-platform-pr') + 1}; save the file as UTF-8",
        ),
        "utf16-with-bom": Case(
            p.encode("utf-16"), "is UTF-16 (it starts with a UTF-16 byte-order mark); save it as UTF-8"
        ),
        "utf32-with-bom": Case(
            p.encode("utf-32"), "is UTF-32 (it starts with a UTF-32 byte-order mark); save it as UTF-8"
        ),
        "utf16-without-bom": Case(
            p.encode("utf-16-le"),
            "NUL byte at line 1, column 2: UTF-16 without a byte-order mark, or not a text file; save it as UTF-8",
        ),
        "over-64-kib": Case(
            p.encode() + b"#" * (files.MAX_FILE_BYTES - len(p.encode()) + 1),
            "larger than 64 KiB, the most a config file may be",
        ),
    }


YAML_CASES = _yaml_cases()


def _json(text: str, message: str) -> Case:
    return Case(text.encode(), message)


def _json_cases() -> dict[str, Case]:
    j, n = PROD_JSON, n_lines(PROD_JSON)
    versioning = line_of(j, '"s3-versioning"')
    retention = line_of(j, '"minRetentionDays"')
    trailing = j.rstrip()[:-1].rstrip() + ',\n  "s3-versioning": "disabled"\n}\n'
    return {
        "duplicate-policy": _json(
            trailing,
            f'key "s3-versioning" set twice (lines {versioning} and {n}); the last would silently win, keep one',
        ),
        "duplicate-property": _json(
            j.replace('"minRetentionDays": 7,', '"minRetentionDays": 7,\n    "minRetentionDays": 1,', 1),
            f'rds-backup-retention: key "minRetentionDays" set twice (lines {retention} and {retention + 1}); '
            "the last would silently win, keep one",
        ),
        "nan": _json(
            j.replace('"warnShare": 0.8', '"warnShare": NaN'),
            "cost-budget-headroom.warnShare: NaN is not a JSON number; write a finite number",
        ),
        "infinity": _json(
            j.replace('"warnShare": 0.8', '"warnShare": Infinity'),
            "cost-budget-headroom.warnShare: Infinity is not a JSON number; write a finite number",
        ),
        "minus-infinity-in-a-list": _json(
            j.replace('"FORECASTED:80",', "-Infinity,"),
            "monthly-cost-budget.requiredNotifications[0]: -Infinity is not a JSON number; write a finite number",
        ),
        "float-overflow": _json(
            j.replace('"warnShare": 0.8', '"warnShare": 1e999'),
            "cost-budget-headroom.warnShare: 1e999 overflows a double; write a finite number",
        ),
        "integer-beyond-2-53": _json(
            j.replace('"minRetentionDays": 7,', '"minRetentionDays": 9007199254740993,', 1),
            "rds-backup-retention.minRetentionDays: 9007199254740993 is beyond ±2^53, which the pack's config "
            "(doubles) cannot hold exactly",
        ),
        "nested-5000-brackets": _json(
            '{"recovery-budget": ' + NESTED_5000 + "}", "malformed JSON: nested deeper than 20 levels"
        ),
        "nested-25-levels": _json(
            '{"recovery-budget": {"rtoSeconds": ' + "[" * 25 + "]" * 25 + "}}",
            "recovery-budget.rtoSeconds[0]…: nested deeper than 20 levels",
        ),
        "newline-in-a-string": _json(
            j.replace('"tagKey": "data-class"', '"tagKey": "data\nclass"'),
            f"malformed JSON: Invalid control character at: line {line_of(j, 'tagKey')} column 20 "
            f"(char {j.index('data-class') + 4})",
        ),
        "non-utf8-byte": Case(
            j.encode().replace(b"data-class", b"data-cl\xe4ss"),
            f"not UTF-8: byte 0xE4 at line {line_of(j, 'tagKey')}, column 23; save the file as UTF-8",
        ),
        "utf16-with-bom": Case(
            j.encode("utf-16"), "is UTF-16 (it starts with a UTF-16 byte-order mark); save it as UTF-8"
        ),
        "utf16-without-bom": Case(
            j.encode("utf-16-le"),
            "NUL byte at line 1, column 2: UTF-16 without a byte-order mark, or not a text file; save it as UTF-8",
        ),
        "over-64-kib": Case(
            b" " * files.MAX_FILE_BYTES + j.encode(), "larger than 64 KiB, the most a config file may be"
        ),
    }


JSON_CASES = _json_cases()


def _write(tmp_path: Path, name: str, case: Case) -> Path:
    path = tmp_path / name
    path.write_bytes(case.content)
    return path


@pytest.mark.parametrize("name", list(YAML_CASES))
def test_malformed_stack_file_is_one_line_exit_2_and_nothing_runs(capsys, tmp_path, program_runs, name):
    path = _write(tmp_path, "Pulumi.prod.yaml", YAML_CASES[name])
    code, out, err = run_preflight(capsys, "--stack", "prod", "--config", str(path))
    assert (code, out, program_runs) == (2, "", [])
    assert err == f"preflight: {path}: {YAML_CASES[name].message}\n"


@pytest.mark.parametrize("name", list(YAML_CASES))
def test_malformed_stack_file_raises_the_same_line_from_settings(tmp_path, name):
    path = _write(tmp_path, "Pulumi.prod.yaml", YAML_CASES[name])
    with pytest.raises(ConfigError) as e:
        settings.load_files("prod", config_file=path)
    assert str(e.value) == f"{path}: {YAML_CASES[name].message}"


@pytest.mark.parametrize("name", list(JSON_CASES))
def test_malformed_policy_config_is_one_line_exit_2_and_nothing_runs(capsys, tmp_path, program_runs, name):
    path = _write(tmp_path, "prod.json", JSON_CASES[name])
    code, out, err = run_preflight(capsys, "--stack", "prod", "--policy-pack-config", str(path))
    assert (code, out, program_runs) == (2, "", [])
    assert err == f"preflight: {path}: {JSON_CASES[name].message}\n"


@pytest.mark.parametrize("name", list(JSON_CASES))
def test_malformed_policy_config_raises_the_same_line_from_the_loader(tmp_path, name):
    path = _write(tmp_path, "prod.json", JSON_CASES[name])
    with pytest.raises(ConfigError) as e:
        load_policy_config(path, str(path))
    assert str(e.value) == f"{path}: {JSON_CASES[name].message}"


@pytest.mark.parametrize(
    "name", ["alias-bomb", "nested-5000-brackets", "nested-5000-mappings", "over-5000-values", "over-64-kib"]
)
def test_pure_python_yaml_parser_refuses_the_same_inputs_the_same_way(tmp_path, monkeypatch, name):
    """Without libyaml PyYAML parses in Python (5,000 brackets alone take ~7 s there): the walk still stops
    at the first problem, with the same line."""
    monkeypatch.setattr(files, "_LOADER", yaml.SafeLoader)
    path = _write(tmp_path, "Pulumi.prod.yaml", YAML_CASES[name])
    with pytest.raises(ConfigError) as e:
        settings.load_files("prod", config_file=path)
    assert str(e.value) == f"{path}: {YAML_CASES[name].message}"


def test_a_utf8_byte_order_mark_is_accepted_in_a_stack_file(tmp_path):
    path = tmp_path / "Pulumi.prod.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + PROD_YAML.encode())
    assert settings.load_files("prod", config_file=path)[0].core.environment == "prod"


def test_the_committed_files_pass_every_file_check():
    for path in [PROJECT_DIR / "Pulumi.yaml", *sorted(PROJECT_DIR.glob("Pulumi.*.yaml"))]:
        files.load_yaml(path, path.name)
    for path in sorted((PROJECT_DIR / "policy" / "config").glob("*.json")):
        assert files.load_json(path, path.name) == json.loads(path.read_text())


def test_a_duplicate_declaration_in_pulumi_yaml_is_refused(tmp_path):
    project = (PROJECT_DIR / "Pulumi.yaml").read_text()
    first = line_of(project, "  monthlyBudgetUsd:")
    (tmp_path / "Pulumi.yaml").write_text(project + "  monthlyBudgetUsd:\n    type: string\n")
    (tmp_path / "Pulumi.prod.yaml").write_text(PROD_YAML)
    with pytest.raises(ConfigError) as e:
        settings.load_files("prod", project_dir=tmp_path)
    assert str(e.value) == (
        f"Pulumi.yaml: config.monthlyBudgetUsd: set twice (lines {first} and {n_lines(project) + 1}); "
        "the last would silently win, keep one"
    )


# --- values in errors: one line, bounded ------------------------------------------------------------------


def _stack_error(tmp_path: Path, edit: Callable[[str], str]) -> str:
    path = tmp_path / "Pulumi.prod.yaml"
    path.write_text(edit(PROD_YAML))
    with pytest.raises(ConfigError) as e:
        settings.load_files("prod", config_file=path)
    return str(e.value).removeprefix(f"{path}: ")


def test_a_value_with_a_newline_is_shown_escaped_on_one_line(tmp_path):
    msg = _stack_error(
        tmp_path, lambda p: p.replace("costCenter: cc-platform-prod", 'costCenter: "cc\\nplat\\u2028form"')
    )
    assert msg == (f'{KEY}:costCenter: expected a cost-center code such as cc-1042, got "cc\\nplat\\u2028form"')


def test_a_long_value_is_cut_at_80_characters_and_says_how_long_it_was(tmp_path):
    msg = _stack_error(tmp_path, lambda p: p.replace("costCenter: cc-platform-prod", "costCenter: " + "x" * 5000))
    assert msg == f'{KEY}:costCenter: expected a cost-center code such as cc-1042, got "{"x" * 80}"… (5000 characters)'


def test_a_key_with_a_newline_is_shown_escaped_on_one_line(tmp_path):
    msg = _stack_error(tmp_path, lambda p: p + f'  "{KEY}:budget\\nLimit": 5\n')
    assert msg == f"{KEY}:budget\\nLimit: unknown key"


def test_a_long_unknown_key_is_cut_and_says_how_long_it_was(tmp_path):
    msg = _stack_error(tmp_path, lambda p: p + f"  {KEY}:{'k' * 900}: 5\n")
    assert msg == f"{KEY}:{'k' * 80}… (900 characters): unknown key"


def test_a_bad_enforcement_level_with_a_newline_is_one_line_from_the_pack(capsys, tmp_path):
    doc = json.loads(PROD_JSON)
    doc["s3-versioning"]["enforcementLevel"] = "strict\n" + "y" * 200
    path = tmp_path / "prod.json"
    path.write_text(json.dumps(doc))
    small = str(PROJECT_DIR / "tests" / "fixtures" / "two_raw_resources")
    code, out, err = run_preflight(capsys, "--stack", "prod", "--program", small, "--policy-pack-config", str(path))
    assert (code, out) == (2, "")
    assert err == (
        f"preflight: {path}: s3-versioning: enforcementLevel must be one of advisory, mandatory, remediate, "
        f'disabled, got "strict\\n{"y" * 73}"… (207 characters)\n'
    )


# --- the real process: exit 2, one line on stderr, no traceback -------------------------------------------


@pytest.mark.parametrize(
    ("kind", "name"),
    [
        ("yaml", "alias-bomb"),
        ("yaml", "nested-5000-brackets"),
        ("yaml", "non-utf8-byte"),
        ("yaml", "utf16-with-bom"),
        ("yaml", "duplicate-key"),
        ("json", "nan"),
        ("json", "duplicate-policy"),
    ],
)
def test_real_preflight_process_prints_the_line_and_exits_2(tmp_path, kind, name):
    case = (YAML_CASES if kind == "yaml" else JSON_CASES)[name]
    path = _write(tmp_path, "Pulumi.prod.yaml" if kind == "yaml" else "prod.json", case)
    flag = "--config" if kind == "yaml" else "--policy-pack-config"
    proc = subprocess.run(
        [sys.executable, "-m", "preflight", "--stack", "prod", flag, str(path)],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        env={**os.environ},
        timeout=60,
    )
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr == f"preflight: {path}: {case.message}\n"


def test_a_real_pulumi_run_refuses_a_duplicate_key_in_the_stack_file_the_cli_read(tmp_path, monkeypatch):
    """`pulumi up` hands the program values, not the file: the program reads the file once more."""
    (tmp_path / "Pulumi.yaml").write_text((PROJECT_DIR / "Pulumi.yaml").read_text())
    (tmp_path / "Pulumi.prod.yaml").write_bytes(YAML_CASES["duplicate-key"].content)
    monkeypatch.setattr(settings, "PROJECT_DIR", tmp_path)
    raw = stack_raw("prod")
    with pytest.raises(ProgramError) as e:
        run_program(PROJECT_DIR, project=KEY, stack="prod", config=raw.as_engine_config(), secret_keys=set())
    assert (str(e.value), e.value.config_error) == (f"Pulumi.prod.yaml: {YAML_CASES['duplicate-key'].message}", True)


def test_a_program_error_with_a_newline_is_still_one_line(capsys, tmp_path):
    (tmp_path / "__main__.py").write_text("raise ValueError('first\\nsecond')\n")
    code, out, err = run_preflight(capsys, "--stack", "dev", "--program", str(tmp_path), "--no-policy")
    assert (code, out) == (2, "")
    assert err == "preflight: program failed: ValueError: first\\nsecond (at __main__.py:1)\n"
