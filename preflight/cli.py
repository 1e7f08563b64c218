"""`python -m preflight`: an offline `pulumi preview` — plan, policy violations, cost and recovery budget.

Exit codes: 0 ok; 1 a mandatory policy violation; 2 usage or configuration error (one line on stderr,
nothing recorded).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

import settings
from preflight import diff, render
from preflight.analysis import Analysis, PolicySession
from preflight.diff import EXIT_USAGE, UsageParser
from preflight.engine import ProgramError, run_program
from settings import ConfigError
from settings.schema import MAX_MESSAGE_CHARS, one_line

EXIT_OK, EXIT_VIOLATION = 0, 1


def build_parser() -> argparse.ArgumentParser:
    p = UsageParser(
        prog="python -m preflight",
        description=(
            "Offline preview: run the Pulumi program for a stack under Pulumi's mock engine (no cloud, no CLI), "
            "list every resource it would create, run the CrossGuard policy pack over the Analyzer protocol, "
            "and report cost and recovery budgets."
        ),
        epilog="Exit codes: 0 ok, 1 mandatory policy violation, 2 usage or configuration error.",
    )
    p.add_argument("--stack", required=True, help="stack name; reads Pulumi.<stack>.yaml next to Pulumi.yaml")
    p.add_argument(
        "--program",
        type=Path,
        default=None,
        help="directory of the Pulumi Python program to run (default: the project root); "
        "it runs with the chosen stack's config and sees this process's environment",
    )
    p.add_argument("--config", type=Path, default=None, help="stack config file to use instead of Pulumi.<stack>.yaml")
    p.add_argument(
        "--format", choices=("text", "json"), default="text", help="text (a tree, like pulumi preview) or json"
    )
    p.add_argument(
        "--policy-pack",
        type=Path,
        default=None,
        help="policy pack directory (default: policy/ of the project, when present)",
    )
    p.add_argument(
        "--policy-pack-config",
        type=Path,
        default=None,
        help="policy config JSON (default: policy/config/<stack>.json)",
    )
    p.add_argument("--no-policy", action="store_true", help="skip the policy pack (plan only)")
    p.add_argument(
        "--drill-evidence",
        type=Path,
        default=None,
        metavar="DIR",
        help="the newest finished drill of the stack under DIR (a bundle or ops drill's --evidence-dir): its "
        "measured promotion, DNS and reconnect times replace the recovery budget's estimates (default: "
        "recovery-budget.drillEvidenceDir in the policy config, relative to that file; none when unset)",
    )
    return p


def _fail(message: str) -> int:
    # ConfigError lines are one line already; a program's own exception text may not be.
    print(f"preflight: {one_line(message, MAX_MESSAGE_CHARS)}", file=sys.stderr)
    return EXIT_USAGE


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "diff":
        return diff.main(argv[1:])
    args = build_parser().parse_args(argv)
    project_dir = settings.PROJECT_DIR
    program_dir = (args.program or project_dir).resolve()
    if args.program is not None and not (program_dir / "__main__.py").is_file():
        return _fail(f"--program {args.program}: no __main__.py in that directory")

    try:
        stack_settings, raw = settings.load_files(args.stack, project_dir, args.config)
    except ConfigError as e:
        return _fail(str(e))
    warning = settings.override_warning(stack_settings)
    if warning:
        print(f"preflight: warning: {warning}", file=sys.stderr)

    drill = None
    if args.drill_evidence is not None or not args.no_policy:
        from preflight.drill_evidence import configured_directory, newest_drill

        try:
            if args.drill_evidence is not None:
                drill = newest_drill(args.drill_evidence, args.stack)
            else:  # the policy config's recovery-budget.drillEvidenceDir, when it names one
                config_file = args.policy_pack_config or project_dir / "policy" / "config" / f"{args.stack}.json"
                configured = configured_directory(config_file) if config_file.is_file() else None
                if configured is not None:
                    drill = newest_drill(configured[0], args.stack, configured[1])
        except ConfigError as e:
            return _fail(str(e))

    session: PolicySession | None = None
    try:
        if not args.no_policy:
            # Start the pack first: its start-up overlaps the program run.
            session = PolicySession.start(
                project_dir=project_dir,
                stack=args.stack,
                pack_dir=args.policy_pack,
                config_file=args.policy_pack_config,
            )
        run = run_program(
            program_dir,
            project=settings.PROJECT,
            stack=args.stack,
            config=raw.as_engine_config(),
            secret_keys={f"{settings.PROJECT}:{k}" for k in raw.secret_keys},
            env=dict(os.environ),
        )
        analysis = session.analyze(run, stack_settings) if session else Analysis()
        if drill is not None and analysis.recovery:
            from policy.recovery import apply_drill

            analysis.recovery = apply_drill(analysis.recovery, *drill)
    except ConfigError as e:
        return _fail(str(e))
    except ProgramError as e:
        return _fail(str(e))
    finally:
        if session is not None:
            session.close()

    if args.format == "json":
        print(json.dumps(render.as_json(run, analysis), indent=2, sort_keys=False))
    else:
        print(render.as_text(run, analysis, program_dir))
    return EXIT_VIOLATION if analysis.mandatory_violations else EXIT_OK


def entrypoint() -> NoReturn:
    try:
        code = main()
    except KeyboardInterrupt:
        code = 130
    sys.exit(code)
