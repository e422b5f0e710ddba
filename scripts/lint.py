"""The lesson checker behind `make lint`: the rules of sources/README.md, one finding per line."""

from __future__ import annotations

import ast
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

from . import alttext, checks, images, myst
from .config import CourseConfig
from .course import readme_table, replace_between_markers
from .errors import CourseError
from .lesson import (
    KNOWN_TAGS,
    MAGIC_LINE,
    LessonError,
    header_end,
    read_cells,
    read_lesson,
    shown,
    tag_advice,
)
from .lessonfiles import named_files
from .lessons import Lessons
from .sanitize import UNSAFE_FIX, sanitize_markdown

# sources/README.md: "No cell should print more than about 15 lines" (the deck cuts later).
SLIDE_OUTPUT_LINES = 15
# ruff's line length, checked here for lessons so that a `# %%` line may carry a long alt text.
LINE_LENGTH = 100
RUFF_TARGETS = ("scripts", "tests", "sources")
RUFF_CHECK = [
    sys.executable,
    "-m",
    "ruff",
    "check",
    "--output-format=concise",
]  # the course's config

# Calls that fix a random state: torch.manual_seed, Generator().manual_seed, np.random.seed.
TORCH_SEEDS = {"manual_seed", "manual_seed_all"}
# torch functions that draw from the global (or a passed) generator.
TORCH_DRAWS = {
    "rand", "rand_like", "randn", "randn_like", "randint", "randint_like", "randperm",
    "normal", "bernoulli", "multinomial", "poisson",
}  # fmt: skip
# Tensor methods and torch.nn.init functions that fill a tensor with random numbers.
FILLING_DRAWS = {
    "normal_", "uniform_", "bernoulli_", "random_", "exponential_", "cauchy_", "log_normal_",
    "geometric_", "bernoulli", "multinomial", "xavier_uniform_", "xavier_normal_",
    "kaiming_uniform_", "kaiming_normal_", "trunc_normal_", "orthogonal_", "sparse_",
}  # fmt: skip
# numpy.random names that make a generator (seeded by their argument) rather than draw.
NUMPY_GENERATORS = {"default_rng", "RandomState"}
NUMPY_NOT_DRAWS = {"seed", "Generator", "SeedSequence", "BitGenerator", "PCG64", "MT19937"}


@dataclass(frozen=True, order=True)
class Finding:
    """One problem, printed as `file:line: message`."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


def lint_lesson(path: Path, cache_dir: Path) -> list[Finding]:
    """Every finding for one lesson source, in line order."""
    where = shown(path)
    try:
        notebook, cell_lines = read_cells(path)
    except LessonError as error:  # not UTF-8 or empty: nothing else can be checked
        return [Finding(where, error.line, f"{error.problem}; {error.fix}")]
    cells = list(zip(notebook.cells, cell_lines, strict=True))
    magics = magic_lines(where, cells)
    findings = magics + unknown_tags(where, cells) + exercises_without_solution(where, cells)
    findings += exercises_without_check(where, cells) + malformed_checks(where, cells)
    findings += unsafe_prose(where, cells) + image_problems(path, cells)
    findings += myst_directives(where, cells)
    findings += unseeded_draws(where, path.read_text(encoding="utf-8"))
    findings += display_calls(where, path.read_text(encoding="utf-8"))
    findings += long_lines(where, path.read_text(encoding="utf-8"))
    files = named_files(notebook, path.parent)
    recorded = recorded_outputs(notebook, cache_dir / f"{path.stem}.ipynb", files)
    findings += long_outputs(where, notebook, cell_lines, recorded)
    findings += figures_without_alt(where, notebook, cell_lines, recorded)
    header, title = header_problem(path)
    if header and header.line not in {m.line for m in magics}:  # a magic is reported once
        findings.append(header)
    findings += title_cell(where, cells, title)
    return sorted(set(findings))


def header_problem(path: Path) -> tuple[Finding | None, str]:
    """The first problem read_lesson finds (file name, syntax, header keys and formats), or
    the lesson's title when there is none."""
    try:
        return None, read_lesson(path).info.title
    except LessonError as error:
        return Finding(shown(path), error.line, f"{error.problem}; {error.fix}"), ""


def title_cell(where: str, cells: list, title: str) -> list[Finding]:
    """A first heading that repeats the header's title (a converted notebook's title cell):
    the title slide and the handout's cover show it already, so it would show twice."""
    first = next(((c, lines) for c, lines in cells if c.source.strip()), None)
    if not title or first is None or first[0].cell_type != "markdown":
        return []
    heading = first[0].source.strip().splitlines()[0]
    if not heading.startswith("# ") or _letters(heading[2:]) != _letters(title):
        return []
    return [
        Finding(
            where,
            first[1][0] + 1,
            "this heading repeats the lesson's title, which the title slide and the handout's "
            "cover show already; remove it, or give the first section a heading of its own",
        )
    ]


def _letters(text: str) -> str:
    return "".join(c for c in text.casefold() if c.isalnum())


def unsafe_prose(where: str, cells: list) -> list[Finding]:
    """Scripts, event handlers and remote resources in markdown (the build strips them)."""
    return [
        Finding(where, first + 1 + found.line, f"{found.what} in prose; {UNSAFE_FIX}")
        for cell, (first, _) in cells
        if cell.cell_type == "markdown"
        for found in sanitize_markdown(cell.source)[1]
    ]


def myst_directives(where: str, cells: list) -> list[Finding]:
    """Jupyter Book's ```{note} blocks, which CommonMark shows as code (pasted from a book)."""
    return [
        Finding(
            where,
            first + 1 + offset,
            f"MyST directive `{{{opening['name']}}}` shows as a code block; write it in "
            "markdown: a note as a quote (`> **Note.** ...`), a figure as `![caption](path)`",
        )
        for cell, (first, _) in cells
        if cell.cell_type == "markdown"
        for offset, line in enumerate(cell.source.splitlines())
        for opening in [myst.OPENING.match(line)]
        if opening
    ]


def image_problems(path: Path, cells: list) -> list[Finding]:
    """Images the prose shows from a file: one the build cannot carry, or one without alt."""
    findings = []
    for cell, (first, _) in cells:
        if cell.cell_type != "markdown":
            continue
        for image in images.local_images(cell.source):
            line = first + 1 + image.line
            try:
                images.resolve(path, image.src, line)
            except LessonError as error:
                findings.append(Finding(shown(path), line, f"{error.problem}; {error.fix}"))
            if not (image.alt or "").strip():
                findings.append(Finding(shown(path), line, images.no_alt(image.src)))
    return findings


def magic_lines(where: str, cells: list) -> list[Finding]:
    """IPython magics and shell escapes: a lesson must run as a plain script."""
    findings = []
    for cell, (first, _) in cells:
        if cell.cell_type != "code":
            continue
        for offset, line in enumerate(cell.source.splitlines()):
            if MAGIC_LINE.match(line):
                findings.append(
                    Finding(
                        where,
                        first + 1 + offset,
                        f"IPython magic or shell command `{line.strip()}`; lessons are plain "
                        "Python: remove it (dependencies go in pyproject.toml)",
                    )
                )
    return findings


def unknown_tags(where: str, cells: list) -> list[Finding]:
    """Tags outside the format's table, which the build would ignore."""
    return [
        Finding(where, first, f"unknown tag {tag!r}; {tag_advice(tag)}")
        for cell, (first, _) in cells
        for tag in cell.metadata.get("tags", [])
        if tag not in KNOWN_TAGS
    ]


def exercises_without_solution(where: str, cells: list) -> list[Finding]:
    """Each run of `exercise` cells must be followed (notes aside) by a `solution` cell."""
    findings, open_exercise = [], None
    for cell, (first, _) in cells:
        tags = set(cell.metadata.get("tags", []))
        if "exercise" in tags:
            open_exercise = open_exercise or first
        elif "solution" in tags:
            open_exercise = None
        elif "notes" not in tags and open_exercise:
            findings.append(_no_solution(where, open_exercise))
            open_exercise = None
    if open_exercise:
        findings.append(_no_solution(where, open_exercise))
    return findings


def _no_solution(where: str, line: int) -> Finding:
    return Finding(
        where,
        line,
        'this exercise has no solution after it; add a `# %% tags=["solution"]` cell '
        "right after the exercise cells",
    )


def exercises_without_check(where: str, cells: list) -> list[Finding]:
    """An exercise with a solution needs a `check` cell right after that solution (notes aside)."""
    findings, exercise, solved = [], None, False
    for cell, (first, _) in cells:
        tags = set(cell.metadata.get("tags", []))
        if "notes" in tags or ("exercise" in tags and exercise and not solved):
            continue  # speaker notes, or the next cell of the same exercise
        if "solution" in tags:
            solved = exercise is not None
            continue
        if exercise and solved and checks.TAG not in tags:
            findings.append(_no_check(where, exercise))
        exercise, solved = (first if "exercise" in tags else None), False
    if exercise and solved:
        findings.append(_no_check(where, exercise))
    return findings


def _no_check(where: str, line: int) -> Finding:
    return Finding(
        where,
        line,
        'this exercise has no check; add a `# %% tags=["check"]` cell after its solution '
        'with one `assert condition, "hint"` per check (see sources/README.md)',
    )


def malformed_checks(where: str, cells: list) -> list[Finding]:
    """Check cells must be asserts with hints: the build reads each one as a check."""
    findings = []
    for cell, (first, _) in cells:
        if cell.cell_type == "code" and checks.TAG in cell.metadata.get("tags", []):
            problem = checks.check_problem(cell.source)
            if problem:
                offset, what, fix = problem
                findings.append(Finding(where, first + 1 + offset, f"{what}; {fix}"))
    return findings


def unseeded_draws(where: str, text: str) -> list[Finding]:
    """The first random draw of torch and of numpy that comes before that library's seed."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return []  # header_problem reports it
    calls = sorted(
        (n for n in ast.walk(tree) if isinstance(n, ast.Call)),
        key=lambda n: (n.lineno, n.col_offset),
    )
    seeded, findings = set(), []
    for call in calls:
        name = _dotted(call.func)
        seed, draw = _seeds(name), _draws(name, call)
        if seed:
            seeded.add(seed)
        elif draw == "generator":
            findings.append(
                Finding(
                    where,
                    call.lineno,
                    f"`{name}()` makes an unseeded generator; pass a seed, e.g. `{name}(0)`",
                )
            )
        elif draw and draw not in seeded:
            seeded.add(draw)  # one finding per library is enough
            findings.append(
                Finding(
                    where,
                    call.lineno,
                    f"`{name}(...)` draws random numbers before any {draw} seed is set; "
                    f"call {'torch.manual_seed(0)' if draw == 'torch' else 'np.random.seed(0)'} "
                    "(or seed a generator) above it",
                )
            )
    return findings


def display_calls(where: str, text: str) -> list[Finding]:
    """`display(x)`: Jupyter's, undefined when the lesson runs as a plain script."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return []  # header_problem reports it
    names = [n for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id == "display"]
    if any(isinstance(n.ctx, ast.Store) for n in names) or _defines_display(tree):
        return []  # the lesson's own display
    return [
        Finding(
            where,
            call.lineno,
            "`display()` exists only in Jupyter, and a lesson also runs as a plain script; "
            "print() what must be seen, or plot it",
        )
        for call in ast.walk(tree)
        if isinstance(call, ast.Call)
        and isinstance(call.func, ast.Name)
        and call.func.id == "display"
    ]


def _defines_display(tree: ast.Module) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.ClassDef) and node.name == "display":
            return True
        if isinstance(node, ast.Import | ast.ImportFrom):
            if any((alias.asname or alias.name) == "display" for alias in node.names):
                return True
    return False


def _seeds(name: str) -> str | None:
    """`torch` or `numpy` when the call seeds that library's random numbers."""
    parts = name.split(".")
    if parts[-1] in TORCH_SEEDS:
        return "torch"
    if parts[-1] == "seed" and parts[:2] in (["np", "random"], ["numpy", "random"]):
        return "numpy"
    return None  # default_rng(seed) seeds only the generator it makes: see _draws


def _draws(name: str, call: ast.Call) -> str | None:
    """`torch` or `numpy` when the call draws random numbers; `generator` for an unseeded one."""
    parts = name.split(".")
    if parts[-1] in NUMPY_GENERATORS:
        return None if call.args else "generator"
    if parts[0] in ("np", "numpy") and parts[1:2] == ["random"] and len(parts) > 2:
        return None if parts[-1] in NUMPY_NOT_DRAWS else "numpy"
    if parts[-1] in FILLING_DRAWS or (parts[0] == "torch" and parts[-1] in TORCH_DRAWS):
        return "torch"
    return None


def _dotted(node: ast.expr) -> str:
    """`torch.Generator().manual_seed` for the function part of a call."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    elif isinstance(node, ast.Call):
        parts.append(_dotted(node.func) + "()")
    else:
        parts.append("(...)")
    return ".".join(reversed(parts))


def figures_without_alt(where: str, notebook, cell_lines: list, recorded) -> list[Finding]:
    """Cells that draw a figure (read from the code, or from the recorded outputs) with no alt."""
    drawing = alttext.figure_cells(notebook)
    if recorded is not None:
        drawing |= {i for i, outputs in recorded.items() if any(map(alttext.is_figure, outputs))}
    return [
        Finding(
            where,
            cell_lines[index][0],
            "this cell draws a figure but has no alt text; say what the figure shows on the "
            'cell\'s marker line: # %% alt="Line plot of the loss falling from 0.7 to 0.1 ..."',
        )
        for index in sorted(drawing)
        if not str(notebook.cells[index].metadata.get(alttext.KEY, "")).strip()
    ]


def long_lines(where: str, text: str) -> list[Finding]:
    """Lines longer than ruff's limit, except `# %%` lines (an alt text is one long line) and
    the header (no slide or page shows it as written; `make bump` writes a change note there
    on one line)."""
    lines = text.splitlines()
    header = header_end(lines)
    return [
        Finding(
            where,
            number,
            f"line is {len(line)} characters, more than {LINE_LENGTH}; break it "
            "(a slide and a handout page show about 90)",
        )
        for number, line in enumerate(lines, start=1)
        if len(line) > LINE_LENGTH and not line.startswith("# %%") and number > header
    ]


def long_outputs(where: str, notebook, cell_lines: list, recorded) -> list[Finding]:
    """Cells whose recorded output is longer than a slide shows; silent without a fresh cache."""
    if recorded is None:
        return []
    findings = []
    for index, cell in enumerate(notebook.cells):
        tags = set(cell.metadata.get("tags", []))
        if cell.cell_type != "code" or tags & {"handout-only", "notes"}:
            continue
        count = sum(_text_lines(output) for output in recorded[index])
        if count > SLIDE_OUTPUT_LINES:
            findings.append(
                Finding(
                    where,
                    cell_lines[index][0],
                    f"the cell printed {count} lines, more than the {SLIDE_OUTPUT_LINES} a slide "
                    "shows; print less (a slice, a summary) or tag the cell handout-only",
                )
            )
    return findings


def recorded_outputs(
    notebook, cache_file: Path, files: dict | None = None
) -> dict[int, list] | None:
    """Outputs by cell index from the execution cache, when it was made from this very code
    (and the files beside the lesson it names: `files`, as scripts/lessonfiles.py finds them)."""
    from .execute import cache_key  # imports the notebook runner: only when a cache exists

    if not cache_file.is_file():
        return None
    try:
        cached = nbformat.read(cache_file, as_version=4)
    except Exception:
        return None  # a partial or corrupt entry: the next build rewrites it
    if cached.metadata.get("build_cache", {}).get("key") != cache_key(notebook, files):
        return None  # the code changed since the last build: its outputs say nothing
    code = [i for i, c in enumerate(notebook.cells) if c.cell_type == "code"]
    outputs = [c.get("outputs", []) for c in cached.cells if c.cell_type == "code"]
    return dict(zip(code, outputs, strict=False))


def _text_lines(output) -> int:
    """Lines of text an output puts on a slide (a figure counts as none)."""
    if output.get("output_type") == "stream":
        return len(output.get("text", "").splitlines())
    if output.get("output_type") == "error":
        return len(output.get("traceback", []))
    data = output.get("data", {})
    if "text/plain" in data and not any(k.startswith("image/") for k in data):
        return len(data["text/plain"].splitlines())
    return 0


def command_lint(root: Path, config: CourseConfig, selected: list[str]) -> int:
    """Ruff over the code, then the checker over the lessons; exit 1 on any finding."""
    lessons = Lessons.find(root)
    paths = lessons.select(selected)
    targets = [str(p) for p in paths] if selected else _ruff_targets(root)
    ruff_ok = run_ruff(root, targets)
    findings = [_problem(lessons.problems[p]) for p in paths if p in lessons.problems]
    findings += [_problem(e) for p, e in lessons.problems.items() if p.suffix == ".ipynb"]
    cache = root / "build" / ".cache"
    findings += [f for p in paths if p not in lessons.problems for f in lint_lesson(p, cache)]
    if not selected:
        findings += readme_table_findings(root, config, lessons)
    for finding in findings:
        print(finding)
    print(f"lessons: {len(paths)} checked, {len(findings)} finding(s)")
    return 0 if ruff_ok and not findings else 1


def readme_table_findings(root: Path, config: CourseConfig, lessons: Lessons) -> list[Finding]:
    """The README's lesson table must match the headers (`make readme` rewrites it)."""
    readme = root / "README.md"
    if not readme.is_file() or lessons.problems:
        return []
    try:
        infos = [read_lesson(p).info for p in lessons.paths]
        current = readme.read_text(encoding="utf-8")
        expected = replace_between_markers(current, readme_table(config, infos))
    except CourseError:
        return []  # a broken header is reported with its lesson
    if expected == current:
        return []
    return [Finding("README.md", 1, "the lesson table is out of date; run `make readme`")]


def _problem(error: CourseError) -> Finding:
    where, _, line = error.where.rpartition(":")
    return Finding(where, int(line), f"{error.problem}; {error.fix}")


def run_ruff(root: Path, targets: list[str]) -> bool:
    """`ruff check` with the course's own configuration; True when it found nothing."""
    if not targets:
        return True
    return subprocess.run([*RUFF_CHECK, *targets], cwd=root).returncode == 0


def _ruff_targets(root: Path) -> list[str]:
    return [name for name in RUFF_TARGETS if (root / name).is_dir()]
