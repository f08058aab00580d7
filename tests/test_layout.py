"""The apps stay readable: no module over 600 lines (migrations aside, which Django writes),
and one place for an app's views and one for its forms (``views.py`` or a ``views/`` package;
never a ``bulk_views.py`` beside them). An app that outgrows a module splits it by concern into
a package whose ``__init__`` re-exports the names other code imports.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_architecture import APPS, ROOT

MAX_LINES = 600


def _modules(app: str) -> list[Path]:
    return sorted(path for path in (ROOT / app).rglob("*.py") if "migrations" not in path.relative_to(ROOT).parts)


@pytest.mark.parametrize("app", APPS)
def test_no_module_is_over_600_lines(app: str) -> None:
    modules = _modules(app)
    assert modules, f"{app} has no modules: is LAYERS out of date?"
    too_long = {
        str(path.relative_to(ROOT)): lines
        for path in modules
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert too_long == {}, f"split these by concern (at most {MAX_LINES} lines each)"


@pytest.mark.parametrize("app", APPS)
def test_one_views_and_one_forms_module_per_app(app: str) -> None:
    second = [str(path.relative_to(ROOT)) for path in _modules(app) if path.name.endswith(("_views.py", "_forms.py"))]
    assert second == [], "views and forms live in the app's views.py / views/ and forms.py / forms/"


def test_the_checks_see_a_long_module_and_a_second_views_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The checks above would fail on an app that breaks the rules."""
    app = tmp_path / "sprawl"
    (app / "migrations").mkdir(parents=True)
    (app / "services.py").write_text("x = 1\n" * (MAX_LINES + 1))
    (app / "migrations" / "0001_initial.py").write_text("x = 1\n" * (MAX_LINES + 5))
    (app / "views.py").write_text("")
    (app / "bulk_views.py").write_text("")
    monkeypatch.setitem(globals(), "ROOT", tmp_path)
    with pytest.raises(AssertionError) as long_module:
        test_no_module_is_over_600_lines("sprawl")
    assert "sprawl/services.py" in str(long_module.value)
    assert "0001_initial" not in str(long_module.value)
    with pytest.raises(AssertionError) as second_views:
        test_one_views_and_one_forms_module_per_app("sprawl")
    assert "sprawl/bulk_views.py" in str(second_views.value)
