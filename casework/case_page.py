"""What higher apps add to a case's page, without casework importing them.

Letters, for one, adds a "Write a letter" action and a panel listing every letter about the
case. A contributor is called with the case and the member looking at it, and returns ``None``
when it has nothing to show that member (it must read through its own scoped selectors)::

    from casework.case_page import CaseAction, register_case_action
    register_case_action(lambda case, membership: CaseAction("Write a letter", url))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from casework.models import Case
from mpoffice.models import Membership


@dataclass(frozen=True)
class CaseAction:
    label: str
    url: str


@dataclass(frozen=True)
class CasePanel:
    title: str
    template_name: str
    context: dict[str, Any] = field(default_factory=dict)


ActionSource = Callable[[Case, Membership], CaseAction | None]
PanelSource = Callable[[Case, Membership], CasePanel | None]

_actions: list[ActionSource] = []
_panels: list[PanelSource] = []


def register_case_action(source: ActionSource) -> None:
    if source not in _actions:
        _actions.append(source)


def register_case_panel(source: PanelSource) -> None:
    if source not in _panels:
        _panels.append(source)


def case_actions(*, case: Case, membership: Membership) -> list[CaseAction]:
    return [action for source in _actions if (action := source(case, membership)) is not None]


def case_panels(*, case: Case, membership: Membership) -> list[CasePanel]:
    return [panel for source in _panels if (panel := source(case, membership)) is not None]
