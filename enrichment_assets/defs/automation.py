"""Declarative automation replaces the beat schedules: downstream assets follow their
upstream when it changes. Dagster's own automation sensor starts stopped; this one runs."""

import dagster as dg

automation = dg.AutomationConditionSensorDefinition(
    name="automation",
    target=dg.AssetSelection.all(),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    description="Evaluates every asset's automation condition (enrichment follows new posts, "
    "embeddings follow enrichment) and launches what is due.",
)
