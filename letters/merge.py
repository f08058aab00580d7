"""Safe merge fields for letter templates and letter bodies.

Template text is written by office staff, so it is data, never code: the Django template
engine is NOT used on it. The only thing a template can do is name one of a small fixed set
of fields as ``{{ field_name }}``; each is replaced by a plain string. Anything else that
looks like template syntax (tags, comments, attribute access, filters, unknown names) is
refused when the template is saved, and refused again at render time. Values are inserted in
one pass, so a value that itself contains ``{{ ... }}`` is never expanded. The result is
plain text: whatever shows it (the HTML preview, the PDF) escapes it.
"""

from __future__ import annotations

import re

MERGE_FIELDS: dict[str, str] = {
    "constituent_name": "the constituent's name, e.g. Mrs Jane Smith",
    "constituent_address": "the constituent's postal address, one line per part",
    "salutation": "the greeting, e.g. Dear Mrs Smith (or Dear Home Secretary)",
    "case_reference": "the reference of the case, e.g. MKS-2026-00123",
    "mp_name": "the MP's name",
    "constituency": "the MP's constituency",
    "date": "the date of the letter, e.g. 3 March 2026",
    "recipient_name": "the name of the person the letter is to",
    "recipient_post": "their post, e.g. Home Secretary",
    "letter_reference": "the reference of the letter, e.g. MKS-L-2026-0007",
}

# A well-formed field: exactly a known-shape name between double braces.
_FIELD = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")
# Everything that opens or closes template syntax of any engine we might be mistaken for.
_ANY_BRACES = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
_FORBIDDEN = re.compile(r"\{%|%\}|\{#|#\}|\{\{|\}\}")


class MergeError(ValueError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__(" ".join(problems))
        self.problems = problems


def allowed_fields_text() -> str:
    return ", ".join(f"{{{{ {name} }}}}" for name in MERGE_FIELDS)


def template_problems(text: str) -> list[str]:
    """Why this text cannot be used as a template (empty list: it is fine)."""
    problems: list[str] = []
    unknown: list[str] = []
    for match in _ANY_BRACES.finditer(text):
        inner = match.group(1).strip()
        if re.fullmatch(r"[a-z_]+", inner):
            if inner not in MERGE_FIELDS:
                unknown.append(inner)
        else:
            problems.append(
                f"“{{{{{match.group(1)[:40]}}}}}” is not a merge field: only a field name may go between "
                "double braces (no dots, filters or spaces inside a name)."
            )
    if unknown:
        names = ", ".join(sorted(set(unknown)))
        problems.append(f"Unknown merge field: {names}.")
    leftover = _FORBIDDEN.search(_ANY_BRACES.sub("", text))
    if leftover:
        problems.append(
            f"“{leftover.group(0)}” looks like template code, which letters cannot contain. "
            "Remove it, or use only merge fields."
        )
    if problems:
        problems.append(f"Allowed fields: {allowed_fields_text()}.")
    return problems


def render(text: str, values: dict[str, str]) -> str:
    """Replace each merge field by its value. Refuses text that fails ``template_problems``."""
    problems = template_problems(text)
    if problems:
        raise MergeError(problems)
    return _FIELD.sub(lambda match: str(values.get(match.group(1), "")), text)
