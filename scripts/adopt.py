"""`make adopt NOTEBOOK=...`: make an existing notebook the course's next lesson.

A teacher arriving with a folder of notebooks should not have to learn the lesson format
before seeing a first deck. Adopting a notebook (an `.ipynb`, or any script Jupytext reads)
writes `sources/NN_slug.py` and brings along what the notebook leaned on:

- the header: the title from the notebook's title cell (which is then dropped: the build
  makes the title slide), else from its file name; a summary from its section headings;
  version 1.0, dated today;
- images: a pasted image (a cell attachment) becomes a file in `sources/figures/NN_slug/`,
  an image the notebook shows from its own folder is copied beside the lesson;
- data: each file the code names by a path from the notebook's folder (`"data/points.csv"`)
  is copied to the same path under `sources/`, so the code runs unchanged;
- cells: outputs, Colab and editor metadata are dropped; tags, slideshow (RISE) and alt
  text stay; Jupyter Book's `remove-input` and a hidden input become `hide-input`;
- prose: a Jupyter Book chapter's MyST directives and roles become CommonMark
  (scripts/myst.py).

Lines that only make sense in a notebook front end (`%matplotlib inline`, `%%time`,
`!pip install`, an Open-in-Colab badge) are dropped, each said. What adopting cannot fix
for the author is listed afterwards as `file:line: problem; fix`, with `make lint`'s own
findings. Nothing is written until every notebook has been read and every copy checked: an
existing file is never replaced by another, and the notebook itself is left as it was.
"""

from __future__ import annotations

import ast
import base64
import datetime
import importlib.util
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote, unquote, urlsplit

from .config import CourseConfig
from .course import refresh_readme
from .errors import CourseError, SettingError, shown
from .files import write_atomic
from .images import local_images
from .kernelfork import imported_names
from .lesson import read_cells
from .lessonfiles import named_files
from .lessons import Lessons
from .lint import RUFF_CHECK, lint_lesson
from .myst import commonmark
from .scaffold import lesson_header, next_number, slugify

KEPT_METADATA = ("tags", "slideshow", "alt", "steps")  # what sources/README.md gives meaning
SAME_TAGS = {"remove-input": "hide-input"}  # Jupyter Book's name for a tag of ours
SUMMARY_LINES = 8
# Line magics that only steer a notebook front end: a script runs the same without them.
FRONT_END_LINE = re.compile(
    r"^\s*%(matplotlib|config|load_ext|reload_ext|autoreload|precision|xmode)\b"
)
INSTALL_LINE = re.compile(r"^\s*[%!]\s*(pip|conda|mamba)\s+install\s+(?P<what>.*)$")
# Cell magics dropped with a note: the cell's Python runs as it is without them.
HARMLESS_CELL_MAGICS = {"time", "timeit", "capture"}
PROSE_CELL_MAGICS = {"markdown", "html", "latex"}  # the cell is prose: it becomes a prose cell
ADOPT_MARK = "# ADOPT:"  # a line adopting left for the author; things_to_fix lists each
BADGE = re.compile(r"colab-badge\.svg|mybinder\.org/badge|badge_logo\.svg", re.IGNORECASE)
# "Lab 3: ...", "Week 2 - ...": the old course's numbering, which NN replaces in the file name.
UNIT_PREFIX = re.compile(
    r"^\s*(lab|lecture|week|chapter|part|unit|session|module|tutorial|lesson|exercise|"
    r"practical|notebook|day)\s*\d+[a-z]?\s*[:.)\-\u2013\u2014]?\s+",
    re.IGNORECASE,
)
NOTEBOOK_LINK = re.compile(r"\]\(\s*<?(?![a-z][a-z0-9+.-]*:)([^)\s>#]+\.ipynb)\b", re.IGNORECASE)
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


@dataclass
class Adoption:
    """One notebook's lesson, before anything is written."""

    notebook: Path
    lesson: Path
    cells: list
    title: str
    summary: list[str]
    copies: dict[Path, bytes] = field(default_factory=dict)  # file to write: its bytes
    notes: list[str] = field(default_factory=list)  # what adopting changed, one line each
    lesson_text: str = ""
    raised: dict[int, str] = field(default_factory=dict)  # cell index: the error it last raised


def command_adopt(root: Path, config: CourseConfig, notebooks: list[Path], title: str | None):
    """Adopt each notebook as the next lesson; list what is left for the author to fix."""
    if title and len(notebooks) > 1:
        raise SettingError(
            "--title",
            f"names one lesson, but {len(notebooks)} notebooks are given",
            "adopt them one at a time, or leave the title out",
        )
    sources = root / "sources"
    adoptions = plan_adoptions(sources, notebooks, title, datetime.date.today())
    for adoption in adoptions:
        write_adoption(adoption)
        print(f"adopted {adoption.notebook} as {shown(adoption.lesson)}")
        for note in dict.fromkeys(adoption.notes):  # a line dropped from ten cells: said once
            print(f"  {note}")
    note = refresh_readme(root, config, Lessons.find(root))
    if note:
        print(note)
    cache = root / "build" / ".cache"
    findings = [f for a in adoptions for f in things_to_fix(a.lesson, cache, a.raised)]
    findings += _ruff_findings(root, [a.lesson for a in adoptions])
    findings.sort(key=_place)
    for finding in findings:
        print(finding)
    if any(" [*] " in finding for finding in findings):
        print("(`.venv/bin/ruff check --fix FILE` fixes the lines marked [*])")
    print(_next_steps(adoptions, len(findings)))
    return 0


def plan_adoptions(
    sources: Path, notebooks: list[Path], title: str | None, today: datetime.date
) -> list[Adoption]:
    """Every notebook read and turned into a lesson in memory, numbered from the next free
    number; CourseError before anything is written when one cannot be adopted."""
    number = next_number(sources)
    adoptions: list[Adoption] = []
    for notebook in notebooks:
        adoption = plan_adoption(sources, notebook, number, title, today)
        _check_copies(adoption, adoptions)
        _check_names(adoption, adoptions)
        adoptions.append(adoption)
        number += 1
    return adoptions


def plan_adoption(
    sources: Path, path: Path, number: int, title: str | None, today: datetime.date
) -> Adoption:
    notebook = read_notebook(path)
    notes: list[str] = []
    cells, raised = _plain_cells(notebook, notes)
    title, cells = _take_title(cells, notebook.metadata, path, title, notes)
    stem = f"{number:02d}_{slugify(UNIT_PREFIX.sub('', title)) or 'lesson'}"
    _check_new_name(sources, stem)
    summary = _summary(cells, notes)
    adoption = Adoption(path, sources / f"{stem}.py", cells, title, summary, notes=notes)
    adoption.raised = {_index_of(cells, cell): name for cell, name in raised}
    _bring_images(adoption, sources, stem)
    _bring_data(adoption, sources)
    _say_what_is_copied(adoption, sources)
    adoption.lesson_text = lesson_header(title, today, summary) + "\n" + _cells_text(cells)
    return adoption


def _plain_cells(notebook, notes: list[str]) -> tuple[list, list[tuple]]:
    """The cells a lesson keeps, and (cell, error name) for each that last ended in an error."""
    cells, raised = [], []
    for original in notebook.cells:
        cell = _plain_cell(original, notes)
        if cell:
            cells.append(cell)
            error = _first_error(original)
            if error:
                raised.append((cell, error))
    return cells, raised


def _say_what_is_copied(adoption: Adoption, sources: Path) -> None:
    new = sorted(p.relative_to(sources).as_posix() for p in adoption.copies if not p.exists())
    if new:
        adoption.notes.append(f"{len(new)} file(s) copied under sources/: {', '.join(new)}")
    if adoption.notebook.resolve().parent == sources.resolve():
        shown_path = shown(adoption.notebook)
        adoption.notes.append(f"then delete {shown_path}: the build takes no notebook in sources/")


def read_notebook(path: Path):
    """An `.ipynb`, or a script or markdown notebook Jupytext reads; a Python one only."""
    import jupytext
    import nbformat

    if not path.is_file():
        raise CourseError(str(path), "no such file", "give the path of a notebook (.ipynb)")
    try:
        if path.suffix == ".ipynb":
            notebook = nbformat.read(path, as_version=4)
        else:
            notebook = jupytext.read(path, fmt=_text_format(path))
    except Exception as error:  # JSON, nbformat or Jupytext: all say the file is unreadable
        raise CourseError(
            f"{path}:1",
            f"not a notebook Jupyter can read ({type(error).__name__}: {_first_line(error)})",
            "open it in Jupyter and save it again, or check that it is the right file",
        ) from error
    language = _language(notebook.metadata)
    if language not in ("", "python"):
        raise CourseError(
            f"{path}:1", f"a {language} notebook", "lessons are Python; adopt a Python notebook"
        )
    return notebook


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [""])[0]


def _text_format(path: Path) -> str | None:
    """MyST for a markdown file with `{code-cell}`s, whatever its header says (Jupyter Book
    writes its own header); else Jupytext's guess from the file."""
    if path.suffix == ".md" and "{code-cell}" in path.read_text(encoding="utf-8", errors="replace"):
        return "md:myst"
    return None


def write_adoption(adoption: Adoption) -> None:
    """The copies first, then the lesson: a lesson never points at a file not yet there."""
    for path, data in adoption.copies.items():
        if not path.exists():
            write_atomic(path, data)
    write_atomic(adoption.lesson, adoption.lesson_text)


def things_to_fix(lesson: Path, cache: Path, raised: dict[int, str] | None = None) -> list[str]:
    """`make lint`'s findings for the new lesson, the imports this course cannot run, the
    cells that raised an error when the notebook last ran, and links to other notebooks."""
    findings = [str(f) for f in lint_lesson(lesson, cache)]
    notebook, cell_lines = read_cells(lesson)
    findings += _missing_modules(lesson, notebook, cell_lines)
    findings += _raising_cells(lesson, cell_lines, raised or {})
    findings += _flagged_lines(lesson)
    return sorted(findings, key=_place)


def _place(finding: str) -> tuple[str, int]:
    """`file:line: ...` (or ruff's `file:line:column: ...`), for sorting."""
    file, line, _ = finding.split(":", 2)
    return file, int(line)


# Cells


def _plain_cell(cell, notes: list[str]):
    """The cell as a lesson keeps it, or None when nothing of it is left."""
    cell = cell.copy()
    cell.pop("id", None)  # nbformat makes new ids; Jupytext writes none
    cell.metadata = _kept_metadata(cell.metadata)
    if cell.cell_type == "code":
        cell.outputs, cell.execution_count = [], None
        cell = _without_front_end_lines(cell, notes)
    elif cell.cell_type == "markdown":
        cell.source = _from_myst(_without_badges(cell.source, notes), notes)
    if not cell.source.strip() and not cell.get("attachments"):
        return None
    return cell


def _kept_metadata(metadata: dict) -> dict:
    kept = {key: metadata[key] for key in KEPT_METADATA if key in metadata}
    tags = [SAME_TAGS.get(tag, tag) for tag in kept.get("tags", [])]
    if metadata.get("jupyter", {}).get("source_hidden"):
        tags.append("hide-input")  # the input folded away in JupyterLab
    if tags:
        kept["tags"] = list(dict.fromkeys(tags))
    return kept


def _without_front_end_lines(cell, notes: list[str]):
    lines = cell.source.splitlines()
    magic = re.match(r"^%%(\w+)", lines[0]) if lines else None
    if magic and magic[1] in HARMLESS_CELL_MAGICS:
        notes.append(f"dropped `{lines[0].strip()}` (a script runs the cell's code as it is)")
        lines = lines[1:]
    elif magic and magic[1] in PROSE_CELL_MAGICS:
        notes.append(f"a `{lines[0].strip()}` cell became a prose cell")
        del cell["outputs"], cell["execution_count"]
        cell.cell_type, cell.source = "markdown", "\n".join(lines[1:])
        return cell
    elif magic:
        return _commented_out(cell, lines, notes)
    kept = []
    for line in lines:
        install = INSTALL_LINE.match(line)
        if install:
            notes.append(
                f"dropped `{line.strip()}`: a lesson installs nothing; add "
                f"{install['what'].strip()} to pyproject.toml's dependencies if it needs it"
            )
        elif FRONT_END_LINE.match(line):
            notes.append(f"dropped `{line.strip()}` (it only steers Jupyter)")
        else:
            kept.append(line)
    cell.source = "\n".join(kept)
    return cell


def _commented_out(cell, lines: list[str], notes: list[str]):
    """A cell in another language (`%%bash`, `%%writefile`): kept, commented out, for the
    author to rewrite in Python (Jupytext escapes a `# %%bash` line, which would read as a
    cell marker)."""
    name = lines[0].split()[0]
    notes.append(f"a `{name}` cell is commented out: rewrite it in Python, or delete it")
    body = [f"# {line}" if line else "#" for line in lines]
    cell.source = "\n".join([f"{ADOPT_MARK} a `{name}` cell, commented out", *body])
    return cell


def _without_badges(source: str, notes: list[str]) -> str:
    lines = source.splitlines()
    kept = [line for line in lines if not BADGE.search(line)]
    if len(kept) == len(lines):
        return source
    notes.append("dropped an Open-in-Colab/Binder badge (the course page links Colab)")
    return "\n".join(kept).strip("\n")


def _first_error(cell) -> str | None:
    """The name of the error the cell's last run ended in, if it did."""
    errors = (o for o in cell.get("outputs", []) if o.output_type == "error")
    return next((o.get("ename", "an error") for o in errors), None)


def _index_of(cells: list, cell) -> int:
    return next(index for index, kept in enumerate(cells) if kept is cell)


def _from_myst(source: str, notes: list[str]) -> str:
    """Jupyter Book's notes, figures and references, as CommonMark (scripts/myst.py)."""
    text, left = commonmark(source)
    if text != source:
        notes.append("MyST directives and roles rewritten as CommonMark (notes, figures, refs)")
    notes += left
    return text


def _language(metadata: dict) -> str:
    name = metadata.get("kernelspec", {}).get("language") or metadata.get("language_info", {}).get(
        "name", ""
    )
    return str(name).lower()


# Title and summary


def _take_title(cells: list, metadata: dict, path: Path, given: str | None, notes: list[str]):
    """The lesson's title, and the cells without the title cell's heading."""
    heading = _title_heading(cells)
    if heading is not None:
        index, line, text = heading
        cells = _without_line(cells, index, line)
        if not given:
            return text, cells
    if given:
        return " ".join(given.split()), cells
    title = str(metadata.get("title") or "").strip() or _title_from_name(path)
    notes.append(f"title {title!r} taken from the file name: edit it in the header")
    return title, cells


def _title_heading(cells: list) -> tuple[int, int, str] | None:
    """The notebook's first `#` heading, if no code and no `##` section comes before it
    (a book's notebooks often open with a credits cell and a navigation cell)."""
    for index, cell in enumerate(cells):
        if cell.cell_type != "markdown":
            return None
        for line in _outside_fences(cell.source):
            match = HEADING.match(line)
            if match and len(match[1]) == 1 and _plain_text(match[2]):
                return index, cell.source.splitlines().index(line), _plain_text(match[2])
            if match:
                return None
    return None


def _without_line(cells: list, index: int, line: int) -> list:
    cell = cells[index].copy()
    lines = cell.source.splitlines()
    cell.source = "\n".join(lines[:line] + lines[line + 1 :]).strip("\n")
    rest = [cell] if cell.source.strip() else []
    return cells[:index] + rest + cells[index + 1 :]


def _title_from_name(path: Path) -> str:
    words = re.sub(r"^[\d\s._-]+", "", path.stem).replace("_", " ").replace("-", " ").split()
    return " ".join(words).capitalize() or path.stem


def _summary(cells: list, notes: list[str]) -> list[str]:
    """One line per section: the `##` headings, or the `#` ones where the notebook has no
    `##`; else the opening sentence of the first prose."""
    headings: dict[int, list[str]] = {1: [], 2: []}
    for cell in cells:
        if cell.cell_type != "markdown":
            continue
        for line in _outside_fences(cell.source):
            match = HEADING.match(line)
            if match and len(match[1]) in headings and _plain_text(match[2]):
                headings[len(match[1])].append(_plain_text(match[2]))
    sections = headings[2] or headings[1]
    if sections:
        notes.append(f"summary: the notebook's {len(sections)} section headings; edit them")
        return sections[:SUMMARY_LINES]
    notes.append("summary: the notebook has no section headings; write one line per topic")
    return [_first_sentence(cells) or "One short line per topic of the lesson"]


def _outside_fences(source: str) -> list[str]:
    """A cell's lines outside ``` fences (a `# comment` in a code sample is no heading)."""
    kept, fenced = [], False
    for line in source.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        elif not fenced:
            kept.append(line)
    return kept


def _first_sentence(cells: list) -> str:
    for cell in cells:
        if cell.cell_type == "markdown":
            text = _plain_text(" ".join(_outside_fences(cell.source)))
            if text:
                return re.split(r"(?<=[.!?])\s", text)[0][:100]
    return ""


def _plain_text(markdown: str) -> str:
    """A heading's words: no emphasis, code marks, links' targets, numbering or HTML."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", markdown)
    text = re.sub(r"<[^>]+>", "", text)
    text = re.sub(r"[*_`]+", "", text)
    text = re.sub(r"^\s*(\d+(\.\d+)*\.?|[IVX]+\.)\s+", "", text)
    return " ".join(text.split())


# Images and data


def _bring_images(adoption: Adoption, sources: Path, stem: str) -> None:
    """Attachments become files under figures/NN_slug/; an image beside the notebook is
    copied beside the lesson, at the same path when it can be."""
    figures = Path("figures") / stem
    for cell in adoption.cells:
        if cell.cell_type != "markdown":
            continue
        brought = set()
        for name, bundle in cell.pop("attachments", {}).items():
            relative = _attachment_file(figures, name, bundle, adoption, sources)
            brought.add(relative.as_posix())
            for written in {name, quote(name)}:
                cell.source = cell.source.replace(f"attachment:{written}", relative.as_posix())
        for image in local_images(cell.source):
            if image.src not in brought:
                _bring_image(adoption, cell, image.src, sources, figures)


def _attachment_file(figures: Path, name: str, bundle: dict, adoption, sources: Path) -> Path:
    mime, data = next(iter(bundle.items()))
    suffix = Path(name).suffix or "." + mime.split("/")[-1].split("+")[0]
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", Path(name).stem).strip("_") or "image"
    content = base64.b64decode(data) if isinstance(data, str) else bytes(data)
    return _free_path(adoption, sources, figures, f"{stem}{suffix.lower()}", content)


def _bring_image(adoption: Adoption, cell, src: str, sources: Path, figures: Path) -> None:
    written = unquote(urlsplit(src.strip()).path)
    folder = adoption.notebook.resolve().parent
    original = (folder / written).resolve()
    if not original.is_file():
        adoption.notes.append(f"image {src} not found beside the notebook: copy it in by hand")
        return
    data = original.read_bytes()
    same = Path(written)
    if original.is_relative_to(folder) and _may_copy(adoption, sources / same, data):
        adoption.copies[sources / same] = data
        return
    relative = _free_path(adoption, sources, figures, original.name, data)
    cell.source = cell.source.replace(src, relative.as_posix())


def _free_path(adoption: Adoption, sources: Path, folder: Path, name: str, data: bytes) -> Path:
    """`folder/name` under sources/, or `name-2`, ... when that holds other bytes."""
    stem, suffix = Path(name).stem, Path(name).suffix
    candidate, count = folder / name, 1
    while not _may_copy(adoption, sources / candidate, data):
        count += 1
        candidate = folder / f"{stem}-{count}{suffix}"
    adoption.copies[sources / candidate] = data
    return candidate


def _may_copy(adoption: Adoption, target: Path, data: bytes) -> bool:
    """Nothing is there yet, or the same bytes are."""
    planned = adoption.copies.get(target)
    if planned is not None:
        return planned == data
    return not target.exists() or (target.is_file() and target.read_bytes() == data)


def _bring_data(adoption: Adoption, sources: Path) -> None:
    """Each file the code names from the notebook's folder, to the same path under sources/;
    another file already there stops the adoption (the code names that path)."""
    folder = adoption.notebook.resolve().parent
    for relative in named_files(SimpleNamespace(cells=adoption.cells), folder):
        data = (folder / relative).read_bytes()
        target = sources / relative
        if not _may_copy(adoption, target, data):
            raise CourseError(
                f"sources/{relative}",
                f"already exists with other content, and {adoption.notebook} reads its own "
                f"{relative}",
                "rename one of the two (and the path in the notebook's code), then adopt again",
            )
        adoption.copies[target] = data


def _check_copies(adoption: Adoption, earlier: list[Adoption]) -> None:
    """Two notebooks adopted together that bring different files to one path."""
    for other in earlier:
        for path, data in adoption.copies.items():
            if other.copies.get(path, data) != data:
                raise CourseError(
                    f"sources/{path.relative_to(adoption.lesson.parent).as_posix()}",
                    f"{other.notebook} and {adoption.notebook} both bring a file here, "
                    "with different content",
                    "adopt them one at a time, renaming the file in the second",
                )


# The lesson's text


def _cells_text(cells: list) -> str:
    """The cells as a percent script (Jupytext writes them; the header is ours)."""
    import jupytext
    import nbformat

    notebook = nbformat.v4.new_notebook()
    notebook.cells = cells
    notebook.metadata = {"jupytext": {"notebook_metadata_filter": "-all"}}
    return jupytext.writes(notebook, fmt="py:percent")


def _missing_modules(lesson: Path, notebook, cell_lines: list) -> list[str]:
    """An import the course's Python cannot find: `make run` would stop there."""
    found = []
    for cell, (first, _) in zip(notebook.cells, cell_lines, strict=True):
        if cell.cell_type != "code":
            continue
        for line, module in _imports(cell.source):
            if importlib.util.find_spec(module) is None:
                found.append(
                    f"{shown(lesson)}:{first + line}: module {module!r} is not installed here; "
                    "use torch, numpy and matplotlib, or add it to pyproject.toml"
                )
    return found


def _raising_cells(lesson: Path, cell_lines: list, raised: dict[int, str]) -> list[str]:
    """A cell that ended in an error: the notebook showed it, a lesson runs to the end."""
    return [
        f"{shown(lesson)}:{cell_lines[index][0]}: this cell raised {name} when the notebook "
        f"last ran, and a lesson runs top to bottom; to show the error, catch it: "
        f"`try: ... except {name} as error: print(error)`"
        for index, name in sorted(raised.items())
    ]


def _ruff_findings(root: Path, lessons: list[Path]) -> list[str]:
    """What `make lint`'s ruff will say of the new lessons' code, one line each."""
    names = [lesson.relative_to(root).as_posix() for lesson in lessons]
    command = [*RUFF_CHECK, "--quiet", *names]
    done = subprocess.run(command, cwd=root, capture_output=True, text=True)
    return [line for line in done.stdout.splitlines() if line.strip()]


def _flagged_lines(lesson: Path) -> list[str]:
    """Lines left for the author: a commented-out cell, a link to another notebook."""
    found = []
    for number, line in enumerate(lesson.read_text(encoding="utf-8").splitlines(), start=1):
        where = f"{shown(lesson)}:{number}"
        if line.startswith(ADOPT_MARK):
            what = line[len(ADOPT_MARK) :].strip()
            found.append(f"{where}: {what}; rewrite it in Python, or delete the cell")
        names = NOTEBOOK_LINK.findall(line) if line.startswith("#") else []
        if names:
            found.append(
                f"{where}: a link to {', '.join(names)}, a notebook the course does not "
                "publish; point it at the lesson it became, or drop it"
            )
    return found


def _imports(source: str) -> list[tuple[int, str]]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []  # lint reports the line
    names = [
        (node.lineno, module.split(".")[0])
        for node in ast.walk(tree)
        for module in imported_names([node])  # [] for any node but an absolute import
    ]
    return [(line, name) for line, name in names if name not in sys.stdlib_module_names]


def _next_steps(adoptions: list[Adoption], findings: int) -> str:
    first = adoptions[0].lesson.stem[:2]
    fix = f"fix the {findings} line(s) above, then " if findings else ""
    return (
        f"next: {fix}`make run LESSON={first}` runs it as a script; `make watch` shows its "
        "slides as you edit (sources/README.md: the lesson format)"
    )


def _check_names(adoption: Adoption, earlier: list[Adoption]) -> None:
    """Two notebooks adopted together under one title."""
    for other in earlier:
        if other.lesson.name[3:] == adoption.lesson.name[3:]:
            raise CourseError(
                str(adoption.notebook),
                f"its title {adoption.title!r} is also {other.notebook}'s",
                'adopt them one at a time, giving the second another title with TITLE="..."',
            )


def _check_new_name(sources: Path, stem: str) -> None:
    same = sorted(sources.glob(f"[0-9][0-9]_{stem[3:]}.py"))
    if same:
        raise CourseError(
            f"{shown(same[0])}:1",
            "a lesson with this name already exists",
            'give the adopted lesson another title with TITLE="..."',
        )
