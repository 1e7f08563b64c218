"""Measurement and the evidence bundle, shared by the AWS drill, failback and the Postgres lab.

A bundle is a directory `DIR/<stack>-<UTC time>/` holding
* `evidence.json` — the journal: every step with start/end timestamps, the AWS API calls it made (request ids),
  what it observed; events (fault, first good probe, …); probes; canary rows; objectives, measured values and the
  verdict. It is rewritten after every change, so a crashed drill resumes from it (`--resume DIR`).
* `report.md` — objectives vs measured, pass/fail, the phase breakdown and what to do next.
* `timeline.png` — the steps as bars on a time axis, the fault and first good probe as lines, probes as dots.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ops.canary import CanaryRow
from ops.clock import iso, parse_iso
from ops.errors import InputError

SCHEMA = "summit-resilience/evidence@1"


# --- measurement ------------------------------------------------------------------------------------------


def seconds_between(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return round((end - start).total_seconds(), 3)


@dataclass(frozen=True)
class RpoMeasurement:
    """How much committed data the failover lost, in seconds of writes, and on what basis."""

    seconds: float | None
    basis: str
    newest_visible: CanaryRow | None = None
    last_written_before_fault: CanaryRow | None = None
    lost_seqs: tuple[int, ...] = ()
    split_brain_seqs: tuple[int, ...] = ()  # lost rows acknowledged by the old primary after the fault
    last_lost: CanaryRow | None = None
    rows_on_promoted: int | None = None
    rows_on_old_primary: int | None = None

    @property
    def lost_window_seconds(self) -> float:
        """Span of acknowledged rows that did not survive: last written before the fault − newest visible."""
        if not self.lost_seqs or self.newest_visible is None:
            return 0.0
        last = self.last_lost or self.last_written_before_fault
        if last is None:
            return 0.0
        return round((last.written_at - self.newest_visible.written_at).total_seconds(), 3)

    def to_json(self) -> dict[str, Any]:
        return {
            "seconds": self.seconds,
            "basis": self.basis,
            "newestVisible": self.newest_visible.to_json() if self.newest_visible else None,
            "lastWrittenBeforeFault": self.last_written_before_fault.to_json()
            if self.last_written_before_fault
            else None,
            "lostSeqs": list(self.lost_seqs),
            "lostRows": len(self.lost_seqs),
            "lostWindowSeconds": self.lost_window_seconds,
            "splitBrainSeqs": list(self.split_brain_seqs),
            "splitBrainRows": len(self.split_brain_seqs),
            "rowsOnPromoted": self.rows_on_promoted,
            "rowsOnOldPrimary": self.rows_on_old_primary,
        }


def rpo_from_canary(
    fault_at: datetime, newest_visible: CanaryRow | None, written: list[CanaryRow] | None = None
) -> RpoMeasurement:
    """RPO = fault time − newest canary row visible after promotion (never negative).

    With the writer's own log, the rows acknowledged before the fault but missing after promotion are listed:
    they are the data actually lost; RPO bounds them from above by at most one canary interval.
    """
    before = [row for row in (written or []) if row.written_at <= fault_at]
    last = before[-1] if before else None
    if newest_visible is None:
        return RpoMeasurement(
            None, "no canary row visible after promotion", None, last, tuple(row.seq for row in before)
        )
    lost = tuple(row.seq for row in before if row.seq > newest_visible.seq)
    seconds = max(0.0, round((fault_at - newest_visible.written_at).total_seconds(), 3))
    return RpoMeasurement(seconds, "fault time − newest canary row visible after promotion", newest_visible, last, lost)


def rpo_from_both_sides(
    fault_at: datetime,
    promoted: list[CanaryRow],
    acknowledged: list[CanaryRow],
    old_primary: list[CanaryRow] | None = None,
) -> RpoMeasurement:
    """RPO from canary rows on both sides of the failover.

    The old primary's side is every row it acknowledged: the writer's log, plus the rows read from the old primary
    before it was fenced (when it could be read). A row of that side missing on the promoted writer is a lost write;
    one acknowledged after the fault is a split-brain write — the old primary kept accepting writes nobody will see.
    RPO = the newest lost write (or the fault, whichever is later) − the newest row the promoted writer holds.
    """
    on_promoted = {row.seq for row in promoted}
    newest = max(promoted, key=lambda row: row.seq) if promoted else None
    side = {row.seq: row for row in acknowledged}
    side.update({row.seq: row for row in old_primary or []})
    lost = [side[seq] for seq in sorted(side) if seq not in on_promoted]
    before = [row for row in acknowledged if row.written_at <= fault_at]
    last_before = before[-1] if before else None
    basis = (
        "canary rows on both sides: acknowledged by the old primary (writer log"
        + (" + its table)" if old_primary is not None else "; its table unreadable)")
        + " vs the promoted writer"
    )
    if newest is None:
        return RpoMeasurement(
            None,
            "no canary row visible after promotion",
            None,
            last_before,
            tuple(row.seq for row in lost),
            tuple(row.seq for row in lost if row.written_at > fault_at),
            lost[-1] if lost else None,
            0,
            None if old_primary is None else len(old_primary),
        )
    end = max([fault_at, *(row.written_at for row in lost)])
    seconds = max(0.0, round((end - newest.written_at).total_seconds(), 3))
    return RpoMeasurement(
        seconds,
        basis,
        newest,
        last_before,
        tuple(row.seq for row in lost),
        tuple(row.seq for row in lost if row.written_at > fault_at),
        lost[-1] if lost else None,
        len(promoted),
        None if old_primary is None else len(old_primary),
    )


def stop_state(data: dict[str, Any]) -> str:
    """What a drill left behind, from its journal: unchanged, fault-injected (not promoted) or promoted."""
    events = data.get("events") or {}
    if "promoteRequestedAt" in events:
        return "promoted"
    if "faultAt" in events:
        return "fault-injected"
    return "unchanged"


STATE_TEXT = {
    "unchanged": "nothing was changed",
    "fault-injected": "fault injected (primary health check inverted), replica NOT promoted",
    "promoted": "fault injected and the replica promoted: the DR instance is the writer",
}


def rpo_from_lag(lag_seconds: float | None) -> RpoMeasurement:
    if lag_seconds is None:
        return RpoMeasurement(None, "no canary and no ReplicaLag datapoint at the fault")
    return RpoMeasurement(float(lag_seconds), "CloudWatch ReplicaLag (max) at the fault — no canary configured")


def judge(objectives: dict[str, float | None], measured: dict[str, Any], stopped: bool = False) -> dict[str, Any]:
    """Objective vs measured for rto and rpo; a missing measurement fails its objective — and is "not run" when the
    run stopped before that phase (the report then says so instead of FAIL)."""
    out: dict[str, Any] = {}
    ok = True
    for key in ("rto", "rpo"):
        objective = objectives.get(f"{key}Seconds")
        value = measured.get(f"{key}Seconds")
        if objective is None:
            continue
        passed = value is not None and value <= objective
        ok = ok and passed
        out[key] = {"objectiveSeconds": objective, "measuredSeconds": value, "ok": passed}
        if value is None and stopped:
            out[key]["notRun"] = True
    out["ok"] = ok
    return out


# --- the journal --------------------------------------------------------------------------------------------


def bundle_dir(root: str | Path, stack: str, at: datetime) -> Path:
    return Path(root) / f"{stack}-{at.strftime('%Y%m%dT%H%M%SZ')}"


class EvidenceError(InputError):
    """The evidence directory cannot be used: a file in the way, not writable, not a journal (exit 2)."""


EVIDENCE_HINT = "pass --evidence-dir naming a directory you can write"


def _cannot_create(directory: Path, err: OSError) -> EvidenceError:
    """One line saying why `directory` (a bundle under --evidence-dir) could not be made."""
    root = directory.parent
    blocker = next((p for p in (directory, *directory.parents) if p.exists()), None)
    if blocker is not None and blocker != directory and not blocker.is_dir():
        where = f"evidence directory {root} is" if blocker == root else f"evidence directory {root}: {blocker} is"
        return EvidenceError(f"{where} a file, not a directory — {EVIDENCE_HINT}")
    if isinstance(err, FileExistsError):
        return EvidenceError(f"evidence directory {root}: {directory.name} already exists — run again a second later")
    return EvidenceError(f"evidence directory {root}: cannot write there ({err.strerror or err}) — {EVIDENCE_HINT}")


def _cannot_write(path: Path, err: OSError) -> EvidenceError:
    return EvidenceError(f"cannot write {path} ({err.strerror or err}) — free space or {EVIDENCE_HINT}")


class Evidence:
    """The evidence journal of one run; every mutation is followed by `save()` from the caller (runner)."""

    def __init__(self, directory: Path, data: dict[str, Any]) -> None:
        self.directory = directory
        self.data = data
        self._current: str | None = None

    @classmethod
    def create(
        cls,
        directory: Path,
        *,
        kind: str,
        stack: str,
        started_at: datetime,
        objectives: dict[str, float | None],
        context: dict[str, Any],
        objective_sources: dict[str, str] | None = None,
        phase_budget: dict[str, float] | None = None,
    ) -> Evidence:
        try:
            directory.mkdir(parents=True, exist_ok=False)
        except OSError as err:
            raise _cannot_create(directory, err) from err
        evidence = cls(
            directory,
            {
                "schema": SCHEMA,
                "kind": kind,
                "stack": stack,
                "startedAt": iso(started_at),
                "endedAt": None,
                "resumes": [],
                "context": context,
                "objectives": objectives,
                "objectiveSources": objective_sources or {},  # {rtoSeconds: "policy/config/stage.json (…)" | flag}
                "phaseBudget": phase_budget or {},  # RTO terms the recovery-budget policy assumes
                "events": {},
                "steps": [],
                "probes": [],
                "canary": {"written": [], "errors": []},
                "measured": {},
                "verdict": None,
                "nextSteps": [],
            },
        )
        evidence.save()
        return evidence

    @classmethod
    def load(cls, directory: Path) -> Evidence:
        path = directory / "evidence.json"
        try:
            data = json.loads(path.read_bytes().decode("utf-8"))
        except OSError as err:
            raise EvidenceError(f"--resume {directory}: cannot read {path.name} ({err.strerror or err})") from err
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
            raise EvidenceError(
                f"--resume {directory}: {path.name} is not an evidence journal ({type(err).__name__}) — "
                "name the bundle directory a drill wrote"
            ) from None
        if not isinstance(data, dict) or data.get("schema") != SCHEMA:
            found = f"schema {data.get('schema')!r}" if isinstance(data, dict) else f"a JSON {type(data).__name__}"
            raise EvidenceError(
                f"--resume {directory}: {path.name} is not an evidence journal ({found}) — name the bundle directory "
                "a drill wrote"
            )
        return cls(directory, data)

    @property
    def path(self) -> Path:
        return self.directory / "evidence.json"

    def save(self) -> None:
        tmp = self.path.with_suffix(".json.tmp")
        try:
            tmp.write_text(json.dumps(self.data, indent=2, sort_keys=False) + "\n")
            os.replace(tmp, self.path)  # atomic: a crash never leaves a half-written journal
        except OSError as err:
            raise _cannot_write(self.path, err) from err

    # steps
    def step(self, name: str) -> dict[str, Any] | None:
        return next((s for s in self.data["steps"] if s["name"] == name), None)

    def begin_step(self, name: str, title: str, at: datetime) -> dict[str, Any]:
        record = self.step(name)
        if record is None:
            record = {"name": name, "title": title, "attempts": 0, "apiCalls": [], "observations": []}
            self.data["steps"].append(record)
        elif record.get("startedAt"):  # a resumed attempt: the earlier one's timing and error stay beside it
            record.setdefault("previousAttempts", []).append(
                {k: record.get(k) for k in ("startedAt", "endedAt", "status", "error")}
            )
        record.update(status="running", startedAt=iso(at), endedAt=None, result=None, error=None)
        record["attempts"] += 1
        self._current = name
        return record

    def end_step(
        self, name: str, status: str, at: datetime, result: dict[str, Any] | None = None, error: str | None = None
    ) -> None:
        record = self.step(name)
        assert record is not None
        record.update(status=status, endedAt=iso(at), result=result, error=error)
        self._current = None

    def add_api_call(self, call: dict[str, Any], at: datetime) -> None:
        if self._current is not None:
            step = self.step(self._current)
            assert step is not None
            step["apiCalls"].append({"at": iso(at), **call})

    def observe(self, what: str, value: Any, at: datetime) -> None:
        if self._current is not None:
            step = self.step(self._current)
            assert step is not None
            step["observations"].append({"at": iso(at), "what": what, "value": value})

    # events, probes, measurements
    def event(self, name: str) -> datetime | None:
        return parse_iso(self.data["events"].get(name))

    def set_event(self, name: str, at: datetime) -> None:
        self.data["events"][name] = iso(at)

    def add_probe(self, at: datetime, status: int | None) -> None:
        self.data["probes"].append({"at": iso(at), "status": status})

    def finish(self, at: datetime, measured: dict[str, Any], verdict: dict[str, Any], next_steps: list[str]) -> None:
        self.data.update(endedAt=iso(at), measured=measured, verdict=verdict, nextSteps=next_steps)
        self.save()
        for name, write in (("report.md", write_report), ("timeline.png", write_timeline)):
            try:
                write(self.data, self.directory / name)
            except OSError as err:
                raise _cannot_write(self.directory / name, err) from err


# --- report.md ----------------------------------------------------------------------------------------------


def _result(entry: dict[str, Any]) -> str:
    if entry.get("notRun"):
        return "not run"
    return "pass" if entry["ok"] else "FAIL"


def _fmt_seconds(value: Any) -> str:
    if value is None:
        return "not measured"
    return f"{float(value):.3f} s" if float(value) < 10 else f"{float(value):.1f} s"


def write_report(data: dict[str, Any], path: Path) -> None:
    verdict = data.get("verdict") or {}
    lines = [
        f"# {data['kind'].capitalize()} evidence — {data['stack']}",
        "",
        f"Started {data['startedAt']}, ended {data.get('endedAt') or 'not finished'}."
        + (f" Resumed at {', '.join(data['resumes'])}." if data.get("resumes") else ""),
        "",
        f"**Result: {'PASS' if verdict.get('ok') else 'FAIL'}**"
        + (f" — stopped at {verdict['stoppedAt']}: {verdict.get('reason')}" if verdict.get("stoppedAt") else ""),
        "",
        "## Objectives vs measured",
        "",
        "| Objective | Target | Measured | Result |",
        "|---|---|---|---|",
    ]
    for key, label in (("rto", "RTO (fault → first good probe / write)"), ("rpo", "RPO (data-loss window)")):
        entry = verdict.get(key)
        if entry:
            lines.append(
                f"| {label} | ≤ {_fmt_seconds(entry['objectiveSeconds'])} | "
                f"{'not run' if entry.get('notRun') else _fmt_seconds(entry['measuredSeconds'])} | {_result(entry)} |"
            )
    if verdict.get("state"):
        lines += [
            "",
            "## State left behind",
            "",
            f"{STATE_TEXT.get(verdict['state'], verdict['state'])}. "
            + (f"Undo with `{verdict['undo']}`." if verdict.get("undo") else "Nothing to undo."),
        ]
    sources = data.get("objectiveSources") or {}
    if sources:
        lines += ["", "Objectives from: " + "; ".join(f"{k} — {v}" for k, v in sources.items()) + "."]
    measured = data.get("measured") or {}
    extra = {k: v for k, v in measured.items() if k not in ("rtoSeconds", "rpoSeconds", "rpo")}
    if extra:
        lines += ["", "## Other measurements", "", "| Measurement | Value |", "|---|---|"]
        lines += [f"| {k} | {v} |" for k, v in extra.items()]
    rpo = measured.get("rpo")
    if rpo:
        lines += [
            "",
            f"RPO basis: {rpo['basis']}. Canary rows lost: {rpo['lostRows']}"
            + (
                f" (seq {rpo['lostSeqs'][0]}–{rpo['lostSeqs'][-1]}, {rpo['lostWindowSeconds']} s of writes)"
                if rpo["lostSeqs"]
                else ""
            )
            + "."
            + (
                f" Of these, {rpo['splitBrainRows']} were acknowledged by the old primary AFTER the fault "
                f"(split brain: seq {rpo['splitBrainSeqs'][0]}–{rpo['splitBrainSeqs'][-1]})."
                if rpo.get("splitBrainRows")
                else ""
            )
            + (
                f" Rows on the old primary: {rpo['rowsOnOldPrimary']}; on the promoted writer: {rpo['rowsOnPromoted']}."
                if rpo.get("rowsOnOldPrimary") is not None
                else ""
            ),
        ]
    errors = (data.get("canary") or {}).get("errors") or []
    if errors:
        lines += ["", f"Canary write errors: {len(errors)}, first at {errors[0]['at']}: {errors[0]['error']}."]
    lines += [
        "",
        "## Steps",
        "",
        "| Step | Status | Started | Ended | Duration | API calls |",
        "|---|---|---|---|---|---|",
    ]
    for step in data["steps"]:
        duration = seconds_between(parse_iso(step.get("startedAt")), parse_iso(step.get("endedAt")))
        lines.append(
            f"| {step['title']} | {step['status']} | {step.get('startedAt') or ''} | "
            f"{step.get('endedAt') or ''} | {_fmt_seconds(duration) if duration is not None else ''} | "
            f"{len(step['apiCalls'])} |"
        )
        if step.get("error"):
            lines.append(f"| ↳ error | {step['error']} | | | | |")
        for n, earlier in enumerate(step.get("previousAttempts") or [], 1):
            duration = seconds_between(parse_iso(earlier.get("startedAt")), parse_iso(earlier.get("endedAt")))
            lines.append(
                f"| ↳ attempt {n} | {earlier.get('status')} | {earlier.get('startedAt') or ''} | "
                f"{earlier.get('endedAt') or ''} | {_fmt_seconds(duration) if duration is not None else ''} | "
                f"{earlier.get('error') or ''} |"
            )
    if data["events"]:
        lines += ["", "## Events", "", "| Event | At |", "|---|---|"]
        lines += [f"| {name} | {at} |" for name, at in data["events"].items()]
    lines += ["", "## Next steps", ""]
    lines += [f"- {text}" for text in data.get("nextSteps") or ["none"]]
    lines += [
        "",
        "Raw data: `evidence.json` (request ids per step, observations, probes, canary rows). "
        "Timeline: `timeline.png`.",
        "",
    ]
    path.write_text("\n".join(lines))


# --- timeline.png -------------------------------------------------------------------------------------------


ZOOM_SHARE = 0.05  # the recovery (fault → first good) spans under 5 % of the run: it gets its own zoomed panel
PROBE_ROW = "probes (HTTP)"
COLOURS = {"done": "#2b8a3e", "skipped": "#adb5bd", "failed": "#c92a2a", "running": "#e67700"}
EVENT_LINES = (
    ("faultAt", "#c92a2a", "fault injected"),
    ("promotedAt", "#1971c2", "replica promoted"),
    ("fencedAt", "#5f3dc4", "old primary fenced"),
    ("firstGoodProbeAt", "#2b8a3e", "first good probe"),
    ("firstGoodWriteAt", "#2b8a3e", "first write on promoted"),
)


def write_timeline(data: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = timeline_figure(data)
    fig.savefig(path, dpi=100, bbox_inches="tight")  # "tight": the legend sits outside the plot, and is kept
    plt.close(fig)


def timeline_figure(data: dict[str, Any]) -> Any:
    """The run as bars on a time axis: one labelled row per step (earlier attempts hatched beside the last), a
    labelled probe row, event lines, interruptions shaded and named, a stop marked, a legend outside the plot that
    covers nothing, and — when the recovery is short against the whole run — a second, zoomed panel of it."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    origin = parse_iso(data["startedAt"])
    assert origin is not None

    def t(text: str | None) -> float | None:
        moment = parse_iso(text)
        return None if moment is None else (moment - origin).total_seconds()

    steps = [s for s in data["steps"] if s.get("startedAt")]
    events = data.get("events") or {}
    fault, good = t(events.get("faultAt")), t(events.get("firstGoodProbeAt") or events.get("firstGoodWriteAt"))
    ends = [x for s in steps for x in (t(s.get("endedAt")), t(s.get("startedAt"))) if x is not None]
    total = max([*ends, t(data.get("endedAt")) or 0.0, 1.0])
    end_of_recovery = good if good is not None else t(events.get("promotedAt"))
    recovery = (fault, end_of_recovery) if fault is not None and end_of_recovery is not None else None
    zoom = recovery is not None and (recovery[1] - recovery[0]) < ZOOM_SHARE * total
    rows = 1.2 + 0.45 * (len(steps) + 1)
    fig, axes = plt.subplots(
        2 if zoom else 1, 1, figsize=(10, rows * (2 if zoom else 1)), squeeze=False, constrained_layout=True
    )
    panels = [axes[0][0], *([axes[1][0]] if zoom else [])]
    for panel, span in zip(panels, [total, *([recovery[1] - recovery[0]] if zoom and recovery else [])], strict=True):
        _draw(panel, data, steps, t, min_width=span * 0.004)  # a zero-length step is still a visible sliver
    main = panels[0]
    main.set_xlabel(f"seconds since {data['startedAt']}")
    verdict = data.get("verdict") or {}
    label = data["kind"] if data["kind"] == data["stack"] else f"{data['kind']} {data['stack']}"
    result = "PASS" if verdict.get("ok") else ("STOPPED" if verdict.get("stoppedAt") else "FAIL")
    main.set_title(f"{label} — {result}")
    if zoom and recovery is not None:
        start, end = recovery
        pad = max((end - start) * 0.25, 0.05)
        panels[1].set_xlim(start - pad, end + pad)
        panels[1].set_title(f"recovery, zoomed: {end - start:.3f} s from the fault")
        panels[1].set_xlabel(f"seconds since {data['startedAt']}")
    handles, labels = main.get_legend_handles_labels()
    unique = dict(zip(labels, handles, strict=True))
    if unique:
        main.legend(unique.values(), unique.keys(), loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    return fig


def _draw(ax: Any, data: dict[str, Any], steps: list[dict[str, Any]], t: Any, min_width: float) -> None:
    for row, step in enumerate(steps):
        for earlier in step.get("previousAttempts") or []:
            start, end = t(earlier.get("startedAt")) or 0.0, t(earlier.get("endedAt"))
            ax.barh(
                row,
                max((end if end is not None else start) - start, min_width),
                left=start,
                color="none",
                edgecolor=COLOURS.get(str(earlier.get("status")), "#495057"),
                hatch="//",
                label="earlier attempt",
            )
        start = t(step["startedAt"]) or 0.0
        end = t(step.get("endedAt"))
        ax.barh(
            row,
            max((end if end is not None else start) - start, min_width),
            left=start,
            color=COLOURS.get(step["status"], "#495057"),
            label=f"step {step['status']}",
        )
    probes = data.get("probes") or []
    probe_row = len(steps)
    labels = [s["name"] for s in steps] + ([PROBE_ROW] if probes else [])
    ax.set_yticks(range(len(labels)), labels)
    ax.invert_yaxis()
    for name, colour, text in EVENT_LINES:
        at = t((data.get("events") or {}).get(name))
        if at is not None:
            ax.axvline(at, color=colour, linestyle="--", linewidth=1, label=text)
    for gap_start, gap_end in interruptions(data):
        ax.axvspan(t(gap_start), t(gap_end), color="#868e96", alpha=0.25, hatch="xx", label="interrupted (resumed)")
    stopped = (data.get("verdict") or {}).get("stoppedAt")
    if stopped and data.get("endedAt"):
        ax.axvline(t(data["endedAt"]), color="#000000", linewidth=1.5, label=f"stopped at {stopped}")
    for good in (True, False):
        xs = [t(p["at"]) or 0.0 for p in probes if (p["status"] is not None and 200 <= p["status"] < 300) is good]
        if xs:
            ax.scatter(
                xs,
                [probe_row] * len(xs),
                marker="|",
                color="#2b8a3e" if good else "#c92a2a",
                label="probe 2xx" if good else "probe failed",
            )


def interruptions(data: dict[str, Any]) -> list[tuple[str, str]]:
    """(last moment recorded before the resume, the resume) for each resume: the time nobody was watching."""
    out = []
    for resumed in data.get("resumes") or []:
        at = parse_iso(resumed)
        moments = [
            moment
            for step in data["steps"]
            for record in (step, *(step.get("previousAttempts") or []))
            for key in ("startedAt", "endedAt")
            if (moment := parse_iso(record.get(key))) is not None and at is not None and moment < at
        ]
        if moments and at is not None:
            out.append((str(iso(max(moments))), resumed))
    return out
