"""The source diff between two versions of a lesson: prose as words, code as lines, no solutions."""

from __future__ import annotations

from scripts.sourcediff import diff_sources

from .conftest import FIXTURES

OLD = (FIXTURES / "course" / "sources" / "01_tag_table.py").read_text(encoding="utf-8")


def changed(new: str):
    return diff_sources(OLD, new)


def test_same_source_has_no_changes():
    assert changed(OLD).empty


def test_a_code_edit_shows_the_old_and_new_line_with_context():
    (cell,) = changed(OLD.replace("values = [1, 2, 3]", "values = [1, 2, 3, 4]")).cells
    assert (cell.status, cell.cell_type, cell.where) == (
        "changed",
        "code",
        "Plain heading MARK_PLAIN_MD",
    )
    assert [(s.kind, s.text) for s in cell.segments] == [
        ("del", "values = [1, 2, 3]"),
        ("ins", "values = [1, 2, 3, 4]"),
        ("same", 'print("OUT" + "_PLAIN", sum(values))  # MARK_PLAIN_CODE'),
    ]


def test_a_prose_edit_shows_the_words_that_changed_not_the_comment_markers():
    (cell,) = changed(OLD.replace("Print the sum of cubes.", "Print the sum of squares.")).cells
    assert cell.cell_type == "prose"
    assert [(s.kind, s.text) for s in cell.segments if s.kind != "same"] == [
        ("del", "cubes."),
        ("ins", "squares."),
    ]
    assert not any(s.text.startswith("# ") for s in cell.segments)  # text, not the .py comments


def test_a_changed_solution_is_reported_without_its_code():
    new = OLD.replace("sum(v**3 for v in values)", "sum(v**4 for v in values)  # SECRET")
    (cell,) = changed(new).cells
    assert (cell.status, cell.cell_type, cell.segments) == ("changed", "solution", ())


def test_an_added_cell_and_a_removed_cell_are_whole():
    new = OLD.replace(
        '# %% tags=["slides-only"]\nprint("OUT" + "_SLIDES_ONLY")  # MARK_SLIDES_ONLY\n',
        '# %%\nprint("a new cell")\n',
    )
    (cell,) = changed(new).cells  # one code cell changed, in its text and in its tags
    assert (cell.status, cell.cell_type, cell.retagged) == (
        "changed",
        "code",
        "slides-only → no tags",
    )
    assert [s.kind for s in cell.segments] == ["del", "ins"]
    added = OLD + "\n# %% [markdown]\n# ## A new slide\n# With new prose.\n"
    (cell,) = changed(added).cells
    assert (cell.status, cell.where) == ("added", "A new slide")
    assert [s.kind for s in cell.segments] == ["ins"]
    (gone,) = diff_sources(added, OLD).cells
    assert gone.status == "removed"


def test_a_tag_only_change_says_where_the_cell_shows_now_and_no_text_changed():
    new = OLD.replace('# %% tags=["handout-only"]', '# %% tags=["slides-only"]')
    (cell,) = changed(new).cells
    assert (cell.status, cell.cell_type, cell.segments) == ("changed", "code", ())
    assert cell.retagged == "handout-only → slides-only"


def test_header_changes_name_title_and_topics_not_version_or_date():
    new = OLD.replace('"Math: inline and display"', '"Math, inline"').replace('"1.3"', '"1.4"')
    assert changed(new).header == (
        "Topic removed: Math: inline and display",
        "Topic added: Math, inline",
    )
