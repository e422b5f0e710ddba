"""MyST markdown (Jupyter Book's) → the CommonMark a lesson's prose is written in.

A chapter of a Jupyter Book marks its notes, figures and cross-references with MyST
directives and roles, which CommonMark shows as code blocks and stray braces. `make adopt`
(scripts/adopt.py) rewrites the common ones into what they mean on a slide and a page:

- an admonition (`{note}`, `{warning}`, `{tip}`, ..., or `{admonition} Title`) → a quote
  opening with its title in bold;
- `{figure}` and `{image}` → an image, its caption (or `:alt:`) as alt text and the caption
  below it; `{math}` → `$$...$$`; `{code-block} python` → a fenced block;
- a role (`{ref}`, `{numref}`, `{doc}`, `{term}`) → its text; `{cite}` → `[key]`;
  `{math}` → `$...$`; a `(label)=` target and an equation's `(label)` → dropped.

Any other directive stays as it was and is named in the notes for the author.
"""

from __future__ import annotations

import re

ADMONITIONS = {
    "note", "warning", "tip", "important", "hint", "caution", "attention", "danger",
    "error", "seealso",
}  # fmt: skip
OPENING = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|:{3,})\{(?P<name>[\w-]+)\}\s*(?P<arg>.*)$")
OPTION = re.compile(r"^\s*:(?P<key>[\w-]+):\s*(?P<value>.*)$")
ROLE = re.compile(r"\{(?P<name>[\w:-]+)\}`(?P<text>[^`]*)`")
TARGET = re.compile(r"^\s*\([\w:.-]+\)=\s*$")
EQUATION_LABEL = re.compile(r"(\$\$)\s*\([\w:.-]+\)\s*$", re.MULTILINE)


def commonmark(source: str) -> tuple[str, list[str]]:
    """The prose with MyST's directives and roles rewritten; what was left, one note each."""
    left: list[str] = []
    text = "\n".join(_directives(source.splitlines(), left))
    text = EQUATION_LABEL.sub(r"\1", ROLE.sub(lambda match: _role(match, left), text))
    return text, left


def _directives(lines: list[str], left: list[str]) -> list[str]:
    out, index = [], 0
    while index < len(lines):
        opening = OPENING.match(lines[index])
        if TARGET.match(lines[index]):
            index += 1
            continue
        if not opening:
            out.append(lines[index])
            index += 1
            continue
        end = _closing(lines, index, opening["fence"])
        options, body = _options_and_body(lines[index + 1 : end])
        body = _directives(body, left)  # an admonition may hold a figure
        converted = _directive(opening["name"], opening["arg"].strip(), options, body)
        if converted is None:
            left.append(f"a MyST `{{{opening['name']}}}` directive is left as it was: rewrite it")
            converted = lines[index : end + 1]
        out += [opening["indent"] + line if line else line for line in converted]
        index = end + 1
    return out


def _closing(lines: list[str], start: int, fence: str) -> int:
    """The line that closes the directive opened at `start` (the last line, if none does)."""
    for index in range(start + 1, len(lines)):
        stripped = lines[index].strip()
        if stripped and set(stripped) == {fence[0]} and len(stripped) >= len(fence):
            return index
    return len(lines) - 1


def _options_and_body(lines: list[str]) -> tuple[dict[str, str], list[str]]:
    options, index = {}, 0
    while index < len(lines) and (option := OPTION.match(lines[index])):
        options[option["key"]] = option["value"].strip()
        index += 1
    body = lines[index:]
    while body and not body[0].strip():
        body = body[1:]
    return options, body


def _directive(name: str, argument: str, options: dict, body: list[str]) -> list[str] | None:
    if name in ADMONITIONS or name == "admonition":
        title = argument if name == "admonition" and argument else name.capitalize()
        title = "See also" if name == "seealso" else title
        title = title if title[-1:] in ".?!:" else f"{title}."
        first, rest = (body[0], body[1:]) if body else ("", [])
        return _quoted([f"**{title}** {first}".rstrip(), *rest])
    if name in ("figure", "image"):
        caption = " ".join(line.strip() for line in body if line.strip())
        alt = options.get("alt") or caption
        return [f"![{alt}]({argument})", *(["", f"*{caption}*"] if caption else [])]
    if name == "math":
        return ["$$", *body, "$$"]
    if name in ("code-block", "code", "sourcecode"):
        return [f"```{argument}", *body, "```"]
    return None


def _quoted(lines: list[str]) -> list[str]:
    return [f"> {line}" if line.strip() else ">" for line in lines]


def _role(match: re.Match, left: list[str]) -> str:
    name, text = match["name"], match["text"]
    if name == "math":
        return f"${text}$"
    if name == "cite" or name.startswith("cite:"):
        return "[" + ", ".join(key.strip() for key in text.split(",")) + "]"
    shown = re.match(r"^(.*?)\s*<[^>]*>$", text)  # `text <target>`: the text
    if shown:
        return shown[1]
    if name in ("ref", "numref", "eq", "doc"):
        left.append(f"a MyST {{{name}}} reference to {text} became the word {text!r}: reword it")
    return text
