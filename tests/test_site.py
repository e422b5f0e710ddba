"""`course site`: the fixture course with two versions of a lesson, published and walked.

One course is built once for the module (sphinx-gallery's tinybuild): lesson 01 at v1.3, a
bump with a change note in a git repository, one edited line, a second build (v1.3 goes to
legacy/), then `course site`, the command `make site` runs after the build.
"""

from __future__ import annotations

import html
import io
import re
import shlex
import shutil
import subprocess
import zipfile
from pathlib import Path
from urllib.parse import unquote, urlparse

import pdfplumber
import pytest
import yaml

from scripts.bump import bump_text
from scripts.config import CourseConfig
from scripts.lesson import LessonError, read_lesson
from scripts.site import _published_lessons, notebook_links, write_site, zip_name

from .conftest import FIXTURES, REPO, copy_course, has_chromium, run_build

CHROMIUM = has_chromium()
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no Chromium at /usr/bin/chromium or on the PATH (.ci/run installs Debian's "
    "`chromium` with apt); the site's link walk is skipped",
)
CHANGED_LINE = "values = [1, 2, 3, 4]  # MARK_CHANGED_LINE"
NOTE = 'Cubes became "fourth powers": see the exercise'
# Text only the solution cells hold: their code, and what they print.
SOLUTION_TEXT = ("MARK_SOLUTION", "OUT_SOLUTION", "v**3", "v**4")
RETIRED = "09_retired"  # a lesson only legacy/ holds: dropped from the course, still published
NOTES_TEXT = "MARK_NOTES"  # a speaker note of the fixture: the lecturer's, not the students'
STUDENT_FILES = ("student-slides.html", "worked.pdf", "student.pdf", "ipynb")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The published fixture course: 01 at v1.3 (archived) and v1.4, 02 at v2.0."""
    root = copy_course(tmp_path_factory.mktemp("site") / "course")
    (root / "sources" / "04_long_content.py").unlink()  # two lessons are enough here
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "v1.3")
    assert run_build(root, "build").returncode == 0
    bumped = run_build(root, "bump", "01", "--changes", NOTE)
    assert bumped.returncode == 0, bumped.stderr
    source = root / "sources" / "01_tag_table.py"
    text = source.read_text(encoding="utf-8").replace("values = [1, 2, 3]", CHANGED_LINE)
    source.write_text(text.replace("sum(v**3", "sum(v**4"), encoding="utf-8")
    _git(root, "commit", "-qam", "v1.4")
    assert run_build(root, "build").returncode == 0
    _retire(root, "01_tag_table/v1.3", RETIRED)  # a lesson dropped from the course
    published = run_build(root, "site")
    assert published.returncode == 0, published.stdout + published.stderr
    return root / "build" / "site"


def _retire(root: Path, archived: str, name: str) -> None:
    """legacy/<name>/v1.0 from an archived version, with no source left in sources/."""
    source = root / "legacy" / archived
    target = root / "legacy" / name / "v1.0"
    target.mkdir(parents=True)
    old_stem = f"{source.parent.name}_{source.name}"
    for path in source.iterdir():
        shutil.copy2(path, target / path.name.replace(old_stem, f"{name}_v1.0"))


def _git(root: Path, *args: str) -> None:
    command = ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@t", *args]
    subprocess.run(command, check=True)


# ---- what is there, and what is not ----


def test_site_has_a_page_and_the_artifacts_of_every_version(site):
    versions = {p.relative_to(site).as_posix() for p in site.glob("*/v*.html")}
    assert versions == {
        "01_tag_table/v1.3.html",
        "01_tag_table/v1.4.html",
        "02_second/v2.0.html",
        f"{RETIRED}/v1.0.html",
    }
    for stem in ("01_tag_table/01_tag_table_v1.3", "01_tag_table/01_tag_table_v1.4"):
        for suffix in STUDENT_FILES:
            assert (site / f"{stem}.{suffix}").is_file(), f"{stem}.{suffix}"
        assert not (site / f"{stem}.slides.html").exists()  # the lecturer's deck stays home


def test_site_ships_no_sources_manifests_cache_or_hidden_files(site):
    shipped = [p.relative_to(site).as_posix() for p in site.rglob("*")]
    leaks = [p for p in shipped if p.endswith(".py") or "/." in f"/{p}" or ".cache" in p]
    assert leaks == []


def test_site_holds_no_solution_text_outside_the_worked_pdfs(site):
    holders = sorted(name for name, text in _every_text(site) if _solution_in(text))
    assert [name for name in holders if not name.endswith(".worked.pdf")] == []
    # the scan reads what it must: the worked handouts do hold the solutions
    assert "01_tag_table/01_tag_table_v1.4.worked.pdf" in holders


def test_site_holds_no_speaker_notes(site):
    assert [name for name, text in _every_text(site) if NOTES_TEXT in text] == []


def test_student_deck_keeps_the_exercise_and_says_which_edition_it_is(site):
    deck = (site / "01_tag_table" / "01_tag_table_v1.4.student-slides.html").read_text("utf-8")
    assert "MARK_EXERCISE" in deck and "student edition, no solutions" in deck
    # and the lecturer's deck, built beside it, does hold what the student's leaves out
    built = site.parent / "01_tag_table" / "01_tag_table_v1.4.slides.html"
    lecturer = html.unescape(built.read_text(encoding="utf-8"))
    assert NOTES_TEXT in lecturer and "MARK_SOLUTION" in lecturer


def test_course_zip_holds_the_current_version_of_every_lesson(site):
    with zipfile.ZipFile(site / zip_name(CourseConfig())) as bundle:
        names = set(bundle.namelist())
    top = zip_name(CourseConfig()).removesuffix(".zip")
    expected = {
        f"{top}/{stem.split('_v')[0]}/{stem}.{suffix}"
        for stem in ("01_tag_table_v1.4", "02_second_v2.0")
        for suffix in STUDENT_FILES
    }
    assert names == expected


def test_a_lesson_no_longer_taught_keeps_its_pages_but_stays_out_of_the_zip(site):
    index = (site / "index.html").read_text(encoding="utf-8")
    assert "No longer taught" in index and f'href="{RETIRED}/v1.0.html"' in index
    page = (site / RETIRED / "v1.0.html").read_text(encoding="utf-8")
    assert "this lesson is no longer taught" in page
    assert (site / RETIRED / f"{RETIRED}_v1.0.student.pdf").is_file()
    with zipfile.ZipFile(site / zip_name(CourseConfig())) as bundle:
        assert not [name for name in bundle.namelist() if RETIRED in name]


def test_version_page_has_the_change_note_and_the_course_page_the_older_version(site):
    page = (site / "01_tag_table" / "v1.4.html").read_text(encoding="utf-8")
    assert "Cubes became &#34;fourth powers&#34;: see the exercise" in page
    index = (site / "index.html").read_text(encoding="utf-8")
    assert 'href="01_tag_table/v1.3.html"' in index


def test_no_colab_or_binder_link_without_a_repository(site):
    pages = [p.read_text(encoding="utf-8") for p in site.rglob("v*.html")]
    pages.append((site / "index.html").read_text(encoding="utf-8"))
    assert not [p for p in pages if "colab.research.google.com" in p or "mybinder.org" in p]
    assert not (site / "requirements.txt").exists()


def test_colab_and_binder_links_open_the_published_notebook(site, tmp_path):
    config = CourseConfig(repository="https://github.com/org/course")
    write_site(tmp_path / "site", _published_lessons(site.parent.parent), config)
    index = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    notebook = "01_tag_table/01_tag_table_v1.4.ipynb"
    assert f"https://colab.research.google.com/github/org/course/blob/gh-pages/{notebook}" in index
    assert f"https://mybinder.org/v2/gh/org/course/gh-pages?labpath={notebook}" in index
    pins = (tmp_path / "site" / "requirements.txt").read_text(encoding="utf-8")
    assert re.search(r"^torch==\d+\.\d+", pins, re.MULTILINE)


def test_with_a_base_url_each_page_names_its_address_and_a_sitemap_lists_them(site, tmp_path):
    config = CourseConfig(base_url="https://org.github.io/course/")
    write_site(tmp_path / "site", _published_lessons(site.parent.parent), config)
    page = (tmp_path / "site" / "01_tag_table" / "v1.3.html").read_text(encoding="utf-8")
    assert (
        '<link rel="canonical" href="https://org.github.io/course/01_tag_table/v1.3.html">' in page
    )
    listed = re.findall(r"<loc>([^<]+)</loc>", (tmp_path / "site" / "sitemap.xml").read_text())
    pages = sorted(
        p.relative_to(tmp_path / "site").as_posix() for p in (tmp_path / "site").glob("*/v*.html")
    )
    assert listed == ["https://org.github.io/course/"] + [
        f"https://org.github.io/course/{p}" for p in pages
    ]
    # without one, nothing claims an address (the fixture site has no base_url)
    assert "canonical" not in (site / "index.html").read_text(encoding="utf-8")
    assert not (site / "sitemap.xml").exists()


@pytest.mark.parametrize(
    "repository", ["", "https://gitlab.com/org/course", "https://github.com/org"]
)
def test_no_notebook_links_without_a_github_repository(site, repository):
    current = _published_lessons(site.parent.parent)[0][-1]
    assert notebook_links(CourseConfig(repository=repository), current) is None


def test_site_refuses_a_lesson_that_is_not_built(course_copy):
    done = run_build(course_copy, "site")
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "error: sources/01_tag_table.py:1: the lesson is not built; "
        "run `make site` (it builds first)"
    ]
    assert not (course_copy / "build" / "site").exists()


# ---- in Chromium, offline: every link on every page ----


@pytest.fixture(scope="module")
def walked(site, browser):
    return _walk(browser, site)


@needs_chromium
def test_every_link_on_every_page_works_offline(walked, site):
    assert walked["broken"] == []
    assert walked["requests"] == []
    assert walked["external"] == []  # no repository configured: no outside link at all
    # and the walk reached every file the site has (its style sheet is loaded, not linked)
    everything = {p for p in site.rglob("*") if p.is_file() and p.name != "style.css"}
    assert everything - walked["reached"] == set()


@needs_chromium
def test_diff_page_shows_the_changed_line(walked):
    diff = walked["diffs"]["01_tag_table/v1.4.html"]
    assert "+ " + CHANGED_LINE in diff["added"]
    assert "- values = [1, 2, 3]" in diff["removed"]
    assert not any(s in text for text in diff["all"] for s in SOLUTION_TEXT)


def _walk(browser, site: Path) -> dict:
    """Open the course page, then every page it links, transitively, with the network off."""
    context = browser.new_context(offline=True)
    found = {"broken": [], "requests": [], "external": [], "reached": set(), "diffs": {}}

    def only_files(route):
        if route.request.url.startswith(("file:", "data:")):
            route.continue_()
        else:
            found["requests"].append(route.request.url)
            route.abort()

    context.route("**/*", only_files)
    page = context.new_page()
    page.on("requestfailed", lambda r: found["broken"].append(f"{r.url} ({r.failure})"))
    queue, seen = [(site / "index.html").as_uri()], set()
    while queue:
        url = queue.pop()
        if url in seen:
            continue
        seen.add(url)
        page.goto(url)
        found["reached"].add(_path(url))
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)"):
            queue += _follow(href, url, found)
        if "/v" in url and url.endswith(".html"):
            found["diffs"][_path(url).relative_to(site).as_posix()] = _diff_text(page)
    context.close()
    return found


def _follow(href: str, page_url: str, found: dict) -> list[str]:
    """Check one link; return it when it is a page to open in turn."""
    target = href.split("#", 1)[0]
    if not target.startswith("file:"):
        found["external"].append(href)
        return []
    path = _path(target)
    if not path.is_file():
        found["broken"].append(f"{page_url} → {href}")
        return []
    found["reached"].add(path)
    return [target] if path.suffix == ".html" else []


def _path(url: str) -> Path:
    return Path(unquote(urlparse(url).path))


def _diff_text(page) -> dict:
    lines = "els => els.map(e => e.textContent)"
    return {
        "added": page.eval_on_selector_all(".changed .line.ins, .changed ins", lines),
        "removed": page.eval_on_selector_all(".changed .line.del, .changed del", lines),
        "all": page.eval_on_selector_all(".changed", lines),
    }


# ---- helpers: every file's text, zip members and PDFs included ----


def _every_text(site: Path):
    for path in sorted(site.rglob("*")):
        if path.is_file():
            yield from _texts(path.relative_to(site).as_posix(), path.read_bytes())


def _texts(name: str, data: bytes):
    if name.endswith(".zip"):
        with zipfile.ZipFile(io.BytesIO(data)) as bundle:
            for member in bundle.namelist():
                yield from _texts(f"{name}!{member}", bundle.read(member))
    elif name.endswith(".pdf"):
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            yield name, "\n".join(page.extract_text() or "" for page in pdf.pages)
    else:
        text = data.decode("utf-8", errors="replace")
        # HTML also as a reader sees it: highlighting splits code into spans, escaping hides quotes
        yield name, text + "\n" + html.unescape(re.sub(r"<[^>]+>", "", text))


def _solution_in(text: str) -> bool:
    return any(marker in text for marker in SOLUTION_TEXT)


# ---- the change note in the header, and `bump --changes` ----

HEADER_SOURCE = (FIXTURES / "course" / "sources" / "02_second.py").read_text(encoding="utf-8")


def test_bump_with_a_note_adds_it_after_the_date_and_the_lesson_reads_it(tmp_path):
    text, _, new = bump_text(HEADER_SOURCE, "minor", "2026-11-28", changes=NOTE)
    assert '#     date: "2026-11-28"\n#     changes: "Cubes became \\"fourth powers\\"' in text
    lesson = tmp_path / "02_second.py"
    lesson.write_text(text, encoding="utf-8")
    assert read_lesson(lesson).info.changes == NOTE


def test_next_bump_drops_the_outgoing_versions_note():
    noted, _, _ = bump_text(HEADER_SOURCE, "minor", "2026-11-28", changes="first note")
    again, _, _ = bump_text(noted, "minor", "2026-11-29")
    assert "changes:" not in again
    replaced, _, _ = bump_text(noted, "minor", "2026-11-29", changes="second note")
    assert replaced.count("changes:") == 1 and '"second note"' in replaced


def test_a_change_note_that_is_not_one_line_is_one_error(tmp_path):
    lesson = tmp_path / "02_second.py"
    bad = HEADER_SOURCE.replace("#     summary:", '#     changes: ["a", "b"]\n#     summary:')
    lesson.write_text(bad, encoding="utf-8")
    with pytest.raises(LessonError) as error:
        read_lesson(lesson)
    assert str(error.value) == (
        f"{lesson}:12: `lesson.changes` is ['a', 'b'], not one line of text; "
        'write it quoted on one line, e.g. changes: "Fixed the broadcasting example"'
    )


# ---- the Pages workflow: what can be checked without GitHub ----

WORKFLOW = REPO / ".github" / "workflows" / "pages.yml"


def _steps() -> list[dict]:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def test_workflow_runs_only_the_makefiles_targets():
    targets = set(re.findall(r"^([a-z]+):", (REPO / "Makefile").read_text(), re.MULTILINE))
    called = [t for s in _steps() for t in re.findall(r"\bmake ([a-z]+)", s.get("run", ""))]
    assert "site" in called
    assert set(called) <= targets


def test_makefile_site_target_builds_first_then_runs_the_site_command():
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^site: build\b.*\n\t\$\(COURSE\) site$", makefile, re.MULTILINE)


def test_make_bump_passes_the_change_note_as_typed():
    note = 'Fixed "x": it\'s $x^2$, not $$2x$$'
    done = subprocess.run(
        ["make", "-n", "-s", "bump", "LESSON=01", f"CHANGES={note}"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    command = shlex.split(done.stdout.strip().splitlines()[-1])
    assert command[-2:] == ["--changes", note]


def test_workflow_caches_the_folder_the_build_caches_executions_in(site):
    (cached,) = [
        s["with"]["path"] for s in _steps() if s.get("uses", "").startswith("actions/cache")
    ]
    course = site.parent.parent
    assert (course / cached).is_dir() and any((course / cached).iterdir())


def test_workflow_publishes_build_site():
    runs = "\n".join(s.get("run", "") for s in _steps())
    assert "build/site" in runs


def test_workflow_is_valid_yaml_with_a_trigger():
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    # YAML 1.1 reads the key `on` as True: GitHub reads it as the trigger
    assert workflow.get("on") or workflow.get(True)
