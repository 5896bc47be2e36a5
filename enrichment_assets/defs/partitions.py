"""Every PartitionsDefinition, defined once.

Posts and everything computed from them are partitioned by the UTC day they were published.
The first day is POSTS_START_DATE, read through `settings` when definitions load: the one
setting read then rather than at run time, because Dagster must know a partition set before
any run exists (a bad value fails the load with the setting's name). One day past today is
included so posts published today have a home.
"""

import dagster as dg

from enrichment_assets.settings import PostsSettings

posts_daily = dg.DailyPartitionsDefinition(
    start_date=PostsSettings.load().posts_start_date.isoformat(),
    timezone="UTC",
    end_offset=1,
)

# Dagster pays seconds per run: a backfill of any date range goes in one run.
posts_backfill_policy = dg.BackfillPolicy.single_run()

# The dataset catalog's feeds (Hugging Face, Kaggle latest) by fetch day: partition D owes the
# entries modified during D (and, through the watermark, any day missed before it). The latest
# partition is the last complete UTC day, which is what the daily schedules run; a backfill of
# a range of days re-fetches what was modified then, in one run.
DATASETS_START_DATE = "2024-01-01"
datasets_daily = dg.DailyPartitionsDefinition(start_date=DATASETS_START_DATE, timezone="UTC")
datasets_backfill_policy = dg.BackfillPolicy.single_run()

# One partition per approved article request, named by the request's key (`r<id>-<slug>`):
# requests are few and long-lived, the case dynamic partitions are for. The requests sensor
# adds them; so does `python -m enrichment_assets.articles generate`.
article_requests = dg.DynamicPartitionsDefinition(name="article_requests")

# One partition per registered repository, named `<tenant>.<repository>`: few and long-lived.
# `python -m enrichment_assets.code_graph register` and the `register_repository` job add them.
code_repositories = dg.DynamicPartitionsDefinition(name="code_repositories")
