"""Panels that apps above mpoffice add to the System status page (casework: the office's
mailboxes), registered in their ``AppConfig.ready`` so that mpoffice imports none of them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from mpoffice.models import Office


@dataclass(frozen=True)
class StatusPanel:
    template: str
    context: Callable[[Office], dict]


_PANELS: list[StatusPanel] = []


def register_status_panel(panel: StatusPanel) -> None:
    if panel not in _PANELS:
        _PANELS.append(panel)


def status_panels(*, office: Office) -> list[tuple[str, dict]]:
    return [(panel.template, panel.context(office)) for panel in _PANELS]
