"""No markup string is ever built out of outside text in the wizard: a scan of wizard403/tui keeps it so.

A widget that takes a `str` parses it as Textual markup, so a server's `[ @click=app.quit]` in an f-string
becomes an action. The rule the scan enforces: nothing handed to a widget, a notification, a tooltip, a title or
the command palette is an f-string, a %-format, a `.format()` or a concatenation, unless `markup=False` says it is
plain. Styled lines are composed with `wizard403.tui.text` (`line`, `plain`, `styled`): Content, never markup.
`escape()` is banned (it lets `[ @click=...]` through), and so are the plain Markdown widget (its parser makes
links) and `Content.from_markup` on anything but a literal.
"""

from __future__ import annotations

import ast
from pathlib import Path

TUI = Path(__file__).resolve().parents[1] / "wizard403" / "tui"

# Widgets and calls that read a str argument as markup (or show it as a title, a tooltip, a palette entry).
SINK_CLASSES = {
    "Static", "Label", "Button", "Option", "RadioButton", "Checkbox", "Collapsible", "TabPane", "ListItem",
    "Markdown", "SafeMarkdown", "ConfirmScreen", "PromptScreen", "SystemCommand", "Hit", "DiscoveryHit", "Select",
    "Tab", "Toast", "Binding",
}
SINK_METHODS = {"update", "notify", "add_option", "add_options", "set_options", "panic", "from_markup", "add_pane",
                "add_row", "add_column"}
SINK_ATTRIBUTES = {"tooltip", "title", "sub_title", "label", "border_title", "border_subtitle", "prompt"}
PLAIN_KEYWORDS = {"id", "classes", "name", "severity", "timeout", "variant", "markup"}
BANNED_IMPORTS = {("rich.markup", "escape"), ("textual.markup", "escape"), ("rich.markup", "render")}


def is_formatted(node: ast.AST) -> bool:
    """A string built at run time from values: f-string, %-format, .format(), or + with a non-literal."""
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(v, ast.FormattedValue) for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        return isinstance(node.left, (ast.Constant, ast.JoinedStr))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        sides = (node.left, node.right)
        stringy = any(isinstance(s, ast.JoinedStr) or (isinstance(s, ast.Constant) and isinstance(s.value, str)) for s in sides)
        literal = all(isinstance(s, ast.Constant) for s in sides)
        return (stringy and not literal) or any(is_formatted(s) for s in sides)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        return isinstance(node.func.value, (ast.Constant, ast.JoinedStr))
    if isinstance(node, ast.IfExp):
        return is_formatted(node.body) or is_formatted(node.orelse)
    return False


def _name(func: ast.AST) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def offences(source: str, filename: str = "<src>") -> list[str]:
    tree = ast.parse(source, filename=filename)
    found = []
    for node in ast.walk(tree):
        where = f"{filename}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Call):
            name = _name(node.func)
            plain = any(k.arg == "markup" and isinstance(k.value, ast.Constant) and k.value.value is False for k in node.keywords)
            if name in SINK_CLASSES or name in SINK_METHODS:
                args = list(node.args) + [k.value for k in node.keywords if k.arg not in PLAIN_KEYWORDS]
                if not plain and any(is_formatted(a) for a in args):
                    found.append(f"{where}: {name}() gets a formatted string (compose Content, or markup=False)")
                if name == "from_markup" and node.args and not isinstance(node.args[0], ast.Constant):
                    found.append(f"{where}: from_markup() of something that is not a literal")
            if name == "Markdown" and not filename.endswith("tui/markdown.py"):
                found.append(f"{where}: Markdown() makes links and reads HTML: use SafeMarkdown")
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Attribute) and target.attr in SINK_ATTRIBUTES and node.value is not None:
                    if is_formatted(node.value) or isinstance(node, ast.AugAssign):
                        found.append(f"{where}: .{target.attr} set from a formatted string")
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                if (node.module, alias.name) in BANNED_IMPORTS:
                    found.append(f"{where}: {node.module}.{alias.name} does not make outside text safe")
    return found


def test_the_scan_finds_what_it_looks_for():
    """A positive control: each kind of offence in a snippet is reported, and the composed forms are not."""
    bad = (
        "from rich.markup import escape\n"
        "Static(f'{server}')\n"
        "label.update('%s' % value)\n"
        "self.notify('Saved {}'.format(path))\n"
        "Option('x ' + url)\n"
        "w.tooltip = f'{x}'\n"
        "Content.from_markup(text)\n"
        "Markdown(body)\n"
        "Button(f'{a}' if b else 'c')\n"
    )
    assert len(offences(bad)) == 9, offences(bad)
    good = (
        "Static(line(('Step', 'bold'), title))\n"
        "label.update(plain(f'{server}'))\n"
        "self.notify(f'Saved {path}', markup=False)\n"
        "Static('constant [b]markup[/b]')\n"
        "Content.from_markup('[b]x[/b]')\n"
        "SafeMarkdown(md_plain(text))\n"
    )
    assert offences(good) == []


def test_no_markup_string_is_built_from_outside_text_in_the_wizard():
    found = []
    for path in sorted(TUI.rglob("*.py")):
        found += offences(path.read_text(encoding="utf-8"), str(path.relative_to(TUI.parent.parent)))
    assert found == [], "\n".join(found)
