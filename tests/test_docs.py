"""The documentation holds together: links resolve, the README stays short, generated sections are current.

Checked pages: README.md, docs/**/*.md, policy/README.md and ops/README.md. A relative link must name a file or
folder inside the repository; a `#anchor` must name a heading of the target page under GitHub's slug rules (or an
explicit `<a id="…">`). Links inside code spans and fenced code blocks are text, not links.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import settings

ROOT = settings.PROJECT_DIR
README_MAX_LINES = 250

FENCE = re.compile(r"^\s*(```|~~~)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
CODE_SPAN = re.compile(r"(`+)(.+?)\1")
# [text](target) and ![alt](target), with an optional "title"; the target is group 1.
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HTML_ANCHOR = re.compile(r"<a\s+(?:id|name)=\"([^\"]+)\"")
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def pages(root: Path = ROOT) -> list[Path]:
    found = [root / "README.md", root / "policy" / "README.md", root / "ops" / "README.md"]
    found += sorted((root / "docs").rglob("*.md"))
    return [p for p in found if p.is_file()]


def _prose_lines(text: str) -> list[tuple[int, str]]:
    """(line number, line) outside fenced code blocks."""
    out, fenced = [], False
    for number, line in enumerate(text.splitlines(), 1):
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            out.append((number, line))
    return out


def _heading_text(markdown: str) -> str:
    """What GitHub renders of a heading: code spans keep their text, links their label, emphasis goes."""
    text = CODE_SPAN.sub(lambda m: m.group(2), markdown)
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"<[^>]+>", "", text)
    return re.sub(r"(\*\*|__|\*|~~)", "", text)


def github_slug(heading: str) -> str:
    """GitHub's heading anchor: lower case, keep letters, marks, digits, `_`, `-` and spaces; spaces become `-`."""
    kept = "".join(
        ch for ch in _heading_text(heading).lower() if ch in " -_" or unicodedata.category(ch)[0] in ("L", "M", "N")
    )
    return kept.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every anchor a page offers: heading slugs (repeats get -1, -2, … as on GitHub) and explicit <a id>."""
    text = path.read_text(encoding="utf-8")
    seen: dict[str, int] = {}
    out: set[str] = set(HTML_ANCHOR.findall(text))
    for _, line in _prose_lines(text):
        m = HEADING.match(line)
        if not m:
            continue
        slug = github_slug(m.group(2))
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        out.add(slug if n == 0 else f"{slug}-{n}")
    return out


def links(path: Path) -> list[tuple[int, str]]:
    """(line number, target) of every link in the page's prose."""
    out = []
    for number, line in _prose_lines(path.read_text(encoding="utf-8")):
        prose = CODE_SPAN.sub("", line)
        out += [(number, target) for target in LINK.findall(prose)]
    return out


def broken_links(root: Path = ROOT) -> list[str]:
    """`page:line: target — why` for each relative link that does not resolve."""
    problems = []
    for page in pages(root):
        where = page.relative_to(root)
        for number, target in links(page):
            if SCHEME.match(target):  # https:, mailto: — not this repository's business
                continue
            file_part, _, anchor = target.partition("#")
            dest = (page.parent / file_part).resolve() if file_part else page
            if not dest.is_relative_to(root.resolve()):
                problems.append(f"{where}:{number}: {target} — points outside the repository")
            elif not dest.exists():
                problems.append(f"{where}:{number}: {target} — no such file")
            elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
                problems.append(f"{where}:{number}: {target} — no heading #{anchor} in {dest.relative_to(root)}")
    return problems


# --- the checker itself ---------------------------------------------------------------------------------------------


def test_github_slugs_drop_punctuation_and_code_marks_and_keep_underscores_and_repeated_hyphens():
    assert github_slug("Usage (exit 2)") == "usage-exit-2"
    assert github_slug("CI/CD") == "cicd"
    assert github_slug("Audit trail (`components/audit.py`)") == "audit-trail-componentsauditpy"
    assert github_slug("`rate_limit` and **Bot Control**") == "rate_limit-and-bot-control"
    assert github_slug("Deploy — by hand") == "deploy--by-hand"
    assert github_slug("See [the runbook](x.md) first") == "see-the-runbook-first"


def test_repeated_headings_get_numbered_anchors_and_explicit_anchors_count(tmp_path):
    page = tmp_path / "page.md"
    page.write_text('# Steps\n\n## Steps\n\n```\n# not a heading\n```\n\n<a id="failback"></a>Failback\n')
    assert anchors(page) == {"steps", "steps-1", "failback"}


def test_the_checker_reports_a_missing_file_a_missing_anchor_and_a_link_leaving_the_repository(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text("# Alpha\n")
    (tmp_path / "README.md").write_text(
        "[ok](docs/a.md#alpha) [gone](docs/b.md) [anchor](docs/a.md#beta) [out](../elsewhere.md)\n"
        "`[in code](docs/none.md)` [web](https://example.com/x.md)\n\n```\n[fenced](docs/none.md)\n```\n"
    )
    assert broken_links(tmp_path) == [
        "README.md:1: docs/b.md — no such file",
        "README.md:1: docs/a.md#beta — no heading #beta in docs/a.md",
        "README.md:1: ../elsewhere.md — points outside the repository",
    ]


# --- the repository's pages ------------------------------------------------------------------------------------------


def test_every_relative_link_and_anchor_in_the_docs_resolves():
    assert broken_links() == []


def test_the_readme_fits_in_250_lines():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").count("\n")
    assert lines <= README_MAX_LINES, f"README.md has {lines} lines; move reference material to docs/"


def test_the_readme_draws_both_regions_in_a_mermaid_diagram():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    diagrams = re.findall(r"^```mermaid\n(.*?)^```$", readme, flags=re.M | re.S)
    assert len(diagrams) == 1
    assert diagrams[0].startswith("flowchart ") and "us-east-1" in diagrams[0] and "us-west-2" in diagrams[0]


def test_the_config_reference_in_docs_is_generated_from_pulumi_yaml_and_the_stack_files():
    from settings import reference

    page = (ROOT / "docs" / "config-reference.md").read_text(encoding="utf-8")
    assert reference.block() in page, "docs/config-reference.md is stale: run `make config-reference`"


def test_make_config_reference_writes_the_docs_page():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    target = makefile.split("\nconfig-reference:", 1)[1].split("\n\n", 1)[0]
    assert "-m settings.reference --write docs/config-reference.md" in target


# Each procedure lives in exactly one runbook: its defining command appears in no other page.
PROCEDURES = {
    "aws rds promote-read-replica": "docs/runbooks/region-failover.md",
    "aws rds restore-db-instance-to-point-in-time": "docs/runbooks/point-in-time-restore.md",
    "restore create --from-backup": "docs/runbooks/velero-restore.md",
    "pulumi state unprotect": "docs/runbooks/dual-control-delete.md",
    "update-health-check --health-check-id": "docs/runbooks/dns-failover-test.md",
}


def test_each_procedure_is_written_out_in_exactly_one_runbook():
    where = {
        command: sorted(str(p.relative_to(ROOT)) for p in pages() if command in p.read_text(encoding="utf-8"))
        for command in PROCEDURES
    }
    assert where == {command: [runbook] for command, runbook in PROCEDURES.items()}
