"""`make adopt`: someone else's notebook becomes a lesson that reads, lints and builds."""

from __future__ import annotations

import base64
import datetime

import nbformat
import pytest
from nbformat import v4

from scripts.adopt import plan_adoptions, things_to_fix, write_adoption
from scripts.cli import main
from scripts.errors import CourseError
from scripts.lesson import read_cells, read_lesson

from .conftest import run_build

TODAY = datetime.date(2026, 12, 8)
RED = b"\x89PNG\r\n\x1a\n red"  # bytes only: adopting copies files, it does not draw them
BLUE = b"\x89PNG\r\n\x1a\n blue"


def notebook_file(path, cells, **metadata):
    notebook = v4.new_notebook(cells=cells)
    notebook.metadata.update(metadata)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path


def pasted(source: str, data: bytes, name: str = "image.png"):
    cell = v4.new_markdown_cell(source)
    cell["attachments"] = {name: {"image/png": base64.b64encode(data).decode()}}
    return cell


def adopt(course, *notebooks, title=None):
    """Plan and write, as the command does; the adoptions."""
    adoptions = plan_adoptions(course / "sources", list(notebooks), title, TODAY)
    for adoption in adoptions:
        write_adoption(adoption)
    return adoptions


def colab_notebook(folder):
    cells = [
        v4.new_markdown_cell(
            '<a href="https://colab.research.google.com/github/x/y/blob/main/a.ipynb">'
            '<img src="https://colab.research.google.com/assets/colab-badge.svg"/></a>',
            metadata={"id": "view-in-github", "colab_type": "text"},
        ),
        v4.new_markdown_cell("# Week 3: **Linear** Regression\n\nWe fit a line."),
        v4.new_code_cell(
            "!pip install seaborn\n%matplotlib inline\nimport torch",
            metadata={"id": "c1", "colab": {"base_uri": "https://localhost:8080/"}},
            outputs=[v4.new_output("stream", name="stdout", text="Collecting seaborn\n")],
            execution_count=4,
        ),
        v4.new_markdown_cell("## 1. The `data`\n\n```python\n# not a heading\n```"),
        v4.new_markdown_cell("## Training loop"),
        v4.new_code_cell(""),
    ]
    return notebook_file(folder / "Linear_Regression.ipynb", cells, colab={"provenance": []})


def test_header_comes_from_the_title_cell_and_the_section_headings(course_copy, tmp_path):
    (adoption,) = adopt(course_copy, colab_notebook(tmp_path / "old"))
    assert adoption.lesson.name == "05_linear_regression.py"  # "Week 3:" is not in the name
    info = read_lesson(adoption.lesson).info
    assert info.title == "Week 3: Linear Regression"
    assert info.summary == ("The data", "Training loop")  # numbering and marks dropped
    assert (info.version, info.date) == ("1.0", "2026-12-08")
    text = adoption.lesson.read_text(encoding="utf-8")
    assert "# Week 3" not in text  # the build makes the title slide
    assert "We fit a line." in text


def test_outputs_colab_metadata_badges_and_front_end_lines_are_dropped(course_copy, tmp_path):
    (adoption,) = adopt(course_copy, colab_notebook(tmp_path / "old"))
    notebook, _ = read_cells(adoption.lesson)
    text = adoption.lesson.read_text(encoding="utf-8")
    for gone in ("colab", "badge", "Collecting", "pip install", "%matplotlib", "view-in-github"):
        assert gone not in text, gone
    assert [c.source for c in notebook.cells if c.cell_type == "code"] == ["import torch"]
    assert any("seaborn to pyproject.toml" in note for note in adoption.notes)


def test_pasted_images_become_files_under_figures_byte_for_byte(course_copy, tmp_path):
    cells = [
        pasted("## One\n\n![Sketch one](attachment:image.png)", RED),
        pasted("## Two\n\n![Sketch two](attachment:image.png)", BLUE),
    ]
    (adoption,) = adopt(course_copy, notebook_file(tmp_path / "Sketches.ipynb", cells))
    figures = course_copy / "sources" / "figures" / "05_sketches"
    assert (figures / "image.png").read_bytes() == RED
    assert (figures / "image-2.png").read_bytes() == BLUE  # Jupyter names every paste image.png
    text = adoption.lesson.read_text(encoding="utf-8")
    assert "](figures/05_sketches/image.png)" in text
    assert "](figures/05_sketches/image-2.png)" in text
    assert "attachment:" not in text
    assert not [note for note in adoption.notes if "not found" in note]
    assert not things_to_fix(adoption.lesson, course_copy / "build" / ".cache")


def test_images_beside_the_notebook_are_copied_beside_the_lesson(course_copy, tmp_path):
    old = tmp_path / "old" / "notebooks"
    (old / "img").mkdir(parents=True)
    (old / "img" / "pipeline.png").write_bytes(RED)
    (tmp_path / "old" / "shared.png").write_bytes(BLUE)
    cell = v4.new_markdown_cell(
        "## Pictures\n\n![Pipeline](img/pipeline.png)\n![Logo](../shared.png)"
    )
    (adoption,) = adopt(course_copy, notebook_file(old / "pictures.ipynb", [cell]))
    sources = course_copy / "sources"
    assert (sources / "img" / "pipeline.png").read_bytes() == RED  # the same path: no edit
    assert (sources / "figures" / "05_pictures" / "shared.png").read_bytes() == BLUE
    text = adoption.lesson.read_text(encoding="utf-8")
    assert "![Pipeline](img/pipeline.png)" in text
    assert "![Logo](figures/05_pictures/shared.png)" in text  # outside: moved, and rewritten


def test_data_the_code_names_is_copied_to_the_same_path(course_copy, tmp_path):
    old = tmp_path / "old"
    (old / "data").mkdir(parents=True)
    (old / "data" / "points.csv").write_text("x,y\n1,2\n", encoding="utf-8")
    (old / "data" / "unused.csv").write_text("nobody reads this\n", encoding="utf-8")
    code = v4.new_code_cell('rows = open("data/points.csv").read().splitlines()\nprint(rows)')
    adopt(course_copy, notebook_file(old / "data_demo.ipynb", [code]))
    data = course_copy / "sources" / "data"
    assert (data / "points.csv").read_text(encoding="utf-8") == "x,y\n1,2\n"
    assert not (data / "unused.csv").exists()


def test_a_different_file_at_a_path_stops_before_anything_is_written(course_copy, tmp_path):
    old = tmp_path / "old"
    (old / "data").mkdir(parents=True)
    (old / "data" / "points.csv").write_text("new\n", encoding="utf-8")
    (old / "img").mkdir()
    (old / "img" / "a.png").write_bytes(RED)
    cells = [
        v4.new_markdown_cell("## A\n\n![A plot](img/a.png)"),
        v4.new_code_cell('print(open("data/points.csv").read())'),
    ]
    notebook = notebook_file(old / "clash.ipynb", cells)
    sources = course_copy / "sources"
    (sources / "data").mkdir()
    (sources / "data" / "points.csv").write_text("theirs\n", encoding="utf-8")
    before = sorted(p.relative_to(sources) for p in sources.rglob("*"))
    with pytest.raises(CourseError) as raised:
        adopt(course_copy, notebook)
    assert raised.value.where == "sources/data/points.csv"  # not shown(): under a folder
    assert "already exists with other content" in raised.value.problem
    assert sorted(p.relative_to(sources) for p in sources.rglob("*")) == before
    assert (sources / "data" / "points.csv").read_text(encoding="utf-8") == "theirs\n"


def test_cell_metadata_keeps_ours_and_maps_jupyter_books_and_jupyterlabs(course_copy, tmp_path):
    cells = [
        v4.new_markdown_cell("## A", metadata={"slideshow": {"slide_type": "slide"}, "id": "x"}),
        v4.new_code_cell("a = 1", metadata={"tags": ["remove-input"], "ExecuteTime": {}}),
        v4.new_code_cell("b = 2", metadata={"jupyter": {"source_hidden": True}}),
        v4.new_code_cell("c = 3", metadata={"tags": ["notes"], "alt": "A plot", "steps": "1"}),
    ]
    (adoption,) = adopt(course_copy, notebook_file(tmp_path / "meta.ipynb", cells))
    notebook, _ = read_cells(adoption.lesson)
    assert [dict(c.metadata) for c in notebook.cells] == [
        {"slideshow": {"slide_type": "slide"}},
        {"tags": ["hide-input"]},
        {"tags": ["hide-input"]},
        {"tags": ["notes"], "alt": "A plot", "steps": "1"},
    ]


def test_cell_magics_are_dropped_turned_to_prose_or_commented_out(course_copy, tmp_path):
    cells = [
        v4.new_markdown_cell("## Magic"),
        v4.new_code_cell("%%time\ntotal = sum(range(10))"),
        v4.new_code_cell("%%html\n<b>bold</b> words"),
        v4.new_code_cell("%%bash\nls data\n\necho done"),
        v4.new_code_cell("import seaborn\ndisplay(total)"),
    ]
    (adoption,) = adopt(course_copy, notebook_file(tmp_path / "magic.ipynb", cells))
    notebook, lines = read_cells(adoption.lesson)  # a `%%bash` line would be a cell marker
    assert [c.cell_type for c in notebook.cells] == ["markdown", "code", "markdown", "code", "code"]
    assert notebook.cells[1].source == "total = sum(range(10))"
    assert notebook.cells[2].source == "<b>bold</b> words"
    assert all(line.startswith("#") for line in notebook.cells[3].source.splitlines())
    fix = things_to_fix(adoption.lesson, course_copy / "build" / ".cache")
    bash_line = lines[3][0] + 1
    assert f"sources/05_magic.py:{bash_line}: a `%%bash` cell, commented out; rewrite it" in fix[0]
    assert any("module 'seaborn' is not installed" in line for line in fix)
    assert any("`display()` exists only in Jupyter" in line for line in fix)


def test_title_from_the_file_name_or_as_given(course_copy, tmp_path):
    cells = [v4.new_markdown_cell("Gradient descent walks downhill. It is slow.")]
    (adoption,) = adopt(course_copy, notebook_file(tmp_path / "03-gradient_descent.ipynb", cells))
    info = read_lesson(adoption.lesson).info
    assert info.title == "Gradient descent"
    assert info.summary == ("Gradient descent walks downhill.",)  # no headings: the opening
    titled = notebook_file(tmp_path / "t.ipynb", [v4.new_markdown_cell("# Old title\n## Part")])
    (adoption,) = adopt(course_copy, titled, title="New  title")
    assert read_lesson(adoption.lesson).info.title == "New title"
    assert "Old title" not in adoption.lesson.read_text(encoding="utf-8")


def test_a_light_format_script_is_adopted_too(course_copy, tmp_path):
    script = tmp_path / "light.py"
    script.write_text("# # Light Script\n#\n# ## Part one\n\nx = 1\nprint(x)\n", encoding="utf-8")
    (adoption,) = adopt(course_copy, script)
    lesson = read_lesson(adoption.lesson)
    assert lesson.info.title == "Light Script"
    assert [c.source for c in lesson.notebook.cells if c.cell_type == "code"] == ["x = 1\nprint(x)"]


def test_several_notebooks_take_the_next_numbers_in_order(course_copy, tmp_path, capsys):
    first = notebook_file(tmp_path / "b.ipynb", [v4.new_markdown_cell("# Beta\n## One")])
    second = notebook_file(tmp_path / "a.ipynb", [v4.new_markdown_cell("# Alpha\n## Two")])
    code = main(["--root", str(course_copy), "adopt", str(first), str(second)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert (course_copy / "sources" / "05_beta.py").is_file()
    assert (course_copy / "sources" / "06_alpha.py").is_file()
    assert "README.md: lesson table updated" in out
    readme = (course_copy / "README.md").read_text(encoding="utf-8")
    assert "sources/05_beta.py" in readme and "sources/06_alpha.py" in readme


@pytest.mark.parametrize(
    ("make", "args", "message"),
    [
        (lambda p: p.write_text("{not json", encoding="utf-8"), [], "not a notebook Jupyter"),
        (
            lambda p: p.write_text('{"cells": 3, "nbformat": 4}', encoding="utf-8"),
            [],
            "not a notebook Jupyter can read (",
        ),
        (
            lambda p: notebook_file(p, [], kernelspec={"language": "R", "name": "ir"}),
            [],
            "a r notebook; lessons are Python",
        ),
        (lambda p: None, [], "no such file"),
        (
            lambda p: notebook_file(p, [v4.new_markdown_cell("# A")]),
            ["other.ipynb", "--title", "T"],
            "names one lesson, but 2 notebooks are given",
        ),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(
    course_copy, tmp_path, capsys, make, args, message
):
    notebook = tmp_path / "in.ipynb"
    make(notebook)
    before = sorted(course_copy.rglob("*"))
    code = main(["--root", str(course_copy), "adopt", str(notebook), *args])
    err = capsys.readouterr().err
    assert code == 1
    assert message in err and len(err.strip().splitlines()) == 1, err
    assert sorted(course_copy.rglob("*")) == before


def test_two_notebooks_under_one_title_are_refused(course_copy, tmp_path):
    one = notebook_file(tmp_path / "x" / "a.ipynb", [v4.new_markdown_cell("# Same")])
    two = notebook_file(tmp_path / "y" / "a.ipynb", [v4.new_markdown_cell("# Same")])
    with pytest.raises(CourseError, match="is also"):
        adopt(course_copy, one, two)
    assert not list((course_copy / "sources").glob("*_same.py"))


@pytest.mark.slow
def test_an_adopted_notebook_builds_with_its_image_and_data(course_copy, tmp_path):
    old = tmp_path / "old"
    (old / "data").mkdir(parents=True)
    (old / "data" / "points.csv").write_text("1\n2\n3\n", encoding="utf-8")
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20">'
        '<rect width="40" height="20"/></svg>'
    )
    cells = [
        v4.new_markdown_cell("# Data In\n\nWe read numbers."),
        v4.new_code_cell("%matplotlib inline\nimport torch"),
        v4.new_markdown_cell("## Reading\n\n![A black box](attachment:box.svg)"),
        v4.new_code_cell(
            'values = torch.tensor([float(v) for v in open("data/points.csv")])\n'
            "assert values.sum() == 6\nprint(values.sum())"
        ),
    ]
    cells[2]["attachments"] = {
        "box.svg": {"image/svg+xml": base64.b64encode(svg.encode()).decode()}
    }
    (adoption,) = adopt(course_copy, notebook_file(old / "data_in.ipynb", cells))
    assert not things_to_fix(adoption.lesson, course_copy / "build" / ".cache")
    built = run_build(course_copy, "build", "--jobs", "1", adoption.lesson.stem)
    assert built.returncode == 0, built.stdout + built.stderr
    deck = built.out(adoption.lesson.stem) / f"{adoption.lesson.stem}_v1.0.slides.html"
    html = deck.read_text(encoding="utf-8")
    assert "tensor(6.)" in html
    assert "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode() in html


def test_a_book_chapter_title_after_credits_and_links_to_other_chapters(course_copy, tmp_path):
    cells = [
        v4.new_markdown_cell("*An excerpt from a handbook.*"),
        v4.new_markdown_cell("< [Previous](02.04-Before.ipynb) | [Next](02.06-After.ipynb) >"),
        v4.new_markdown_cell("# Broadcasting"),
        v4.new_markdown_cell(
            "## Rules\n\nSee [ufuncs](02.03-Ufuncs.ipynb#top) and [docs](https://numpy.org/x.ipynb)."
        ),
        v4.new_code_cell("import numpy as np\nnp.ones((3, 2)) + np.arange(3)"),
    ]
    cells[-1].outputs = [v4.new_output("error", ename="ValueError", evalue="shapes", traceback=[])]
    (adoption,) = adopt(course_copy, notebook_file(tmp_path / "02.05-broadcasting.ipynb", cells))
    assert read_lesson(adoption.lesson).info.title == "Broadcasting"
    _, lines = read_cells(adoption.lesson)
    fix = things_to_fix(adoption.lesson, course_copy / "build" / ".cache", adoption.raised)
    where = "sources/05_broadcasting.py"
    assert fix == [
        f"{where}:{lines[1][0] + 1}: a link to 02.04-Before.ipynb, 02.06-After.ipynb, a notebook "
        "the course does not publish; point it at the lesson it became, or drop it",
        f"{where}:{lines[2][0] + 3}: a link to 02.03-Ufuncs.ipynb, a notebook the course does "
        "not publish; point it at the lesson it became, or drop it",
        f"{where}:{lines[3][0]}: this cell raised ValueError when the notebook last ran, and a "
        "lesson runs top to bottom; to show the error, catch it: `try: ... except ValueError "
        "as error: print(error)`",
    ]


def test_a_notebook_inside_sources_is_adopted_in_place_and_left_for_the_author(course_copy):
    sources = course_copy / "sources"
    (sources / "data").mkdir()
    (sources / "data" / "n.txt").write_text("4\n", encoding="utf-8")
    code = v4.new_code_cell('print(int(open("data/n.txt").read()) * 2)')
    notebook = notebook_file(sources / "doubling.ipynb", [v4.new_markdown_cell("# Doubling"), code])
    (adoption,) = adopt(course_copy, notebook)
    assert notebook.is_file() and adoption.lesson == sources / "05_doubling.py"
    assert adoption.notes[-1:] == [  # and nothing to copy: the data is already there
        "then delete sources/doubling.ipynb: the build takes no notebook in sources/"
    ]
    assert not [note for note in adoption.notes if "copied" in note]


def test_a_jupyter_book_chapter_in_myst_markdown(course_copy, tmp_path):
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "bowl.png").write_bytes(RED)
    chapter = tmp_path / "descent.md"
    chapter.write_text(
        "---\njupytext:\n  text_representation:\n    format_name: myst\nkernelspec:\n"
        "  name: python3\n  display_name: Python 3\n  language: python\n---\n\n"
        "# Descent\n\n## Step\n\n"
        "```{note}\nGo downhill.\n```\n\n```{code-cell} ipython3\nw = 1.0 - 0.1\nprint(w)\n```\n\n"
        "```{figure} figures/bowl.png\nA bowl.\n```\n",
        encoding="utf-8",
    )
    (adoption,) = adopt(course_copy, chapter)
    lesson = read_lesson(adoption.lesson)
    assert [c.source for c in lesson.notebook.cells] == [
        "## Step\n\n> **Note.** Go downhill.",
        "w = 1.0 - 0.1\nprint(w)",
        "![A bowl.](figures/bowl.png)\n\n*A bowl.*",
    ]
    assert (course_copy / "sources" / "figures" / "bowl.png").read_bytes() == RED


def test_an_invalid_notebook_is_one_line_however_long_the_validators_message(course_copy, tmp_path):
    chapter = tmp_path / "bad.md"
    chapter.write_text(
        "---\nkernelspec:\n  name: python3\n---\n\n```{code-cell} ipython3\nx = 1\n```\n",
        encoding="utf-8",
    )
    with pytest.raises(CourseError) as raised:
        adopt(course_copy, chapter)
    assert raised.value.problem.startswith("not a notebook Jupyter can read (")
    assert len(str(raised.value).splitlines()) == 1
