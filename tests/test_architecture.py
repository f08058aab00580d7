"""Imports point down: an app may import the apps below it, never those above or beside it.

The layers, top to bottom::

    briefings   the read side: the MP's dashboard, campaign briefings, home lists, weekly summary
    letters     letters, replies, bulk mailings, the letter inbox
    inbound     inbound mail: intake, threads, triage          } one band: siblings
    campaigns   campaigns, key facts, meetings, surveys        } never import
    privacy     audit trails, subject access, erasure, retention } each other
    casework    constituents, cases, contacts and timeline, search, CSV imports
    geography   the ONS postcode directory, area names, the office's constituency
    mpoffice    the foundation: offices, people, roles, access, notifications, reminders, settings

A lower app lets a higher one contribute through a registry the higher one fills in its
``AppConfig.ready()`` (see the README's *Architecture* section), never by importing it; apps of
one band do the same through the registries below them (privacy reaches inbound's e-mails and
campaigns' survey responses through ``casework.subjectdata``). Adding a layer is one line in
``LAYERS``. Every module of each app is read with ``ast`` (the import
statements at any depth, relative ones resolved), except migrations, which Django writes.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

LAYERS = [  # top to bottom; the apps of one band may not import each other
    ["briefings"],
    ["letters"],
    ["inbound", "campaigns", "privacy"],
    ["casework"],
    ["geography"],
    ["mpoffice"],
]
APPS = [app for band in LAYERS for app in band]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) for every import in the file."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # from . import x / from ..y import z
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            found.append((node.lineno, name))
    return found


def _app_modules(app: str):
    for path in sorted((ROOT / app).rglob("*.py")):
        if "migrations" not in path.relative_to(ROOT).parts:
            yield path


def upward_imports() -> list[str]:
    rank = {app: level for level, band in enumerate(LAYERS) for app in band}  # 0 is the top
    problems = []
    for app in APPS:
        for path in _app_modules(app):
            for line, name in _imported_modules(path):
                target = name.split(".")[0]
                if target == app or target not in rank:
                    continue
                if rank[target] < rank[app]:
                    problems.append(f"{path.relative_to(ROOT)}:{line} ({app}) imports {name} ({target} is above {app})")
                elif rank[target] == rank[app]:
                    problems.append(
                        f"{path.relative_to(ROOT)}:{line} ({app}) imports {name} ({target} is beside {app})"
                    )
    return problems


def test_every_layer_exists_as_an_app():
    assert [app for app in APPS if not (ROOT / app / "apps.py").is_file()] == []


def test_no_app_imports_an_app_above_it():
    problems = upward_imports()
    assert problems == [], "A lower app imports a higher one:\n" + "\n".join(problems)


def test_the_check_sees_imports_at_any_depth(tmp_path, monkeypatch):
    # The check itself can fail: an import inside a function or a subpackage is seen; migrations are not read.
    for app in APPS:
        (tmp_path / app).mkdir()
        (tmp_path / app / "apps.py").write_text("")
    (tmp_path / "mpoffice" / "views.py").write_text("def view():\n    from casework.models import Case\n")
    (tmp_path / "casework" / "sub").mkdir()
    (tmp_path / "casework" / "sub" / "x.py").write_text("from . import y\nimport letters.models as letter_models\n")
    (tmp_path / "privacy" / "services.py").write_text("def erase():\n    from inbound.models import InboundMessage\n")
    (tmp_path / "casework" / "migrations").mkdir()
    (tmp_path / "casework" / "migrations" / "0001_x.py").write_text("import letters\n")
    monkeypatch.setitem(globals(), "ROOT", tmp_path)

    assert upward_imports() == [
        "privacy/services.py:2 (privacy) imports inbound.models (inbound is beside privacy)",
        "casework/sub/x.py:2 (casework) imports letters.models (letters is above casework)",
        "mpoffice/views.py:2 (mpoffice) imports casework.models (casework is above mpoffice)",
    ]
