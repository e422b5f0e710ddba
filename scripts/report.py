"""What happened to each lesson in a build, and the summary table printed at the end."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class LessonResult:
    """One lesson's outcome: for the summary table and the exit code."""

    path: Path
    name: str
    version: str = ""
    built: list[str] = field(default_factory=list)
    seconds: float = 0.0
    executed: bool = False
    slides: int = 0
    error: str = ""
    warnings: list[str] = field(default_factory=list)
    skipped: bool = False


def print_summary(results: list[LessonResult], seconds: float) -> None:
    """The table of lessons, what was built and how long it took; failures first."""
    ordered = sorted(results, key=lambda r: (not r.error, r.path.name))
    print("\nSummary")
    print(f"  {'lesson':<34} {'version':<8} {'status':<10} {'time':>6}  built")
    for r in ordered:
        status = "FAILED" if r.error else ("up to date" if r.skipped else "built")
        made = "-" if r.skipped or r.error else ", ".join(_short(n) for n in r.built)
        print(f"  {r.name:<34} {r.version or '?':<8} {status:<10} {r.seconds:>5.1f}s  {made}")
    for r in ordered:
        for warning in r.warnings:
            print(f"warning: {warning}")
    failed = [r for r in ordered if r.error]
    for r in failed:
        print(f"error: {r.error}", file=sys.stderr)
    if results and all(r.skipped for r in results):
        print("Nothing to do: every lesson is up to date.")
    print(
        f"{len(results) - len(failed)} of {len(results)} lesson(s) ok in {seconds:.1f}s"
        + (f"; {len(failed)} failed" if failed else "")
    )


def _short(name: str) -> str:
    """`02_x_v1.2.worked.pdf` → `worked.pdf`."""
    return name.split("_v", 1)[-1].split(".", 2)[-1]


def write_report(path: Path, results: list[LessonResult]) -> None:
    """The results as JSON, for a program that drives the build (watch.py)."""
    entries = [
        {
            "lesson": r.name,
            "version": r.version,
            "error": r.error,
            "warnings": r.warnings,
            "built": r.built,
            "skipped": r.skipped,
        }
        for r in results
    ]
    path.write_text(json.dumps({"lessons": entries}, indent=2) + "\n", encoding="utf-8")


def read_report(path: Path) -> dict[str, str]:
    """Each lesson of a report with its error ("" when it built); {} when there is none."""
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))["lessons"]
    except (OSError, ValueError, KeyError):
        return {}
    return {entry["lesson"]: entry["error"] for entry in entries}
