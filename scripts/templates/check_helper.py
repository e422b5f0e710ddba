# Added by the course build. Run this cell once: it lets the `%%check` cells below tell you,
# line by line, which checks your answer passes. Each check is one `assert`; its message is
# the hint you see when your answer is not there yet.
import ast

from IPython.core.magic import register_cell_magic


def _run_check(test, hint, names):
    """One line for one check: what passed, or the hint for what did not."""
    condition = " ".join(ast.unparse(test).split())
    wanted = {node.id for node in ast.walk(test) if isinstance(node, ast.Name)}
    try:
        if eval(compile(ast.Expression(test), "check", "eval"), names):
            return f"✓ {condition}"
        problem = ""
    except NameError as error:
        if error.name in wanted:  # a name the answer defines: not written or not run yet
            return f"not attempted yet: `{error.name}` is not defined"
        problem = f" (your code raised NameError: {error})"
    except Exception as error:  # any other error means: not there yet
        problem = f" (your code raised {type(error).__name__}: {error})"
    try:
        text = str(eval(compile(ast.Expression(hint), "hint", "eval"), names))
    except Exception:  # no message, or one that cannot be worked out for this answer
        text = f"{condition} is not true"
    return f"not yet: {text}{problem}"


@register_cell_magic
def check(line, cell):
    """Run each assert of the cell in turn and print one line per check."""
    names = get_ipython().user_ns  # noqa: F821 (Jupyter defines get_ipython)
    checks = [s for s in ast.parse(cell).body if isinstance(s, ast.Assert)]
    lines = [_run_check(s.test, s.msg, names) for s in checks]
    if all(line.startswith("not attempted yet") for line in lines):
        print("not attempted yet: write your answer in the cell above, run it, then run this one")
        return
    print(*lines, sep="\n")
    passed = sum(line.startswith("✓") for line in lines)
    if passed == len(checks):
        print(f"All {passed} checks passed.")
    else:
        print(f"{passed} of {len(checks)} checks passed: keep going.")
