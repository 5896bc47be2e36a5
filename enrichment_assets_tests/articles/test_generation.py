"""One article end to end, through the `generate_article` job on a real instance: the offline
writer and the fake Groq server, on SQLite and PostgreSQL."""

from __future__ import annotations

from enrichment_assets.resources.database import DatabaseResource
from enrichment_assets.storage import articles as repository
from enrichment_assets.storage.engine import reading
from enrichment_assets_tests.articles.conftest import generate, request


def test_a_story_three_channels_tell_is_written_offline_and_ready(seeded, database_url, instance):
    key = request(seeded, "Floods displace thousands", ["floods", "shelters"])
    made = generate(instance, seeded, key, {"db": DatabaseResource(url=database_url)})
    assert made.article.status == "ready", made.article.review_reason
    assert made.result.success
    assert made.article.markdown.startswith("# ")
    channels = {source["channel"] for source in made.article.sources}
    assert len(channels) >= 2
    with reading(seeded) as connection:
        stages = [row.stage for row in repository.stage_log_of(connection, made.article.id)]
        claims = repository.claims_of(connection, made.article.id)
    assert stages == ["research", "outline", "draft", "polish", "claims", "scores"]
    assert claims and all(claim.supported for claim in claims)
