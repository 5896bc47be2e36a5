"""The tables. Their names and natural keys are a contract (docs/architecture.md); columns may grow.

Every writer upserts on the unique key named here, so any asset can be re-run, killed and
re-run, or run twice at once, and the tables end the same.

The file is one piece: the whole schema on one `metadata`, which the migrations are checked
against (enrichment_assets_tests/storage/test_migrations.py), read top to bottom by domain.
"""

from __future__ import annotations

import sqlalchemy as sa

from enrichment_assets.storage.types import Id, Json, UTCDateTime

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", UTCDateTime, nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", UTCDateTime, nullable=False, server_default=sa.func.now()),
    ]


channels = sa.Table(
    "channels",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("source", sa.String(32), nullable=False),  # telegram | rss | atom | jsonl
    sa.Column("handle", sa.String(512), nullable=False),
    sa.Column("title", sa.Text),
    sa.Column("url", sa.Text),
    *_timestamps(),
    sa.UniqueConstraint("source", "handle"),
)

posts = sa.Table(
    "posts",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("channel_id", Id, sa.ForeignKey("channels.id"), nullable=False),
    sa.Column("external_id", sa.String(512), nullable=False),
    sa.Column("published_at", UTCDateTime, nullable=False),
    sa.Column("text", sa.Text, nullable=False, server_default=""),
    sa.Column("urls", Json, nullable=False),
    sa.Column("url", sa.Text),  # the post's own permalink, where it has one
    sa.Column("author", sa.Text),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("source_file", sa.Text),
    sa.Column("ingested_at", UTCDateTime, nullable=False, server_default=sa.func.now()),
    sa.Column("updated_at", UTCDateTime, nullable=False, server_default=sa.func.now()),
    sa.UniqueConstraint("channel_id", "external_id"),
    sa.Index(None, "published_at"),
    sa.Index(None, "content_hash"),
)

post_enrichment = sa.Table(
    "post_enrichment",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("post_id", Id, sa.ForeignKey("posts.id", ondelete="CASCADE"), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),  # llm | tags | crawl (| vision | ocr)
    sa.Column("status", sa.String(16), nullable=False),  # completed | skipped | error
    sa.Column("payload", Json),
    sa.Column("error", sa.Text),
    sa.Column("provider", sa.String(64)),
    sa.Column("model", sa.String(128)),
    sa.Column("prompt_version", sa.String(64)),
    sa.Column("content_hash", sa.String(64)),
    *_timestamps(),
    sa.UniqueConstraint("post_id", "kind"),
    sa.Index(None, "kind", "status"),
)

llm_usage_log = sa.Table(
    "llm_usage_log",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(64)),
    sa.Column("asset", sa.String(256)),
    sa.Column("partition", sa.String(128)),
    sa.Column("entity_type", sa.String(32)),
    sa.Column("entity_id", sa.String(256)),
    sa.Column("provider", sa.String(64), nullable=False),
    sa.Column("model", sa.String(128)),
    sa.Column("prompt_tokens", sa.Integer, nullable=False, server_default="0"),
    sa.Column("completion_tokens", sa.Integer, nullable=False, server_default="0"),
    sa.Column("total_tokens", sa.Integer, nullable=False, server_default="0"),
    sa.Column("cost_usd", sa.Float, nullable=False, server_default="0"),
    sa.Column("latency_ms", sa.Integer),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("error_type", sa.String(128)),
    sa.Column("created_at", UTCDateTime, nullable=False, server_default=sa.func.now()),
    sa.Index(None, "created_at"),
    sa.Index(None, "run_id"),
)

datasets = sa.Table(
    "datasets",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("source", sa.String(32), nullable=False),  # huggingface | kaggle
    sa.Column("external_id", sa.String(512), nullable=False),
    sa.Column("title", sa.Text),
    sa.Column("description", sa.Text),
    sa.Column("url", sa.Text),
    sa.Column("owner", sa.String(256)),
    sa.Column("license", sa.String(256)),
    sa.Column("tags", Json),
    sa.Column("downloads", sa.BigInteger),
    sa.Column("likes", sa.BigInteger),  # Hugging Face likes, Kaggle votes
    sa.Column("source_created_at", UTCDateTime),
    sa.Column("source_modified_at", UTCDateTime),
    sa.Column("status", sa.String(16), nullable=False, server_default="seeded"),
    sa.Column("error", sa.Text),
    sa.Column("content_hash", sa.String(64)),
    *_timestamps(),
    # Added by 0003_catalog: the hub's own path (Kaggle "owner/slug", HF "owner/name") used to
    # call the API, facts that have no column of their own, and the enrichment bookkeeping.
    sa.Column("ref", sa.String(512)),
    sa.Column("extra", Json),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("error_retryable", sa.Boolean),
    sa.Column("fetched_at", UTCDateTime),
    sa.UniqueConstraint("source", "external_id"),
    sa.Index(None, "source", "status"),
)

embeddings = sa.Table(
    "embeddings",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("entity_type", sa.String(16), nullable=False),  # post | dataset
    sa.Column("entity_id", Id, nullable=False),
    sa.Column("model", sa.String(256), nullable=False),
    sa.Column("dim", sa.Integer, nullable=False),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("vector", sa.LargeBinary, nullable=False),  # float32, little-endian
    *_timestamps(),
    sa.UniqueConstraint("entity_type", "entity_id", "model"),
)

links = sa.Table(
    "links",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("host", sa.String(512)),
    sa.Column("state", sa.String(16), nullable=False, server_default="unchecked"),
    sa.Column("status_code", sa.Integer),
    sa.Column("strikes", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_strike_on", sa.Date),
    sa.Column("last_checked_at", UTCDateTime),
    sa.Column("last_error", sa.Text),
    # When the janitor looks again (added by 0005_web): the next UTC day after a strike or an
    # inconclusive answer (later after a long Retry-After), a week when ok or broken.
    sa.Column("next_check_at", UTCDateTime),
    *_timestamps(),
    sa.UniqueConstraint("url"),
    sa.Index(None, "host"),
    sa.Index(None, "next_check_at"),
)

link_citations = sa.Table(
    "link_citations",
    metadata,
    sa.Column("link_id", Id, sa.ForeignKey("links.id", ondelete="CASCADE"), nullable=False),
    sa.Column("entity_type", sa.String(16), nullable=False),  # post | dataset
    sa.Column("entity_id", Id, nullable=False),
    sa.PrimaryKeyConstraint("link_id", "entity_type", "entity_id"),
    sa.Index(None, "entity_type", "entity_id"),
)

# Which landing files were read, what they held and whether they were quarantined: lets a run
# skip files that cannot touch its partitions, and tells the operator why a file was refused.
landing_files = sa.Table(
    "landing_files",
    metadata,
    sa.Column("path", sa.String(1024), primary_key=True),
    sa.Column("format", sa.String(32)),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("mtime_ns", sa.BigInteger, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # ok | quarantined
    sa.Column("error", sa.Text),
    sa.Column("posts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("first_day", sa.Date),
    sa.Column("last_day", sa.Date),
    sa.Column("days", Json),  # {"YYYY-MM-DD": number of posts}
    sa.Column("before_start", sa.Integer, nullable=False, server_default="0"),
    sa.Column("checked_at", UTCDateTime, nullable=False, server_default=sa.func.now()),
)

# Fetched pages and robots.txt files, shared by every process and run: a page crawled once is
# not fetched again before `expires_at`. Keyed by a hash of the URL (URLs outgrow B-tree keys).
http_cache = sa.Table(
    "http_cache",
    metadata,
    sa.Column("url_hash", sa.String(64), primary_key=True),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("outcome", sa.String(32), nullable=False),
    sa.Column("status_code", sa.Integer),
    sa.Column("final_url", sa.Text),
    sa.Column("content_type", sa.String(256)),
    sa.Column("body", sa.LargeBinary),
    sa.Column("reason", sa.Text),
    sa.Column("fetched_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Index(None, "expires_at"),
)


# --- LLM enrichment (issue 3) ---------------------------------------------------------------

# Never pay twice: one row per (kind, provider, model, prompt version, content hash). A worker
# claims a key (status `pending`, with a lease) before it calls the provider, so two runs,
# processes or Celery workers that meet the same text call once; the second reads the answer.
llm_cache = sa.Table(
    "llm_cache",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(32), nullable=False),  # llm | tags
    sa.Column("provider", sa.String(64), nullable=False),
    sa.Column("model", sa.String(128), nullable=False),
    sa.Column("prompt_version", sa.String(64), nullable=False),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # pending | completed
    sa.Column("payload", Json),
    sa.Column("claimed_by", sa.String(64)),
    sa.Column("claimed_at", UTCDateTime),
    sa.Column("prompt_tokens", sa.Integer, nullable=False, server_default="0"),
    sa.Column("completion_tokens", sa.Integer, nullable=False, server_default="0"),
    sa.Column("cost_usd", sa.Float, nullable=False, server_default="0"),
    *_timestamps(),
    sa.UniqueConstraint("kind", "provider", "model", "prompt_version", "content_hash"),
)

# The shared rate limiter: one row per provider limit (provider:model). Each call reserves the
# next free slot (GCRA: a theoretical arrival time per dimension) under a row lock, then sleeps
# until it, so every process spreads its calls evenly over the minute; `paused_until` holds a
# provider-imposed pause (retry-after, x-ratelimit-reset-*) for everyone.
llm_rate_limit = sa.Table(
    "llm_rate_limit",
    metadata,
    sa.Column("key", sa.String(256), primary_key=True),
    sa.Column("request_tat", sa.Float, nullable=False, server_default="0"),  # epoch seconds
    sa.Column("token_tat", sa.Float, nullable=False, server_default="0"),
    sa.Column("paused_until", sa.Float, nullable=False, server_default="0"),
    sa.Column("pause_reason", sa.Text),
    sa.Column("updated_at", UTCDateTime, nullable=False, server_default=sa.func.now()),
)
# Incremental cursors of the catalog feeds (Hugging Face, Kaggle latest): "everything modified
# after `value` is in the catalog". Kept in the database so every process and run shares it.
watermarks = sa.Table(
    "watermarks",
    metadata,
    sa.Column("name", sa.String(128), primary_key=True),
    sa.Column("value", UTCDateTime),
    sa.Column("details", Json),
    sa.Column("updated_at", UTCDateTime, nullable=False, server_default=sa.func.now()),
)

# Rows of an input file that could not be read (a malformed Meta Kaggle CSV line, say): kept
# with their line number and reason, so nothing is dropped silently and the rest still lands.
quarantined_rows = sa.Table(
    "quarantined_rows",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("source", sa.String(64), nullable=False),
    sa.Column("file", sa.String(1024), nullable=False),
    sa.Column("line", sa.Integer, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("raw", sa.Text),
    *_timestamps(),
    sa.UniqueConstraint("source", "file", "line"),
)

# Posts that tell the same story as posts of other channels (asset `near_duplicate_posts`):
# one row per grouped post and embedding model; `group_post_id` is the group's first telling.
near_duplicate_posts = sa.Table(
    "near_duplicate_posts",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("post_id", Id, sa.ForeignKey("posts.id", ondelete="CASCADE"), nullable=False),
    sa.Column("model", sa.String(256), nullable=False),
    sa.Column("group_post_id", Id, nullable=False),
    sa.Column("group_size", sa.Integer, nullable=False),
    sa.Column("channel_count", sa.Integer, nullable=False),
    sa.Column("similarity", sa.Float, nullable=False),  # best cosine to another member
    *_timestamps(),
    sa.UniqueConstraint("post_id", "model"),
    sa.Index(None, "model", "group_post_id"),
)

# --- post graph -------------------------------------------------------------------------------
# Channels, posts, entities, tags, links and datasets as nodes; what connects them as edges
# (asset `post_graph`). A node is unique on (kind, key): a channel's key is `source:handle`, a
# post's its id in `posts`, an entity's `type:canonical name` (lib/graph/keys.py), a tag's its
# canonical text, a link's its URL, a dataset's `source:external_id`. `ref_id` is the row's id
# in its own table (channels, posts, links, datasets) where it has one.
graph_nodes = sa.Table(
    "graph_nodes",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(16), nullable=False),  # channel|post|entity|tag|link|dataset
    sa.Column("key", sa.String(1024), nullable=False),
    sa.Column("label", sa.Text, nullable=False),
    sa.Column("entity_type", sa.String(40)),  # an entity's type (PERSON, ORG, ...)
    sa.Column("name_key", sa.String(1024)),  # an entity's or tag's canonical name, type apart
    sa.Column("ref_id", Id),
    sa.Column("aliases", Json),  # an entity's or tag's surface forms as written
    sa.Column("first_seen", UTCDateTime),  # publish time of the first and last post seen
    sa.Column("last_seen", UTCDateTime),
    *_timestamps(),
    sa.UniqueConstraint("kind", "key"),
    sa.Index(None, "kind", "name_key"),
    sa.Index(None, "kind", "ref_id"),
)

# PUBLISHED (channel → post), MENTIONS (post → entity), TAGGED (post → tag), CITES (post → link,
# post → dataset), SAME_STORY (post → the first telling of its story) and CO_OCCURS (entity →
# entity, lower id first; weight = posts mentioning both). Every edge but CO_OCCURS was read
# from one post, `post_id`, published at `seen_at`: rebuilding a post replaces exactly those.
graph_edges = sa.Table(
    "graph_edges",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("source_id", Id, sa.ForeignKey("graph_nodes.id", ondelete="CASCADE"), nullable=False),
    sa.Column("target_id", Id, sa.ForeignKey("graph_nodes.id", ondelete="CASCADE"), nullable=False),
    sa.Column("weight", sa.Float, nullable=False, server_default="1"),
    sa.Column("post_id", Id),  # no foreign key: the cleanup removes edges of deleted posts
    sa.Column("seen_at", UTCDateTime),
    *_timestamps(),
    sa.UniqueConstraint("kind", "source_id", "target_id"),
    # The newest edges into a node are one index read (related's capped fan-out, an entity's
    # newest posts, posts by day), and the rows themselves are never visited.
    sa.Index(None, "target_id", "kind", "seen_at", "source_id"),
    sa.Index(None, "source_id"),
    sa.Index(None, "post_id"),
    sa.Index(None, "kind", "seen_at", "target_id"),
)

# The daily trending list (asset `entity_trends`): entities whose mentions rose most in the
# `window_days` ending with `day`, against the window before.
entity_trends = sa.Table(
    "entity_trends",
    metadata,
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("window_days", sa.Integer, nullable=False),
    sa.Column("rank", sa.Integer, nullable=False),
    sa.Column("node_id", Id, sa.ForeignKey("graph_nodes.id", ondelete="CASCADE"), nullable=False),
    sa.Column("label", sa.Text, nullable=False),
    sa.Column("entity_type", sa.String(40)),
    sa.Column("mentions", sa.Integer, nullable=False),
    sa.Column("previous", sa.Integer, nullable=False),
    sa.Column("channels", sa.Integer, nullable=False),
    *_timestamps(),
    sa.PrimaryKeyConstraint("day", "window_days", "node_id"),
)

# --- article generation ---------------------------------------------------------------------
# A request for an article (from the command, the UI's job or `trending_topics`); approved
# requests get a dynamic partition named `partition_key`. `version` rises when an article is
# regenerated; each version is its own `articles` row.
article_requests = sa.Table(
    "article_requests",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("partition_key", sa.String(64), nullable=False, unique=True),
    sa.Column("topic", sa.Text, nullable=False),
    sa.Column("keywords", Json, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # pending | approved | rejected
    sa.Column("priority", sa.String(16), nullable=False),  # low | normal | high
    sa.Column("requested_by", sa.String(128), nullable=False),
    sa.Column("story_key", sa.String(128), unique=True),  # trending_topics: one per story
    sa.Column("reason", sa.Text),  # why it was proposed, or why it was decided so
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    sa.Column("decided_at", UTCDateTime),
    *_timestamps(),
    sa.Index(None, "status"),
)

# One article per request and version: its status and stage, the finished text and the
# article's own sources (the outbox another system reads once `status` is `published`).
articles = sa.Table(
    "articles",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column(
        "request_id",
        Id,
        sa.ForeignKey("article_requests.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("version", sa.Integer, nullable=False),
    # queued | researching | outlining | drafting | verifying | needs_review | ready | published
    # | failed
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("stage", sa.String(16)),  # the stage running or last finished
    sa.Column("failed_stage", sa.String(16)),
    sa.Column("retry_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("error", sa.Text),
    sa.Column("provider", sa.String(64)),
    sa.Column("title", sa.Text),
    sa.Column("markdown", sa.Text),
    sa.Column("sources", Json),  # [{n, kind, channel, post_id, url, text}], article numbering
    sa.Column("scores", Json),  # gate -> score (null: no score)
    sa.Column("checks", Json),  # gate -> {passed, score, threshold, reason}
    sa.Column("review_reason", sa.Text),
    sa.Column("cost_usd", sa.Float, nullable=False, server_default="0"),
    sa.Column("total_tokens", sa.Integer, nullable=False, server_default="0"),
    sa.Column("published_at", UTCDateTime),
    *_timestamps(),
    sa.UniqueConstraint("request_id", "version"),
)

# The sources research chose, in its numbering (`n`); `article_n` is the number the finished
# article cites it by (null when the article does not cite it).
article_sources = sa.Table(
    "article_sources",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("article_id", Id, sa.ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
    sa.Column("n", sa.Integer, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),  # post | page
    sa.Column("channel", sa.Text, nullable=False),
    sa.Column("post_id", Id),
    sa.Column("url", sa.Text),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("article_n", sa.Integer),
    *_timestamps(),
    sa.UniqueConstraint("article_id", "n"),
)

# The outline's sections (heading, the sources each may use) and, once drafted, their bodies.
article_sections = sa.Table(
    "article_sections",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("article_id", Id, sa.ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("heading", sa.Text, nullable=False),
    sa.Column("source_numbers", Json, nullable=False),
    sa.Column("body", sa.Text),
    *_timestamps(),
    sa.UniqueConstraint("article_id", "position"),
)

# Every atomic claim of the finished article, the source that supports it and the span that does.
article_claims = sa.Table(
    "article_claims",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("article_id", Id, sa.ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("citations", Json, nullable=False),
    sa.Column("source_n", sa.Integer),
    sa.Column("span", sa.Text),
    sa.Column("supported", sa.Boolean, nullable=False),
    sa.Column("reason", sa.Text),
    *_timestamps(),
    sa.UniqueConstraint("article_id", "position"),
)

# One row per article and stage: what the stage was given (input hash), what it answered (so a
# resumed run reads it back), and its calls, tokens, cost and time.
article_stage_log = sa.Table(
    "article_stage_log",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("article_id", Id, sa.ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
    sa.Column("stage", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # completed | failed
    sa.Column("input_hash", sa.String(64)),
    sa.Column("output", Json),
    sa.Column("provider", sa.String(64)),
    sa.Column("model", sa.String(128)),
    sa.Column("calls", sa.Integer, nullable=False, server_default="0"),
    sa.Column("cached_calls", sa.Integer, nullable=False, server_default="0"),
    sa.Column("prompt_tokens", sa.Integer, nullable=False, server_default="0"),
    sa.Column("completion_tokens", sa.Integer, nullable=False, server_default="0"),
    sa.Column("cost_usd", sa.Float, nullable=False, server_default="0"),
    sa.Column("seconds", sa.Float, nullable=False, server_default="0"),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("error", sa.Text),
    *_timestamps(),
    sa.UniqueConstraint("article_id", "stage"),
)

# --- code graph -----------------------------------------------------------------------------
# Every code table carries `tenant_id`, and every statement on it runs in
# `storage.code_graph.tenant_transaction`: on PostgreSQL row-level security (migration
# 0007_code_graph) lets a transaction see and write only its tenant's rows, whatever the SQL says.

# A repository registered by a tenant: where it is, what was last seen and last indexed.
code_repositories = sa.Table(
    "code_repositories",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("tenant_id", sa.String(40), nullable=False),
    sa.Column("repository_id", sa.String(40), nullable=False),
    sa.Column("path", sa.Text, nullable=False),
    sa.Column("source_kind", sa.String(16), nullable=False),  # git | folder
    sa.Column("revision", sa.String(64)),  # last seen HEAD commit or folder fingerprint
    sa.Column("indexed_revision", sa.String(64)),  # the revision the graph reflects
    # registered | indexing | partial | indexed | failed
    sa.Column("state", sa.String(16), nullable=False, server_default="registered"),
    sa.Column("last_run_id", sa.String(64)),
    sa.Column("parsed_last_run", sa.Integer, nullable=False, server_default="0"),
    # The last run's overall percentage (0-100); it never goes down within a run.
    sa.Column("progress", sa.Integer, nullable=False, server_default="0"),
    # Some file's nodes changed since the edges were last resolved and written.
    sa.Column("edges_stale", sa.Boolean, nullable=False, server_default=sa.false()),
    *_timestamps(),
    sa.UniqueConstraint("tenant_id", "repository_id"),
)

# One row per file the last manifest saw (or skipped). `sha256` is the content seen, and
# `parsed_sha256` the content the stored nodes reflect: they differ until the file is parsed.
code_files = sa.Table(
    "code_files",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("tenant_id", sa.String(40), nullable=False),
    sa.Column("repository_id", sa.String(40), nullable=False),
    sa.Column("path", sa.Text, nullable=False),
    sa.Column("language", sa.String(16)),  # null for a skipped file of no known language
    sa.Column("size", sa.BigInteger),
    sa.Column("sha256", sa.String(64)),  # null for a skipped file (never hashed)
    sa.Column("parsed_sha256", sa.String(64)),
    sa.Column("parser_fingerprint", sa.String(64)),
    sa.Column("status", sa.String(16), nullable=False),  # pending | parsed | error | skipped
    sa.Column("error", sa.Text),  # why it failed to parse, or why it was skipped
    sa.Column("refs", Json, nullable=False),  # the file's references, resolved into edges later
    sa.Column("edges_hash", sa.String(64)),  # hash of the outgoing edges last written
    sa.Column("updated_at", UTCDateTime, nullable=False, server_default=sa.func.now()),
    sa.UniqueConstraint("tenant_id", "repository_id", "path"),
)

# Modules, classes, functions and methods. `text_hash` is the hash of what gets embedded;
# the embedding is current when `embedding_hash` equals it (a re-parse that keeps the text
# keeps the vector).
code_nodes = sa.Table(
    "code_nodes",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("tenant_id", sa.String(40), nullable=False),
    sa.Column("repository_id", sa.String(40), nullable=False),
    sa.Column("node_key", sa.Text, nullable=False),  # "<path>::<qualified_name>"
    sa.Column("path", sa.Text, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),  # module | class | function | method
    sa.Column("qualified_name", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("start_line", sa.Integer, nullable=False),
    sa.Column("end_line", sa.Integer, nullable=False),
    sa.Column("signature", sa.Text, nullable=False),
    sa.Column("docstring", sa.Text),
    sa.Column("parent_key", sa.Text),
    sa.Column("text_hash", sa.String(64), nullable=False),
    sa.Column("embedding", sa.LargeBinary),  # float32, little-endian
    sa.Column("embedding_model", sa.String(256)),
    sa.Column("embedding_hash", sa.String(64)),  # the text_hash the embedding was made from
    *_timestamps(),
    sa.UniqueConstraint("tenant_id", "repository_id", "node_key"),
    sa.Index(None, "tenant_id", "repository_id", "path"),
)

# Resolved edges between nodes of one repository (CONTAINS, IMPORTS, INHERITS, CALLS), written
# per source file; `target_path` finds the edges into a file.
code_edges = sa.Table(
    "code_edges",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("tenant_id", sa.String(40), nullable=False),
    sa.Column("repository_id", sa.String(40), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("source_key", sa.Text, nullable=False),
    sa.Column("target_key", sa.Text, nullable=False),
    sa.Column("source_path", sa.Text, nullable=False),
    sa.Column("target_path", sa.Text, nullable=False),
    # Named: the conventional name is longer than PostgreSQL's 63 characters.
    sa.UniqueConstraint(
        "tenant_id", "repository_id", "kind", "source_key", "target_key", name="uq_code_edges_edge"
    ),
    sa.Index(None, "tenant_id", "repository_id", "source_path"),
    sa.Index(None, "tenant_id", "repository_id", "target_path"),
)

# How far each phase of a repository's last run got, for the UI and for an honest `partial`.
code_index_progress = sa.Table(
    "code_index_progress",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("tenant_id", sa.String(40), nullable=False),
    sa.Column("repository_id", sa.String(40), nullable=False),
    # walk | hash | parse | resolve | write | embed
    sa.Column("phase", sa.String(16), nullable=False),
    sa.Column("run_id", sa.String(64)),
    sa.Column("done", sa.Integer, nullable=False, server_default="0"),
    sa.Column("total", sa.Integer, nullable=False, server_default="0"),
    sa.Column("seconds", sa.Float, nullable=False, server_default="0"),
    sa.Column("state", sa.String(16), nullable=False, server_default="waiting"),  # running | done
    sa.Column("updated_at", UTCDateTime, nullable=False, server_default=sa.func.now()),
    sa.UniqueConstraint("tenant_id", "repository_id", "phase"),
)
