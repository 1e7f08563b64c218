"""What preflight learns beyond the plan: policy violations, the cost estimate and the recovery budget.

`PolicySession` is the seam the policy pack plugs into: `start()` launches the pack before the program
runs (so its start-up overlaps the run) and `analyze()` drives it over the Analyzer protocol. Until a pack
exists in the project, the session reports nothing and `cost`/`recovery` stay null.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from preflight.engine import Run


@dataclass(frozen=True)
class Violation:
    policy: str
    enforcement: str  # advisory | mandatory | remediate | disabled
    urn: str
    message: str

    @property
    def mandatory(self) -> bool:
        return self.enforcement == "mandatory"


@dataclass
class Analysis:
    violations: list[Violation] = field(default_factory=list)
    cost: dict[str, Any] | None = None
    recovery: dict[str, Any] | None = None

    @property
    def mandatory_violations(self) -> list[Violation]:
        return [v for v in self.violations if v.mandatory]


class PolicySession:
    """A running policy pack. This foundation version has no pack to run."""

    @classmethod
    def start(
        cls, *, project_dir: Path, stack: str, pack_dir: Path | None = None, config_file: Path | None = None
    ) -> PolicySession:
        return cls()

    def analyze(self, run: Run, stack_settings: Any) -> Analysis:
        return Analysis()

    def close(self) -> None:
        pass
