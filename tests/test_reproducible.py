"""Two clean builds of the same sources give byte-identical artifacts (README: what is promised)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from .conftest import copy_course, run_build

ARTIFACTS = ("*.slides.html", "*.student-slides.html", "*.worked.pdf", "*.student.pdf", "*.ipynb")


def artifact_hashes(build: Path) -> dict[str, str]:
    """sha256 of every artifact and the course page, by path inside build/."""
    files = [build / "index.html"] + [
        path for pattern in ARTIFACTS for path in build.glob(f"[0-9][0-9]_*/{pattern}")
    ]
    return {str(p.relative_to(build)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def test_rebuild_elsewhere_with_other_hash_seed_time_zone_and_jobs_is_byte_identical(
    tiny_course, tmp_path
):
    # The session's build ran with --jobs 2 and this process's (random) hash seed. This one
    # runs in another, deeper folder, serially, with a fixed seed, and in a time zone 14 hours
    # ahead of UTC, so a date taken from the clock would differ too.
    root = copy_course(tmp_path / "elsewhere" / "another name" / "course")
    env = {"PYTHONHASHSEED": "4242", "TZ": "Pacific/Kiritimati"}
    again = run_build(root, "build", "--jobs", "1", env=env)
    assert again.returncode == 0, again.stdout + again.stderr
    first, second = artifact_hashes(tiny_course.root / "build"), artifact_hashes(root / "build")
    assert len(first) == 1 + 5 * 3  # the course page and five artifacts for each of 3 lessons
    differing = sorted(name for name in first if first[name] != second.get(name))
    assert differing == [] and first.keys() == second.keys()
