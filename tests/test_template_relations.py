"""Every template chain through a nullable relation is guarded, so an empty one cannot break a page.

A relation that may be empty (``FollowUpAction.owner`` once the owner's account is deleted,
``Case.assignee`` when nobody is assigned) breaks a page *for good* when a template reaches
through it as a filter's argument or a ``{% url %}`` argument: Django raises there instead of
printing nothing. Elsewhere it prints an empty name or an empty link. So every chain
``x.<nullable relation>.y`` in our templates must sit inside an ``{% if %}`` branch that tests
``x.<relation>`` (or ``x.<relation>_id``), or go through a filter that handles the empty case
(``{{ x.owner|person_name:"no owner" }}``, mpoffice/templatetags/people.py).

The relations are found by walking the models (every nullable foreign key and one-to-one field
of the project's apps); templates are read by Django's own parser. Names are matched, not types:
a chain whose object happens to share a nullable relation's name but never lacks it is listed
in ``NOT_NULLABLE_HERE`` with the reason.
"""

from __future__ import annotations

from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.template import engines
from django.template.base import FilterExpression, Variable
from django.template.defaulttags import IfNode, TemplateLiteral

PROJECT_APPS = {"mpoffice", "casework", "inbound", "campaigns", "privacy", "letters"}

# (template, chain): why the object in that template always has the relation.
NOT_NULLABLE_HERE = {
    ("privacy/export.html", "export.constituent"): "SubjectAccessExport.constituent is required",
    ("letters/reply_forward.html", "reply.letter"): "Reply.letter is required",
    ("letters/bulk_detail.html", "run.template"): "BulkRun.template is required",
    ("letters/bulk_list.html", "run.template"): "BulkRun.template is required",
    ("letters/bulk_detail.html", "sample.constituent"): "a bulk preview sample is one constituent's letter",
    ("casework/boundary_report.html", "row.constituent"): "a boundary report row is one constituent",
    ("letters/bulk_detail.html", "item.constituent"): "BulkItem.constituent is required",
    ("campaigns/surveys/detail.html", "row.option"): "a survey result row is built from its option",
    ("inbound/detail.html", "message.constituent"): "cases are suggested only for a matched constituent",
    ("letters/replies_report.html", "letter.recipient_post"): "only a letter to a post has a reply due date",
}


def nullable_relations() -> set[str]:
    user_model = apps.get_model(settings.AUTH_USER_MODEL)
    names = set()
    for model in apps.get_models():
        if model._meta.app_label not in PROJECT_APPS and model is not user_model:
            continue
        for field in model._meta.get_fields():
            if field.concrete and (field.many_to_one or field.one_to_one) and field.null:
                names.add(field.name)
    return names


def _variables(value):
    """Every template Variable in a node attribute, a filter expression or an {% if %} condition."""
    if isinstance(value, Variable):
        yield value
    elif isinstance(value, FilterExpression):
        yield from _variables(value.var)
        for _function, arguments in value.filters:
            for _is_lookup, argument in arguments:
                yield from _variables(argument)
    elif isinstance(value, TemplateLiteral):
        yield from _variables(value.value)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _variables(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _variables(item)
    elif hasattr(value, "first") and hasattr(value, "second"):  # an {% if %} operator
        yield from _variables(value.first)
        yield from _variables(value.second)


def _walk(nodelist, guards: tuple[tuple[str, ...], ...]):
    """(node, variable, guards) for every variable outside {% if %} conditions, with the lookups
    tested by the {% if %} branches around it."""
    for node in nodelist:
        if isinstance(node, IfNode):
            for condition, branch in node.conditions_nodelists:
                tested = tuple(tuple(v.lookups) for v in _variables(condition) if v.lookups)
                yield from _walk(branch, guards + tested)
            continue
        for name, value in vars(node).items():
            if name in ("token", "origin") or name in getattr(node, "child_nodelists", ()):
                continue
            for variable in _variables(value):
                yield node, variable, guards
        for name in getattr(node, "child_nodelists", ()):
            yield from _walk(getattr(node, name, None) or [], guards)


def _guarded(chain: tuple[str, ...], guards) -> bool:
    relation_id = (*chain[:-1], chain[-1] + "_id")
    return any(guard[: len(chain)] == chain or guard == relation_id for guard in guards)


def unguarded_chains() -> list[str]:
    relations = nullable_relations()
    engine = engines["django"].engine
    root = Path(settings.BASE_DIR) / "templates"
    found = []
    for path in sorted(root.rglob("*.html")) + sorted(root.rglob("*.txt")):
        name = path.relative_to(root).as_posix()
        template = engine.get_template(name)
        for node, variable, guards in _walk(template.nodelist, ()):
            lookups = tuple(variable.lookups or ())
            for position in range(1, len(lookups) - 1):
                if lookups[position] not in relations:
                    continue
                chain = lookups[: position + 1]
                if _guarded(chain, guards) or (name, ".".join(chain)) in NOT_NULLABLE_HERE:
                    break
                line = node.token.lineno
                found.append(f"{name}:{line}: {variable.var} (through {'.'.join(chain)}, which may be empty)")
                break
    return found


def test_the_walk_finds_the_relations_that_broke_pages():
    relations = nullable_relations()
    assert {"owner", "assignee", "created_by", "recipient_post", "case", "by"} <= relations
    assert "office" not in relations  # required everywhere: never flagged


def test_the_walk_finds_an_unguarded_chain_and_accepts_a_guarded_one():
    engine = engines["django"].engine
    broken = engine.from_string('{{ a.owner.get_full_name|default:a.owner.username|default:"–" }}')
    guarded = engine.from_string("{% if a.owner_id %}{{ a.owner.get_full_name|default:a.owner.username }}{% endif %}")
    otherwise = engine.from_string("{% if a.owner %}yes{% else %}{{ a.owner.username }}{% endif %}")
    relations = nullable_relations()

    def flagged(template):
        return [
            v.var
            for _node, v, guards in _walk(template.nodelist, ())
            if len(v.lookups or ()) > 2 and v.lookups[1] in relations and not _guarded(tuple(v.lookups[:2]), guards)
        ]

    assert flagged(broken) == ["a.owner.get_full_name", "a.owner.username"]
    assert flagged(guarded) == []
    assert flagged(otherwise) == ["a.owner.username"]


def test_no_template_reaches_through_a_relation_that_may_be_empty_without_a_guard():
    assert unguarded_chains() == []
