"""Which failures another attempt can fix, and how long to wait before it.

Transient, retried in the step with exponential backoff and jitter (so runs that failed
together do not retry together): the network (Groq, the Hugging Face Hub, the Kaggle API, the
pages and links of the web) and a busy or briefly unreachable database. Final, never retried:
whatever an asset raises as `dg.Failure(allow_retries=False)` (refused credentials, a bad
setting, a malformed dump) and a resource that cannot be set up (a bad setting, an unreachable
DATABASE_URL) — a retry would meet the same value. dagster.yaml's run retries cover a crashed
worker only, so the two layers do not multiply.
"""

import dagster as dg

# Network-bound assets: retried after about 30 s, 90 s, 210 s (each ± 30 s). The clients
# already retry single calls (429, 5xx, timeouts); this covers what outlasts them (an outage,
# a dropped connection).
NETWORK_RETRY = dg.RetryPolicy(
    max_retries=3, delay=30, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
)

# Database-only assets: SQLite already waits out a writer (busy timeout); this covers a
# PostgreSQL restart, a failover or a serialization failure during the step. After about 10 s,
# 30 s (± 10 s). A database that cannot be reached when the step starts fails it at once, naming
# DATABASE_URL: that is far more often a wrong URL than a restart.
DATABASE_RETRY = dg.RetryPolicy(
    max_retries=2, delay=10, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
)

# Article stages: the legacy's 3 tries, the first retry after about 60 s, the second after about
# 120 s (± 60 s of jitter, so articles that failed together do not retry together). The runner
# has already waited out the provider's 429s and retried single calls; this covers an outage
# that outlasts them. A refused key, a budget reached or an
# answer that stayed invalid raise `dg.Failure(allow_retries=False)` and are never retried.
ARTICLE_STAGE_RETRY = dg.RetryPolicy(
    max_retries=2, delay=60, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
)
