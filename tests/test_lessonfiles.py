"""Files beside a lesson that its code reads (scripts/lessonfiles.py): found, linked, watched."""

from __future__ import annotations

import hashlib
import json

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell

from scripts.lessonfiles import link_lesson_folder, named_files

from .conftest import run_build

HEADER = """# ---
# jupyter:
#   jupytext:
#     notebook_metadata_filter: lesson
#     text_representation: {extension: .py, format_name: percent}
#   kernelspec: {name: python3, display_name: Python 3, language: python}
#   lesson:
#     title: "Data"
#     version: "1.0"
#     date: "2026-03-01"
#     summary:
#       - "A file beside the lesson"
# ---
"""
READS = """
# %%
import csv

with open("data/points.csv") as f:
    rows = list(csv.DictReader(f))
print("first point:", rows[0]["x"], rows[0]["y"])
"""


@pytest.fixture
def folder(tmp_path):
    sources = tmp_path / "course" / "sources"
    (sources / "data" / "more").mkdir(parents=True)
    (sources / "data" / "points.csv").write_text("x,y\n1,2\n", encoding="utf-8")
    (sources / "data" / "more" / "b.txt").write_text("b", encoding="utf-8")
    (sources / "data" / ".hidden").write_text("h", encoding="utf-8")
    (sources / "helpers").mkdir()
    (sources / "helpers" / "tools.py").write_text("x = 1\n", encoding="utf-8")
    (sources / "01_a.py").write_text("# a lesson\n", encoding="utf-8")
    (sources / "notes.md").write_text("notes", encoding="utf-8")
    (tmp_path / "course" / "secret.txt").write_text("s", encoding="utf-8")
    return sources


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_the_files_a_lesson_names_are_found_by_their_paths_in_its_code(folder):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        new_code_cell('rows = open("data/points.csv").read()\nprint("cpu", "data/none.csv")'),
        new_code_cell('from pathlib import Path\nfolder = Path("data") / "more"'),
        new_code_cell('open("../secret.txt"); open("01_a.py"); open("helpers/tools.py")'),
        new_markdown_cell('"notes.md" in prose is not read by code'),
        new_code_cell("this is not Python ("),
    ]
    assert named_files(notebook, folder) == {
        "data/more/b.txt": digest("b"),  # the folder "data": every file in it, hidden ones not
        "data/points.csv": digest("x,y\n1,2\n"),
    }


def test_the_run_folder_shows_the_lessons_files_but_nothing_importable(folder, tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    link_lesson_folder(run, folder)
    assert sorted(p.name for p in run.iterdir()) == ["data", "notes.md"]
    assert (run / "data" / "points.csv").read_text(encoding="utf-8") == "x,y\n1,2\n"
    link_lesson_folder(run, folder)  # a second time (a cached kernel's folder): no error


def course_with_data(root):
    (root / "sources" / "data").mkdir(parents=True)
    (root / "legacy").mkdir()
    (root / "sources" / "data" / "points.csv").write_text("x,y\n1,2\n", encoding="utf-8")
    (root / "sources" / "01_data.py").write_text(HEADER + READS, encoding="utf-8")
    return root


def deck_text(root) -> str:
    return next((root / "build" / "01_data").glob("*.slides.html")).read_text(encoding="utf-8")


def test_a_lesson_reads_its_data_file_and_an_edit_of_it_runs_the_lesson_again(tmp_path):
    root = course_with_data(tmp_path)
    built = run_build(root, "build")
    assert built.returncode == 0, built.stdout + built.stderr
    assert "first point: 1 2" in deck_text(root)
    manifest = json.loads((root / "build" / "01_data" / ".built.json").read_text("utf-8"))
    assert manifest["files"] == {"data/points.csv": digest("x,y\n1,2\n")}
    assert "up to date" in run_build(root, "build").stdout
    (root / "sources" / "data" / "points.csv").write_text("x,y\n7,8\n", encoding="utf-8")
    again = run_build(root, "build")
    assert again.returncode == 0 and "(cached)" not in again.stdout, again.stdout
    assert "first point: 7 8" in deck_text(root)
    ran = run_build(root, "run", "01")
    assert ran.returncode == 0 and "first point: 7 8" in ran.stdout, ran.stdout + ran.stderr


def test_a_lesson_that_writes_into_its_data_folder_fails_and_says_where_to_write(tmp_path):
    root = course_with_data(tmp_path)
    writes = READS + '\n# %%\nwith open("data/points.csv", "w") as f:\n    f.write("lost")\n'
    (root / "sources" / "01_data.py").write_text(HEADER + writes, encoding="utf-8")
    built = run_build(root, "build")
    assert built.returncode != 0
    out = built.stdout + built.stderr
    assert "sources/01_data.py:22: cell (lines 22-24) failed: OSError" in out, out
    assert "a lesson may not change the course's files: write to a new name" in out
    assert (root / "sources" / "data" / "points.csv").read_text(encoding="utf-8") == "x,y\n1,2\n"


def test_a_missing_data_file_says_where_a_lesson_runs(tmp_path):
    root = course_with_data(tmp_path)
    (root / "sources" / "data" / "points.csv").unlink()
    built = run_build(root, "build")
    out = built.stdout + built.stderr
    assert "FileNotFoundError" in out and "shows the files beside it in sources/" in out, out
