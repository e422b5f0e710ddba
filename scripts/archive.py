"""Version stamps and the archive: what was built, and moving an outgoing version into legacy/."""

from __future__ import annotations

import filecmp
import hashlib
import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .config import CourseConfig
from .files import write_atomic
from .lesson import Lesson, LessonError, header_line
from .toolprint import tool_fingerprint

MANIFEST = ".built.json"
SOURCE_COPY = ".source.py"
COMMITTED_VERSION = re.compile(rb'^#\s+version:\s*"(\d+\.\d+)"', re.MULTILINE)


class ArchiveError(LessonError):
    """Archiving would lose or overwrite a version; nothing was moved."""


def version_tuple(version: str) -> tuple[int, int]:
    """`1.10` → (1, 10), so that 1.10 sorts after 1.9."""
    major, minor = version.split(".")
    return int(major), int(minor)


@dataclass(frozen=True)
class Manifest:
    """What one build put in build/NN_slug/ (`.built.json`, written last, when all is there)."""

    lesson: str
    title: str
    version: str
    date: str
    summary: tuple[str, ...]
    artifacts: tuple[str, ...]
    source_sha: str  # the source the artifacts were built from
    tool: str  # tool_fingerprint() of the build that made them
    config: str = ""  # config_fingerprint() of the course's facts they show
    files: dict = field(default_factory=dict)  # files beside it shown or read: path → sha256

    @property
    def stem(self) -> str:
        return f"{self.lesson}_v{self.version}"


def config_fingerprint(config: CourseConfig) -> str:
    """A hash of the course's facts as the artifacts show them (the logo's bytes included)."""
    logo = config.logo.read_bytes() if config.logo else b""
    return _sha(repr(config).encode() + b"\0" + logo)


def read_manifest(out_dir: Path) -> Manifest | None:
    """What was last built into `out_dir`, or None when nothing (readable) was."""
    try:
        data = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
        manifest = Manifest(
            **{**data, "summary": tuple(data["summary"]), "artifacts": tuple(data["artifacts"])}
        )
        version_tuple(manifest.version)
        return manifest
    except Exception:  # missing, partial, or written by an older build: build again
        return None


def is_fresh(source: Path, out_dir: Path, config: CourseConfig) -> bool:
    """True when `out_dir` holds what this tool builds from this source for this course."""
    manifest = read_manifest(out_dir)
    if manifest is None or not source.is_file():
        return False
    return (
        manifest.source_sha == _sha(source.read_bytes())
        and manifest.tool == tool_fingerprint()
        and manifest.config == config_fingerprint(config)
        and all((out_dir / name).is_file() for name in manifest.artifacts)
        and not _files_changed(source.parent, manifest.files)
    )


def _files_changed(folder: Path, recorded: dict[str, str]) -> bool:
    """True when a file beside the lesson that it showed or read (scripts/images.py,
    scripts/lessonfiles.py) is gone or holds other bytes now: a lesson is rebuilt when only
    its diagram was redrawn or its data file edited."""
    for relative, digest in recorded.items():
        try:
            data = (folder / relative).read_bytes()
        except OSError:
            return True
        if _sha(data) != digest:
            return True
    return False


def publish(
    staging: Path,
    out_dir: Path,
    lesson: Lesson,
    config: CourseConfig,
    already: Sequence[str] = (),
) -> list[str]:
    """Move freshly built artifacts into place, then record them with those `already` moved
    there by this build (the deck, when `course watch` shows it first); returns their names."""
    out_dir.mkdir(parents=True, exist_ok=True)
    moved = sorted(p.name for p in staging.iterdir() if not p.name.startswith("."))
    for name in moved:
        os.replace(staging / name, out_dir / name)
    names = sorted({*moved, *already})
    source = lesson.source or lesson.info.path.read_bytes()  # what was built, not what is there now
    write_atomic(out_dir / SOURCE_COPY, source)
    info = lesson.info
    manifest = Manifest(
        lesson=info.name,
        title=info.title,
        version=info.version,
        date=info.date,
        summary=info.summary,
        artifacts=tuple(names),
        source_sha=_sha(source),
        tool=tool_fingerprint(),
        config=config_fingerprint(config),
        files=lesson.files,
    )
    text = json.dumps(asdict(manifest), indent=2) + "\n"
    write_atomic(out_dir / MANIFEST, text)  # last: marks success
    return names


def archive_outgoing(
    lesson: Lesson, root: Path, progress: Callable[[str, str], None], out_dir: Path | None = None
) -> None:
    """Move the artifacts of an older built version into legacy/NN_slug/vX.Y/, append-only."""
    info = lesson.info
    out_dir = out_dir or root / "build" / info.name
    manifest = read_manifest(out_dir)
    if manifest is None or manifest.version == info.version:
        return  # nothing built yet, or a draft of the same version
    old = manifest.version
    _refuse_downgrade(lesson, old)
    files = [out_dir / name for name in manifest.artifacts]
    files.append(out_dir / SOURCE_COPY)
    target = root / "legacy" / info.name / f"v{old}"
    _copy_into_legacy(lesson, files, target, old)
    for path in files + [out_dir / MANIFEST]:
        path.unlink(missing_ok=True)
    progress(info.name, f"archived v{old} → {target.relative_to(root)}")


def committed_outgoing_source(lesson: Lesson, root: Path) -> tuple[str, bytes, str] | None:
    """The newest committed source of this lesson with a lower version that legacy/ lacks:
    its version, its bytes and the commit (for the image files it shows, `committed_file`).

    A fresh clone has no build/ to archive from, so the outgoing version is rebuilt from the
    source git recorded for it (legacy/ keeps only versions already archived).
    """
    relative = lesson.info.path.resolve().relative_to(root.resolve()).as_posix()
    commits = _git(root, "log", "--format=%H", "-n", "50", "--", relative)
    current = version_tuple(lesson.info.version)
    for commit in (commits or b"").decode().split():
        source = _git(root, "show", f"{commit}:{relative}")
        match = COMMITTED_VERSION.search(source or b"")
        if not match or version_tuple(match.group(1).decode()) >= current:
            continue
        version = match.group(1).decode()
        if (root / "legacy" / lesson.info.name / f"v{version}").exists():
            return None
        return version, source, commit
    return None


def committed_file(root: Path, commit: str, relative: str) -> bytes | None:
    """A file of the course (path from its root) as `commit` recorded it; None if it did not."""
    return _git(root, "show", f"{commit}:{relative}")


def committed_listing(root: Path, commit: str, folder: str) -> list[str]:
    """Every file under `folder` (path from the course's root) that `commit` recorded."""
    listed = _git(root, "ls-tree", "-r", "--name-only", commit, "--", f"{folder}/")
    return (listed or b"").decode("utf-8", "replace").splitlines()


def _git(root: Path, *args: str) -> bytes | None:
    try:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None  # no git: nothing to recover from history
    return done.stdout if done.returncode == 0 else None


def archived_versions(root: Path, name: str) -> list[str]:
    """The versions of one lesson kept in legacy/, oldest first."""
    folder = root / "legacy" / name
    if not folder.is_dir():
        return []
    found = [p.name[1:] for p in folder.iterdir() if p.is_dir() and p.name.startswith("v")]
    return sorted((v for v in found if _is_version(v)), key=version_tuple)


def refuse_archived_version(lesson: Lesson, root: Path) -> None:
    """A lesson's version must be above every version in legacy/: the archive is append-only.

    Checked against legacy/ itself, not only against build/, so that it holds after
    `make clean` or on a fresh clone too.
    """
    archived = archived_versions(root, lesson.info.name)
    if not archived:
        return
    newest, version = archived[-1], lesson.info.version
    if version_tuple(version) > version_tuple(newest):
        return
    where = "already archived in" if version in archived else "lower than the newest in"
    raise ArchiveError(
        lesson.info.path,
        header_line(lesson.info.path, "version:"),
        f"version {version} is {where} legacy/{lesson.info.name}/ (newest: v{newest})",
        f"archived versions are never rebuilt; raise it above {newest} "
        f"(make bump LESSON={lesson.info.number})",
    )


def _refuse_downgrade(lesson: Lesson, old: str) -> None:
    new = lesson.info.version
    if version_tuple(new) < version_tuple(old):
        raise ArchiveError(
            lesson.info.path,
            header_line(lesson.info.path, "version:"),
            f"version {new} is lower than version {old} already built",
            f"raise the version above {old} (make bump LESSON={lesson.info.number})",
        )


def _copy_into_legacy(lesson: Lesson, files: list[Path], target: Path, old: str) -> None:
    archived_name = {f: _archived_name(lesson, f, old) for f in files}
    if target.exists():
        if _same_content(files, archived_name, target):
            return  # archived by an earlier, interrupted build: just finish the move
        raise ArchiveError(
            lesson.info.path,
            header_line(lesson.info.path, "version:"),
            f"legacy/{lesson.info.name}/v{old} already holds a different version {old} "
            f"(outgoing build of {old} differs; source now says {lesson.info.version})",
            "legacy/ is append-only: restore the archived files or bump to a new version",
        )
    partial = target.with_name(f".{target.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)  # left by an archive step that was killed
    partial.mkdir(parents=True)
    for path in files:
        shutil.copy2(path, partial / archived_name[path])
    os.rename(partial, target)  # atomic: legacy/ never shows a half-archived version


def _archived_name(lesson: Lesson, path: Path, old: str) -> str:
    return f"{lesson.info.name}_v{old}.py" if path.name == SOURCE_COPY else path.name


def _same_content(files: list[Path], names: dict, target: Path) -> bool:
    expected = sorted(names.values())
    present = sorted(p.name for p in target.iterdir())
    if expected != present:
        return False
    return all(filecmp.cmp(f, target / names[f], shallow=False) for f in files if f.exists())


def _is_version(text: str) -> bool:
    try:
        version_tuple(text)
    except ValueError:
        return False
    return True


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
