"""`course site`: build/site/, the course as a static web site, every version and what changed.

    build/site/index.html                 the course page: each lesson, current version first
    build/site/NN_slug/vX.Y.html          a page per version, current and archived, with the
                                          source diff against the version before it
    build/site/NN_slug/NN_slug_vX.Y.*     that version's deck, handouts and student notebook
    build/site/<course>.zip               the current versions, all in one download

The site is made from what the build published (build/NN_slug/, legacy/), never by building:
`make site` builds first. Only the four artifacts a student may have are copied; the sources,
manifests and the execution cache stay behind, and diffs never show a solution cell's code.
Every link is relative, so the site works from any web server and from file://.
"""

from __future__ import annotations

import hashlib
import html
import importlib.metadata
import os
import re
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

import jinja2
import jupytext

from . import archive
from .config import CourseConfig
from .course import ARTIFACTS, masthead
from .errors import CourseError
from .files import write_atomic
from .lessons import Lessons
from .lock import build_lock
from .sourcediff import SourceDiff, diff_sources

TEMPLATES = Path(__file__).resolve().parent / "templates" / "site"
GITHUB = re.compile(r"^https://github\.com/(?P<owner>[^/]+)/(?P<repo>[^/#?]+?)(?:\.git)?/?$")
SITE_BRANCH = "gh-pages"  # .github/workflows/pages.yml publishes build/site/ there
# What a lesson may import (sources/README.md, "Code"): Binder installs these to run them.
LESSON_PACKAGES = ("torch", "numpy", "matplotlib")
ZIP_TIME = (2020, 1, 1, 0, 0, 0)  # fixed, so the same course gives the same zip
LESSON_FOLDER = re.compile(r"^\d\d_[a-z0-9_]+$")  # legacy/NN_slug, as lessons are named
# What a student may have: the student deck (no solutions, no speaker notes) and not the
# lecturer's. A version archived before student decks existed is published without slides.
STUDENT_ARTIFACTS = tuple(
    ("student-slides.html", "Slides") if suffix == "student-slides.html" else (suffix, label)
    for suffix, label in ARTIFACTS
    if suffix != "slides.html"
)


@dataclass(frozen=True)
class Version:
    """One published version of a lesson: its facts, where its artifacts and source lie."""

    name: str  # NN_slug
    version: str
    title: str
    date: str
    summary: tuple[str, ...]
    changes: str
    folder: Path  # build/NN_slug or legacy/NN_slug/vX.Y
    source: Path  # what it was built from: compared with the next version's
    current: bool

    @property
    def stem(self) -> str:
        return f"{self.name}_v{self.version}"

    @property
    def page(self) -> str:
        """The version's page, relative to the site root."""
        return f"{self.name}/v{self.version}.html"

    def artifacts(self) -> list[tuple[str, str]]:
        """(file name, label) of the student-safe artifacts this version has, in course order."""
        names = [(f"{self.stem}.{suffix}", label) for suffix, label in STUDENT_ARTIFACTS]
        return [(name, label) for name, label in names if (self.folder / name).is_file()]


@dataclass(frozen=True)
class Links:
    """Where a student notebook opens online: Colab and Binder, from a GitHub repository."""

    colab: str
    binder: str


def command_site(root: Path, config: CourseConfig) -> int:
    """Write build/site/ from the built lessons and legacy/, in one step."""
    lessons = _published_lessons(root)
    retired = _retired_lessons(root, {versions[-1].name for versions in lessons})
    target = root / "build" / "site"
    with build_lock(root / "build", say=lambda line: print(line, flush=True)):
        staging = root / "build" / ".site.partial"
        shutil.rmtree(staging, ignore_errors=True)  # left by a site command that was killed
        write_site(staging, lessons, config, retired)
        _replace_folder(staging, target)
    versions = sum(len(v) for v in lessons + retired)
    also = f" (and {len(retired)} no longer taught)" if retired else ""
    print(
        f"build/site/: {len(lessons)} lessons{also}, {versions} versions; "
        f"open {target / 'index.html'}"
    )
    print("  or serve it: python -m http.server -d build/site (README, Publishing)")
    if config.repository and _github(config) is None:
        print("  no Colab or Binder links: `repository` is not a https://github.com/ URL")
    return 0


def write_site(
    target: Path,
    lessons: list[list[Version]],
    config: CourseConfig,
    retired: list[list[Version]] | None = None,
) -> None:
    """Every page, artifact and the zip of one site, into `target`.

    `retired` lessons (in legacy/ only) get their version pages but stay out of the zip.
    """
    retired = retired or []
    pages = _templates()
    context = {"config": config, "masthead": masthead(config), "zip_name": zip_name(config)}
    for versions in lessons + retired:
        _write_lesson(target, versions, pages.get_template("version.html.j2"), context)
    current = [versions[-1] for versions in lessons]
    index = pages.get_template("course.html.j2").render(
        context,
        lessons=lessons,
        retired=retired,
        links={v.name: notebook_links(config, v) for v in current},
        canonical=published_url(config, ""),
    )
    if config.base_url:
        pages_list = ["", *(v.page for versions in lessons + retired for v in versions)]
        write_atomic(target / "sitemap.xml", sitemap(config, pages_list))
    write_atomic(target / "index.html", index)
    write_atomic(target / "style.css", (TEMPLATES / "style.css").read_bytes())
    _write_zip(target / zip_name(config), current, zip_name(config).removesuffix(".zip"))
    if _github(config):
        write_atomic(target / "requirements.txt", binder_requirements())


def _write_lesson(target: Path, versions: list[Version], template, context: dict) -> None:
    """Each version's artifacts and page, its diff made against the version before it."""
    previous = None
    for version in versions:
        _copy_artifacts(version, target / version.name)
        page = template.render(
            context,
            lesson=versions,
            this=version,
            previous=previous,
            diff=_diff(previous, version),
            links=notebook_links(context["config"], version),
            canonical=published_url(context["config"], version.page),
        )
        write_atomic(target / version.page, page)
        previous = version


def published_url(config: CourseConfig, page: str) -> str:
    """Where a page of the site lives once published (`base_url`), or "" when that is not set.

    Links inside the site stay relative (they work from file://); this absolute address is
    only for search engines and shared links: each page's canonical link and the sitemap.
    """
    if not config.base_url:
        return ""
    return config.base_url.rstrip("/") + "/" + page


def sitemap(config: CourseConfig, pages: list[str]) -> str:
    """sitemap.xml (sitemaps.org) of the published pages, so a search engine finds each version."""
    urls = "".join(
        f"  <url><loc>{html.escape(published_url(config, page))}</loc></url>\n" for page in pages
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"{urls}</urlset>\n"
    )


def notebook_links(config: CourseConfig, version: Version) -> Links | None:
    """Colab and Binder links for a version's notebook, or None (no GitHub repository set).

    Both open the notebook from the branch the Pages workflow publishes the site to.
    """
    github = _github(config)
    if github is None:
        return None
    owner, repo = github
    path = f"{version.name}/{version.stem}.ipynb"
    return Links(
        colab=f"https://colab.research.google.com/github/{owner}/{repo}/blob/{SITE_BRANCH}/{path}",
        binder=f"https://mybinder.org/v2/gh/{owner}/{repo}/{SITE_BRANCH}?labpath={path}",
    )


def binder_requirements() -> str:
    """What Binder installs: the lesson packages at the versions the build ran them with."""
    pins = []
    for package in LESSON_PACKAGES:
        version = importlib.metadata.version(package).split("+")[0]  # 2.13.0+cpu → 2.13.0
        pins.append(f"{package}=={version}")
    lines = [
        "# generated by `course site`, do not edit",
        "--extra-index-url https://download.pytorch.org/whl/cpu",  # CPU torch: a small image
        *pins,
    ]
    return "\n".join(lines) + "\n"


def zip_name(config: CourseConfig) -> str:
    """The course download's file name, from its title: `pytorch-fundamentals.zip`."""
    slug = re.sub(r"[^a-z0-9]+", "-", config.title.lower()).strip("-")
    return f"{slug or 'course'}.zip"


def _published_lessons(root: Path) -> list[list[Version]]:
    """Each lesson's versions, oldest first; every lesson must be built and up to date."""
    lessons = Lessons.find(root)
    lessons.check()
    published = []
    for path in lessons.paths:
        out_dir = root / "build" / path.stem
        manifest = archive.read_manifest(out_dir)
        if manifest is None or not _built_from(manifest, path):
            state = "is not built" if manifest is None else "changed since it was built"
            raise CourseError(
                f"sources/{path.name}:1", f"the lesson {state}", "run `make site` (it builds first)"
            )
        older = archive.archived_versions(root, path.stem)
        published.append(
            [*(_archived(root, path.stem, v) for v in older), _current(out_dir, manifest)]
        )
    if not published:
        raise CourseError("sources/", "there are no lessons", "write one first: make new TITLE=...")
    return published


def _retired_lessons(root: Path, taught: set[str]) -> list[list[Version]]:
    """Lessons with versions in legacy/ but no source any more, oldest version first.

    A lesson dropped from the course stays published: students of an earlier term may still
    follow links to it, and legacy/ is the record of what was taught.
    """
    legacy = root / "legacy"
    names = sorted(p.name for p in legacy.iterdir() if p.is_dir()) if legacy.is_dir() else []
    retired = []
    for name in names:
        versions = archive.archived_versions(root, name)
        if name not in taught and LESSON_FOLDER.match(name) and versions:
            retired.append([_archived(root, name, v) for v in versions])
    return retired


def _built_from(manifest: archive.Manifest, source: Path) -> bool:
    """True when the built artifacts come from the source as it is now.

    Only the source counts, not the tool's fingerprint: a change to the site's own templates
    must not send every lesson back through the build.
    """
    return manifest.source_sha == hashlib.sha256(source.read_bytes()).hexdigest()


def _current(out_dir: Path, manifest: archive.Manifest) -> Version:
    source = out_dir / archive.SOURCE_COPY
    return Version(
        name=manifest.lesson,
        version=manifest.version,
        title=manifest.title,
        date=manifest.date,
        summary=manifest.summary,
        changes=str(_header(source).get("changes") or ""),
        folder=out_dir,
        source=source,
        current=True,
    )


def _archived(root: Path, name: str, version: str) -> Version:
    folder = root / "legacy" / name / f"v{version}"
    source = folder / f"{name}_v{version}.py"
    header = _header(source)
    return Version(
        name=name,
        version=version,
        title=str(header.get("title") or name),
        date=str(header.get("date") or ""),
        summary=tuple(str(s) for s in header.get("summary") or ()),
        changes=str(header.get("changes") or ""),
        folder=folder,
        source=source,
        current=False,
    )


def _header(source: Path) -> dict:
    """The `lesson:` header of a source; empty when the source is missing (archived by hand)."""
    if not source.is_file():
        return {}
    notebook = jupytext.reads(source.read_text(encoding="utf-8"), fmt="py:percent")
    return dict(notebook.metadata.get("lesson") or {})


def _diff(previous: Version | None, version: Version) -> SourceDiff | None:
    if previous is None or not previous.source.is_file() or not version.source.is_file():
        return None
    old = previous.source.read_text(encoding="utf-8")
    return diff_sources(old, version.source.read_text(encoding="utf-8"))


def _copy_artifacts(version: Version, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, _ in version.artifacts():
        shutil.copy2(version.folder / name, folder / name)


def _write_zip(path: Path, current: list[Version], top: str) -> None:
    """The current version of every lesson in one zip, `top/NN_slug/<artifacts>`."""
    partial = path.with_name(f".{path.name}.part")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for version in current:
            for name, _ in version.artifacts():
                entry = zipfile.ZipInfo(f"{top}/{version.name}/{name}", date_time=ZIP_TIME)
                entry.compress_type = zipfile.ZIP_DEFLATED
                entry.external_attr = 0o644 << 16
                bundle.writestr(entry, (version.folder / name).read_bytes())
    os.replace(partial, path)


def _github(config: CourseConfig) -> tuple[str, str] | None:
    match = GITHUB.match(config.repository)
    return (match["owner"], match["repo"]) if match else None


def _templates() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,  # a typo in a template fails loudly, not blank
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _replace_folder(staging: Path, target: Path) -> None:
    """Swap the new site in: the old one is moved aside first, then removed."""
    old = target.with_name(".site.old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        os.rename(target, old)
    os.rename(staging, target)
    shutil.rmtree(old, ignore_errors=True)
