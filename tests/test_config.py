"""`[tool.course]`: read once, checked, and shown where the course presents itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts.config import Colours, CourseConfig, load_config
from scripts.errors import CourseError

from .conftest import REPO, run_build


def write(root: Path, table: str) -> Path:
    (root / "pyproject.toml").write_text('[project]\nname = "x"\n\n' + table, encoding="utf-8")
    return root


def test_no_pyproject_or_no_table_gives_the_defaults(tmp_path):
    assert load_config(tmp_path) == CourseConfig()
    assert load_config(write(tmp_path, "")) == CourseConfig()


def test_every_key_is_read_into_a_frozen_config(tmp_path):
    (tmp_path / "logo.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    config = load_config(
        write(
            tmp_path,
            "[tool.course]\n"
            'title = "Deep Learning 101"\nsubtitle = "Spring term"\n'
            'authors = ["Ada Lovelace", "Alan Turing", "Grace Hopper"]\n'
            'institution = "University of Somewhere"\nlogo = "logo.svg"\n'
            'licence = "CC BY 4.0"\nlanguage = "de-CH"\n'
            'repository = "https://example.org/course"\nbase_url = "https://example.org/"\n'
            '[tool.course.colours]\naccent = "#aa0000"\n',
        )
    )
    assert config.title == "Deep Learning 101" and config.language == "de-CH"
    assert config.author == "Ada Lovelace, Alan Turing and Grace Hopper"
    assert config.logo == (tmp_path / "logo.svg").resolve()
    assert config.colours == Colours(accent="#aa0000")
    with pytest.raises(AttributeError):
        config.title = "changed"  # frozen: read once, passed down, never edited


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('[tool.course]\ntitle = "T"\ncolour = "red"\n', "pyproject.toml:6: unknown key "
         "`tool.course.colour`; use one of title, subtitle"),
        ("[tool.course]\ntitle = 3\n", "pyproject.toml:5: `tool.course.title` is 3, not text"),
        ('[tool.course]\nauthors = "Ada"\n', "pyproject.toml:5: `tool.course.authors` is 'Ada'"),
        ('[tool.course]\nlogo = "missing.svg"\n', "pyproject.toml:5: the logo missing.svg does"),
        ('[tool.course]\nlanguage = "English!"\n', "pyproject.toml:5: 'English!' is not a"),
        ('[tool.course]\nrepository = "github.com/x"\n', "pyproject.toml:5: `repository`"),
        ('[tool.course]\n\n[tool.course.colours]\naccent = "blue"\n',
         "pyproject.toml:7: colour `accent` is 'blue'"),
        ("[tool.course\n", "pyproject.toml:4: not valid TOML"),
    ],
)  # fmt: skip
def test_a_wrong_key_or_value_is_one_error_naming_the_file_line_and_key(tmp_path, table, message):
    with pytest.raises(CourseError) as error:
        load_config(write(tmp_path, table))
    assert str(error.value).startswith(message)


def test_a_bad_config_stops_the_build_with_one_line(course_copy):
    write(course_copy, "[tool.course]\ntitle = 3\n")
    built = run_build(course_copy, "build")
    assert built.returncode == 1
    assert built.stderr.strip() == (
        'error: pyproject.toml:5: `tool.course.title` is 3, not text; quote it: "..."'
    )


def test_the_config_shows_on_the_course_page_handouts_and_readme(course_copy):
    write(
        course_copy,
        '[tool.course]\ntitle = "Deep Learning 101"\nauthors = ["Ada Lovelace"]\n'
        'institution = "Analytical Engines"\nlicence = "CC BY 4.0"\nlanguage = "fr"\n',
    )
    assert run_build(course_copy, "build", "02").returncode == 0
    index = (course_copy / "build" / "index.html").read_text(encoding="utf-8")
    assert '<html lang="fr">' in index and "<h1>Deep Learning 101</h1>" in index
    assert "Ada Lovelace, Analytical Engines" in index and "CC BY 4.0" in index
    from pypdf import PdfReader

    pdf = PdfReader(course_copy / "build/02_second/02_second_v2.0.worked.pdf")
    assert pdf.metadata["/Author"] == "Ada Lovelace"
    cover = pdf.pages[0].extract_text()
    assert "DEEP LEARNING 101" in cover and "Analytical Engines" in cover
    readme = (course_copy / "README.md").read_text(encoding="utf-8")
    assert "*Deep Learning 101* by Ada Lovelace, licensed CC BY 4.0" in readme


def test_running_outside_a_course_folder_is_one_error(tmp_path):
    built = run_build(tmp_path, "build")
    assert built.returncode == 1
    assert "sources: no such folder: this is not a course" in built.stderr
    assert "Traceback" not in built.stderr


def test_this_course_names_itself_and_its_authors():
    config = load_config(REPO)
    assert (config.title, config.author) == (
        "PyTorch Fundamentals",
        "The PyTorch Fundamentals team",
    )
