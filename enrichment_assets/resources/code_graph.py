"""`code_graph`: where repositories may live and how much a run may do (CODE_GRAPH_*)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from enrichment_assets.resources._config import SettingsResource, field_or_setting
from enrichment_assets.settings import CodeGraphSettings


class CodeGraphResource(SettingsResource):
    """The code graph's settings; docs/configuration.md lists each one."""

    settings_groups = (CodeGraphSettings,)

    max_file_kb: int | None = Field(default=None, ge=1, description="CODE_GRAPH_MAX_FILE_KB")
    soft_limit_minutes: float | None = Field(
        default=None, ge=0, description="CODE_GRAPH_SOFT_LIMIT_MINUTES"
    )

    def options(self) -> CodeGraphSettings:
        return self.settings(CodeGraphSettings)

    def roots(self) -> list[Path]:
        return self.options().roots()

    def max_file_bytes(self) -> int:
        return field_or_setting(self.max_file_kb, self.options().code_graph_max_file_kb) * 1024

    def soft_limit_seconds(self) -> float:
        minutes = field_or_setting(
            self.soft_limit_minutes, self.options().code_graph_soft_limit_minutes
        )
        return minutes * 60
