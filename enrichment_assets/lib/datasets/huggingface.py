"""The Hugging Face Hub for the catalog: datasets by last modification, newest first.

The real client is huggingface_hub's `HfApi.list_datasets` (it follows the `Link` header's
pages and, per page, retries 429 after the `RateLimit`/`Retry-After` wait and 5xx with
backoff); the offline twin parses the bundled listing with the same `DatasetInfo` class.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from huggingface_hub import DatasetInfo, HfApi, constants
from huggingface_hub.errors import HfHubHTTPError

from enrichment_assets.lib.datasets.records import HUGGINGFACE, DatasetRecord, clean_text, utc

# Only these fields: `expand` makes the Hub return exactly them (plus id/_id).
EXPAND = [
    "author",
    "cardData",
    "createdAt",
    "description",
    "disabled",
    "downloads",
    "downloadsAllTime",
    "gated",
    "lastModified",
    "likes",
    "private",
    "tags",
]
PUBLIC_SITE = "https://huggingface.co"
_TRAILER = re.compile(r"\s*(?:…|\.\.\.)?\s*See the full description on the dataset page:\s*\S+\s*$")


class HfAuthError(Exception):
    """The Hub refused the token (401/403 on a public listing)."""


class HfCatalog(Protocol):
    site: str

    def iter_newest_first(self) -> Iterator[DatasetRecord]: ...


def _license(info: DatasetInfo) -> str | None:
    for tag in info.tags or []:
        if tag.startswith("license:"):
            return tag.split(":", 1)[1] or None
    card = info.card_data
    value = card.get("license") if card is not None else None
    if isinstance(value, list):
        value = value[0] if value else None
    return str(value) if value else None


def _description(text: str | None) -> str | None:
    """The list's description is a truncated card excerpt with leading tabs and newlines and a
    "See the full description…" trailer: keep the text only."""
    return clean_text(_TRAILER.sub("", text)) if text else None


def record_from_info(info: DatasetInfo, site: str = PUBLIC_SITE) -> DatasetRecord:
    owner = info.author or (info.id.split("/", 1)[0] if "/" in info.id else None)
    card = info.card_data
    pretty = card.get("pretty_name") if card is not None else None
    extra = {
        "gated": info.gated if info.gated else None,  # False | "auto" | "manual"
        "private": info.private or None,
        "disabled": info.disabled or None,
        "downloads_30d": info.downloads,
    }
    return DatasetRecord(
        source=HUGGINGFACE,
        external_id=info.id,
        title=clean_text(pretty) or info.id.rsplit("/", 1)[-1],
        description=_description(getattr(info, "description", None)),
        url=f"{site.rstrip('/')}/datasets/{info.id}",
        owner=owner,
        license=_license(info),
        tags=list(info.tags) if info.tags else None,
        # All-time, like Kaggle's TotalDownloads; the 30-day figure stays in `extra`.
        downloads=info.downloads_all_time
        if info.downloads_all_time is not None
        else info.downloads,
        likes=info.likes,
        # createdAt is floored at 2022-03-02T23:29 for older repos: it is what the Hub says.
        source_created_at=utc(info.created_at),
        source_modified_at=utc(info.last_modified),
        ref=info.id,
        extra={key: value for key, value in extra.items() if value is not None},
    )


def info_from_json(item: dict[str, Any]) -> DatasetInfo:
    item = dict(item)
    item.setdefault("siblings", None)  # as HfApi.list_datasets does
    return DatasetInfo(**item)


_online_lock = threading.Lock()
_online_users = 0
_saved_offline = False


@contextmanager
def _hub_reachable() -> Iterator[None]:
    """HF_HUB_OFFLINE=1 (set by the Makefile so models never download) blocks every request
    huggingface_hub makes. Listing the catalog is a deliberate call to a configured endpoint,
    so it lifts the flag for its own calls and puts it back afterwards."""
    global _online_users, _saved_offline
    with _online_lock:
        if _online_users == 0:
            _saved_offline = constants.HF_HUB_OFFLINE
            constants.HF_HUB_OFFLINE = False
        _online_users += 1
    try:
        yield
    finally:
        with _online_lock:
            _online_users -= 1
            if _online_users == 0:
                constants.HF_HUB_OFFLINE = _saved_offline


class HubCatalog:
    """The real Hub (or any endpoint speaking its API) through `HfApi`."""

    def __init__(self, endpoint: str, token: str | None = None) -> None:
        self.site = endpoint.rstrip("/")
        # token=False: never fall back to a token saved on this machine; HF_TOKEN or nothing.
        self.api = HfApi(endpoint=self.site, token=token or False)

    def iter_newest_first(self) -> Iterator[DatasetRecord]:
        listing = iter(self.api.list_datasets(sort="last_modified", expand=EXPAND))
        while True:
            # The flag is lifted around each fetch only, never across a `yield`: a caller that
            # stops early, or a generator that lives on in a traceback, cannot leave it lifted.
            with _hub_reachable():
                try:
                    info = next(listing)
                except StopIteration:
                    return
                except HfHubHTTPError as error:
                    status = error.response.status_code if error.response is not None else None
                    if status in (401, 403):
                        raise HfAuthError(
                            f"the Hub at {self.site} answered {status} to the dataset listing"
                        ) from None
                    raise
            yield record_from_info(info, self.site)


class HubSampleCatalog:
    """The offline twin: a listing saved in the real `GET /api/datasets` shape."""

    site = PUBLIC_SITE

    def __init__(self, path: Path) -> None:
        self.path = path

    def iter_newest_first(self) -> Iterator[DatasetRecord]:
        items = json.loads(self.path.read_text(encoding="utf-8"))
        records = [record_from_info(info_from_json(item), self.site) for item in items]
        records.sort(key=lambda r: r.source_modified_at.timestamp() if r.source_modified_at else 0)
        yield from reversed(records)
