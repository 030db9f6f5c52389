"""Every refusal in app/documents is an N_() template with parameters, never a sentence built in Python: a page
shows it in the reader's language (the catalog knows it) and the API in English."""

from __future__ import annotations

import ast
from pathlib import Path

import app.documents
from app.web.templating import gettext_for

DOCUMENTS = Path(app.documents.__file__).parent
# The errors people read: the domain errors, and the file-type refusal the upload turns into one.
REFUSALS = {
    "DomainError",
    "InvalidInput",
    "InvalidForm",
    "Forbidden",
    "RefusalRecorded",
    "NotFound",
    "Conflict",
    "PayloadTooLarge",
    "UnsupportedMediaType",
    "UnsupportedFileType",
}


def _called(node: ast.Call) -> str:
    return node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")


def _message_templates(tree: ast.Module) -> dict[str, str]:
    """Module-level names bound to N_("..."): LOOKS_LIKE = N_("This looks like %(what)s. ...")."""
    found = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and _called(node.value) == "N_":
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found[target.id] = ast.literal_eval(node.value.args[0])
    return found


def test_every_refusal_is_a_message_template_the_catalog_translates() -> None:
    japanese = gettext_for("ja")
    problems, checked = [], 0
    for path in sorted(DOCUMENTS.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        templates = _message_templates(tree)
        for node in ast.walk(tree):
            if (
                not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call))
                or _called(node.exc) not in REFUSALS
            ):
                continue
            where = f"{path.name}:{node.lineno}"
            if not node.exc.args:
                continue  # re-raised with the message of the error it replaces (exc.message) by keyword
            message = node.exc.args[0]
            if isinstance(message, ast.Call) and _called(message) == "N_":
                text = ast.literal_eval(message.args[0])
            elif isinstance(message, ast.Name) and message.id in templates:
                text = templates[message.id]
            elif isinstance(message, ast.Attribute | ast.Subscript | ast.Name):
                checked += 1
                continue  # a template held elsewhere: exc.message, rules.denied[action], CONTENT_REFUSED
            else:
                problems.append(f"{where}: {ast.unparse(message)[:80]} is not an N_() template")
                continue
            checked += 1
            if japanese(text) == text:
                problems.append(f"{where}: {text!r} has no Japanese translation")
    assert checked > 30, "the walker found too few refusals; has the code moved?"
    assert not problems, "\n".join(problems)
