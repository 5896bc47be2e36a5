"""`alerts`: where a failed run is announced besides the log (a Slack-compatible webhook)."""

from __future__ import annotations

from pydantic import Field

from enrichment_assets.lib.operations.alerts import RunFailure, post_webhook
from enrichment_assets.resources._config import SettingsResource, field_or_setting
from enrichment_assets.settings import OperationsSettings


class AlertsResource(SettingsResource):
    """Posts failed runs to `ALERT_WEBHOOK_URL` when it is set. The URL is a secret (it
    usually carries a token): it is never logged, returned or shown in metadata."""

    settings_groups = (OperationsSettings,)

    webhook_url: str | None = Field(default=None, description="unset means ALERT_WEBHOOK_URL")
    timeout_seconds: float = Field(default=5.0, description="seconds to wait for the webhook")

    def _webhook_url(self) -> str | None:
        secret = self.settings(OperationsSettings).alert_webhook_url
        return field_or_setting(self.webhook_url, secret.get_secret_value() if secret else None)

    def post(self, failure: RunFailure) -> str:
        """Post the alert; what happened, in words safe to log."""
        return post_webhook(failure, self._webhook_url(), timeout_seconds=self.timeout_seconds)
