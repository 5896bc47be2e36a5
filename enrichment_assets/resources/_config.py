"""What every resource shares: fields left unset fall back to the settings, read once a run
sets the resource up, so a bad value fails the run before any work with one line naming it."""

from __future__ import annotations

from typing import Any, ClassVar, TypeVar

import dagster as dg
from pydantic import PrivateAttr

from enrichment_assets.settings import SettingsError

T = TypeVar("T")
G = TypeVar("G")


def field_or_setting(field_value: T | None, setting: T) -> T:
    """The one rule for a resource field or a run-config knob: set, it wins; None means the
    setting. 0, False and "" are values (`requests_per_minute: 0` is not "unset")."""
    return setting if field_value is None else field_value


def settings_failure(error: SettingsError) -> dg.Failure:
    """A bad setting as a step or resource failure: its one line, and no retry (a retry
    would read the same value)."""
    return dg.Failure(description=str(error), allow_retries=False)


class SettingsResource(dg.ConfigurableResource):
    """A resource backed by groups of settings (`settings_groups`). A run (or a sensor tick)
    loads and validates them when it sets the resource up and keeps that snapshot; outside a
    run (a script, a test) they are read on each use, so a changed environment is seen."""

    settings_groups: ClassVar[tuple[type, ...]] = ()

    _settings: dict[type, Any] = PrivateAttr(default_factory=dict)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        try:
            self._settings = {group: group.load() for group in self.settings_groups}
        except SettingsError as error:
            raise settings_failure(error) from None

    def settings(self, group: type[G]) -> G:
        snapshot = self._settings.get(group)
        return snapshot if snapshot is not None else group.load()
