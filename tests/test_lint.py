"""The lesson checker: each rule has a fixture lesson it rejects and one it accepts."""

from __future__ import annotations

import copy
import re
import shutil
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_output

from scripts.execute import cache_key
from scripts.lesson import read_cells
from scripts.lint import SLIDE_OUTPUT_LINES, display_calls, lint_lesson, long_lines

from .conftest import FIXTURES, run_build

LINT = FIXTURES / "lint"
FINDING = re.compile(r"^sources/\d\d_[a-z0-9_]+\.py:\d+: \S.*$")


def line_of(path: Path, marker: str) -> int:
    """The 1-based line where `marker` first appears in a fixture."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if marker in line:
            return number
    raise AssertionError(f"{marker!r} is not in {path.name}")


def lines_found(name: str, cache_dir: Path) -> list[int]:
    return [finding.line for finding in lint_lesson(LINT / name, cache_dir)]


@pytest.mark.parametrize("name", sorted(p.name for p in LINT.glob("*_pass.py")))
def test_passing_fixture_has_no_findings(name, tmp_path):
    assert lint_lesson(LINT / name, tmp_path) == []


def test_unquoted_date_is_reported_at_its_header_line(tmp_path):
    path = LINT / "01_header_fail.py"
    (finding,) = lint_lesson(path, tmp_path)
    assert finding.line == line_of(path, "date:")
    assert "lesson.date" in finding.message and "quoted" in finding.message


def test_misnamed_file_is_reported(tmp_path):
    path = tmp_path / "Header Pass.py"
    shutil.copy(LINT / "01_header_pass.py", path)
    (finding,) = lint_lesson(path, tmp_path)
    assert "does not match NN_slug.py" in finding.message


def test_unknown_tags_are_reported_on_their_cells(tmp_path):
    path = LINT / "02_tags_fail.py"
    findings = lint_lesson(path, tmp_path)
    assert [f.line for f in findings] == [
        line_of(path, 'tags=["note"]'),
        line_of(path, "slides_only"),
    ]
    assert "'note'" in findings[0].message and "notes" in findings[0].message


def test_every_magic_is_reported_with_its_line(tmp_path):
    path = LINT / "03_magics_fail.py"
    assert lines_found(path.name, tmp_path) == [line_of(path, "%pip"), line_of(path, "!ls")]


def test_draws_before_their_seed_are_reported_once_per_library(tmp_path):
    path = LINT / "04_seeds_fail.py"
    findings = lint_lesson(path, tmp_path)
    assert [f.line for f in findings] == [
        line_of(path, "MARK_TORCH_DRAW"),
        line_of(path, "MARK_NUMPY_DRAW"),
        line_of(path, "MARK_UNSEEDED_GENERATOR"),
    ]
    assert "torch.randn" in findings[0].message and "before any torch seed" in findings[0].message


def test_exercise_without_a_solution_is_reported(tmp_path):
    path = LINT / "06_exercises_fail.py"
    assert lines_found(path.name, tmp_path) == [
        line_of(path, "MARK_EXERCISE_WITHOUT_SOLUTION") - 1,
        line_of(path, "MARK_LAST_EXERCISE") - 1,
    ]


def test_exercise_without_a_check_and_malformed_checks_are_reported(tmp_path):
    path = LINT / "08_checks_fail.py"
    findings = lint_lesson(path, tmp_path)
    assert [f.line for f in findings] == [
        line_of(path, "MARK_EXERCISE_WITHOUT_CHECK") - 1,
        line_of(path, "MARK_NO_HINT"),
        line_of(path, "MARK_NOT_AN_ASSERT"),
    ]
    assert "has no check" in findings[0].message and 'tags=["check"]' in findings[0].message
    assert "no hint" in findings[1].message
    assert "only `assert condition" in findings[2].message


def write_cache(cache_dir: Path, lesson: Path, printed_lines: int, key: str | None = None):
    """A fake execution cache entry: every code cell printed `printed_lines` lines."""
    notebook, _ = read_cells(lesson)
    cached = copy.deepcopy(notebook)
    text = "".join(f"line {i}\n" for i in range(printed_lines))
    for cell in cached.cells:
        if cell.cell_type == "code":
            cell.outputs = [new_output("stream", name="stdout", text=text)]
    cached.metadata["build_cache"] = {"key": key or cache_key(notebook)}
    nbformat.write(cached, cache_dir / f"{lesson.stem}.ipynb")


def test_output_longer_than_a_slide_is_reported_from_the_cache(tmp_path):
    path = LINT / "05_outputs.py"
    write_cache(tmp_path, path, SLIDE_OUTPUT_LINES + 1)
    (finding,) = lint_lesson(path, tmp_path)  # the handout-only cell may print more
    assert finding.line == line_of(path, "MARK_ON_SLIDE") - 2
    assert f"{SLIDE_OUTPUT_LINES + 1} lines" in finding.message


def test_output_that_fits_on_a_slide_passes(tmp_path):
    write_cache(tmp_path, LINT / "05_outputs.py", SLIDE_OUTPUT_LINES)
    assert lint_lesson(LINT / "05_outputs.py", tmp_path) == []


def test_output_rule_is_silent_without_a_cache_or_with_a_stale_one(tmp_path):
    path = LINT / "05_outputs.py"
    assert lint_lesson(path, tmp_path) == []
    write_cache(tmp_path, path, 40, key="made-from-older-code")
    assert lint_lesson(path, tmp_path) == []


@pytest.fixture
def lint_course(tmp_path) -> Path:
    """A course of two clean fixture lessons, for the command line."""
    sources = tmp_path / "course" / "sources"
    sources.mkdir(parents=True)
    shutil.copy(LINT / "01_header_pass.py", sources / "01_header.py")
    shutil.copy(LINT / "02_tags_pass.py", sources / "02_tags.py")
    return sources.parent


def test_lint_command_passes_a_clean_course(lint_course):
    done = run_build(lint_course, "lint")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 checked, 0 finding(s)" in done.stdout


def test_lint_command_prints_one_line_per_finding_and_fails(lint_course):
    shutil.copy(LINT / "04_seeds_fail.py", lint_course / "sources" / "03_seeds.py")
    shutil.copy(LINT / "06_exercises_fail.py", lint_course / "sources" / "04_exercises.py")
    done = run_build(lint_course, "lint")
    findings = [line for line in done.stdout.splitlines() if line.startswith("sources/")]
    assert done.returncode == 1
    assert len(findings) == 5 and all(FINDING.match(line) for line in findings)


def test_lint_command_fails_on_a_ruff_finding(lint_course):
    lesson = lint_course / "sources" / "02_tags.py"
    lesson.write_text(lesson.read_text(encoding="utf-8") + "\nimport os\n", encoding="utf-8")
    done = run_build(lint_course, "lint")
    assert done.returncode == 1
    assert "F401" in done.stdout


def test_figure_cells_without_alt_text_are_reported(tmp_path):
    path = LINT / "07_alt_text_fail.py"
    findings = lint_lesson(path, tmp_path)
    assert [f.line for f in findings] == [
        line_of(path, "MARK_SHOW_WITHOUT_ALT") - 1,  # plt.show() in the cell itself
        line_of(path, "MARK_HELPER_WITHOUT_ALT") - 1,  # through a helper; an empty alt is none
        line_of(path, "MARK_LONG"),  # the line-length rule, which spares `# %%` lines
    ]
    assert 'alt="' in findings[0].message and "no alt text" in findings[1].message


def test_figure_found_only_in_the_recorded_outputs_needs_alt_text(tmp_path):
    path = LINT / "06_exercises_pass.py"  # draws nothing that the code shows
    notebook, cell_lines = read_cells(path)
    cached = copy.deepcopy(notebook)
    solution = next(c for c in cached.cells if "solution" in c.metadata.get("tags", []))
    solution.outputs = [new_output("display_data", data={"image/png": "iVBORw0KGgo="})]
    cached.metadata["build_cache"] = {"key": cache_key(notebook)}
    nbformat.write(cached, tmp_path / f"{path.stem}.ipynb")
    (finding,) = lint_lesson(path, tmp_path)
    assert finding.line == line_of(path, 'tags=["solution"]') and "alt text" in finding.message


def test_a_long_change_note_in_the_header_is_not_a_long_line_but_long_code_is():
    note = "x" * 120
    text = f'# ---\n# lesson:\n#     changes: "{note}"\n# ---\n\n# %%\nvalue = "{note}"\n'
    assert [finding.line for finding in long_lines("sources/01_x.py", text)] == [7]


@pytest.mark.parametrize(
    ("heading", "reported"),
    [("# Header: Passing!", True), ("## Header passing", False), ("# Header passes", False)],
)
def test_a_first_heading_that_repeats_the_title_is_reported(heading, reported, tmp_path):
    source = (LINT / "01_header_pass.py").read_text(encoding="utf-8")
    header_end = source.index("# ---\n", 4) + len("# ---\n")
    lesson = tmp_path / "01_header_pass.py"
    text = source[:header_end] + f"\n# %% [markdown]\n# {heading}\n#\n# Prose.\n"
    lesson.write_text(text + source[header_end:], encoding="utf-8")
    found = [f for f in lint_lesson(lesson, tmp_path) if "repeats the lesson's title" in f.message]
    assert [f.line for f in found] == ([line_of(lesson, heading)] if reported else [])


@pytest.mark.parametrize(
    ("code", "lines"),
    [
        ("x = 1\ndisplay(x)\n", [2]),
        ("from IPython.display import display\ndisplay(1)\n", []),
        ("def display(value):\n    print(value)\n\ndisplay(1)\n", []),
        ("display = print\ndisplay(1)\n", []),
        ("print(frame.display(1))\n", []),
    ],
)
def test_display_is_reported_unless_the_lesson_defines_it(code, lines):
    text = f"# ---\n# lesson: {{}}\n# ---\n\n# %%\n{code}"
    assert [f.line - 5 for f in display_calls("sources/01_x.py", text)] == lines


def test_a_myst_directive_pasted_from_a_jupyter_book_is_reported(tmp_path):
    source = (LINT / "01_header_pass.py").read_text(encoding="utf-8")
    text = source + "\n# %% [markdown]\n# ## Pasted\n#\n# ```{note}\n# Careful.\n# ```\n"
    path = tmp_path / "01_header_pass.py"
    path.write_text(text, encoding="utf-8")
    found = [f for f in lint_lesson(path, path.parent) if "MyST directive" in f.message]
    assert [(f.line, f.message[:32]) for f in found] == [
        (line_of(path, "```{note}"), "MyST directive `{note}` shows as")
    ]


@pytest.mark.parametrize(
    ("tag", "advice"),
    [
        ("raises-exception", "show the error by catching it"),
        ("remove-cell", "tag it hide-input to show only its output"),
        ("soluton", "use one of check, exercise"),
    ],
)
def test_a_tag_from_another_tool_says_what_to_do_here(tag, advice, tmp_path):
    source = (LINT / "01_header_pass.py").read_text(encoding="utf-8")
    path = tmp_path / "01_header_pass.py"
    path.write_text(source + f'\n# %% tags=["{tag}"]\nx = 1\n', encoding="utf-8")
    (found,) = [f for f in lint_lesson(path, tmp_path) if "unknown tag" in f.message]
    assert found.message.startswith(f"unknown tag {tag!r}; ") and advice in found.message
