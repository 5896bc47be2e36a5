"""The Kaggle API for the catalog: the newest datasets, and one dataset's details.

Transport is httpx (retries honouring Retry-After, a settable endpoint, credentials only from
the arguments); the wire format is kagglesdk's own: requests are built with its request types'
`to_dict` and every dataset is parsed with `ApiDataset.from_dict`, so field names, enum names
and date handling are exactly the SDK's. Why not kagglesdk's client itself: it picks its host
from a fixed enum (`KAGGLE_API_ENVIRONMENT`), so a loopback endpoint means patching a private
attribute; it reads `~/.kaggle/kaggle.json` by itself; and it has no retries.

Two envelopes (docs/datasets.md) are spoken:
- current: `POST {endpoint}/v1/datasets.DatasetApiService/ListDatasets` (and `/GetDataset`),
  answering `{"datasets": [...], "nextPageToken": ""}`; the default, on https://api.kaggle.com;
- legacy: `GET {endpoint}/datasets/list?sortBy=updated&page=N` answering a bare JSON array (and
  `/datasets/view/{owner}/{slug}`), chosen when the endpoint ends in `/api/v1`
  (e.g. `https://www.kaggle.com/api/v1`).
Either answer shape is accepted from either route, and so is the `{"code": 4xx, "message"}`
error body, which Kaggle may send with a 200 status.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import httpx
from kagglesdk.datasets.types.dataset_api_service import (
    ApiDataset,
    ApiGetDatasetRequest,
    ApiListDatasetsRequest,
)
from kagglesdk.datasets.types.dataset_enums import DatasetSortBy

from enrichment_assets.lib.common.retry import RetriesExhausted, RetryPolicy, send_with_retries
from enrichment_assets.lib.datasets.meta_kaggle import KAGGLE_DATASET_URL
from enrichment_assets.lib.datasets.records import (
    KAGGLE,
    DatasetRecord,
    clean_text,
    strip_text,
    utc,
)

KAGGLE_PAGE_CAP = 500  # the list API stops serving past ~500 pages (Kaggle/kaggle-cli#553)
DEFAULT_PAGE_SIZE = 20
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SERVICE = "datasets.DatasetApiService"


class KaggleApiError(Exception):
    """A call that failed for good: `status` (None for a transport error) and whether a later
    run may succeed (`retryable`: 429, 5xx, timeouts)."""

    def __init__(self, message: str, status: int | None = None, retryable: bool = False):
        super().__init__(message)
        self.status = status
        self.retryable = retryable


class KaggleAuthError(KaggleApiError):
    """The credentials themselves are refused (not just one dataset)."""


class KaggleCatalog(Protocol):
    pages_read: int
    page_cap_hit: bool

    def iter_latest(self, max_pages: int = KAGGLE_PAGE_CAP) -> Iterator[DatasetRecord]: ...

    def get_dataset(self, ref: str) -> DatasetRecord: ...

    def credentials_valid(self) -> bool: ...

    def close(self) -> None: ...


def record_from_api(item: dict[str, Any] | ApiDataset) -> DatasetRecord:
    """One Kaggle API dataset (wire dict or kagglesdk object) as a catalog record."""
    dataset = item if isinstance(item, ApiDataset) else ApiDataset.from_dict(item)
    ref = dataset.ref or None
    owner = dataset.owner_ref or (ref.split("/", 1)[0] if ref and "/" in ref else None)
    tags = [tag.name or tag.ref for tag in dataset.tags or [] if (tag.name or tag.ref)]
    extra = {
        "subtitle": clean_text(dataset.subtitle),
        "owner_name": dataset.owner_name,
        "total_bytes": dataset.total_bytes,
        "views": dataset.view_count,
        "kernels": dataset.kernel_count,
        "version_number": dataset.current_version_number,
        "usability_rating": dataset.usability_rating,
        "is_private": dataset.is_private or None,
        "is_featured": dataset.is_featured or None,
    }
    return DatasetRecord(
        source=KAGGLE,
        external_id=str(dataset.id),
        title=clean_text(dataset.title),
        description=strip_text(dataset.description),
        url=dataset.url or (KAGGLE_DATASET_URL.format(ref=ref) if ref else None),
        owner=owner,
        license=dataset.license_name or None,
        tags=tags or None,
        downloads=dataset.download_count,
        likes=dataset.vote_count,
        source_modified_at=utc(dataset.last_updated),
        ref=ref,
        extra={key: value for key, value in extra.items() if value not in (None, "")},
    )


def _datasets_in(body: Any) -> list[dict[str, Any]]:
    """Both envelopes: a bare array (legacy REST) or `{"datasets": [...]}` (kagglesdk RPC)."""
    if isinstance(body, list):
        return body
    if isinstance(body, dict):
        return body.get("datasets") or []
    raise KaggleApiError(f"unexpected list body of type {type(body).__name__}")


def _split_ref(ref: str) -> tuple[str, str]:
    owner, _, slug = ref.partition("/")
    if not owner or not slug:
        raise KaggleApiError(f"not a dataset ref (owner/slug): {ref!r}", status=400)
    return owner, slug


class KaggleHttpCatalog:
    """The real Kaggle API over httpx."""

    def __init__(
        self,
        endpoint: str,
        username: str | None = None,
        key: str | None = None,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        retry: RetryPolicy | None = None,
        timeout: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.legacy = self.endpoint.endswith("/api/v1")
        self.page_size = page_size
        self.retry = retry or RetryPolicy()
        self.sleep = sleep
        self.pages_read = 0
        self.page_cap_hit = False
        auth = httpx.BasicAuth(username, key) if username and key else None
        self._http = httpx.Client(
            auth=auth,
            timeout=timeout,
            headers={"User-Agent": "enrichment-assets-catalog"},
            follow_redirects=True,
        )

    def close(self) -> None:
        self._http.close()

    # -- transport --------------------------------------------------------------------------
    def _call(self, method: str, path: str, **kwargs) -> Any:
        url = f"{self.endpoint}{path}"
        try:
            response = send_with_retries(
                lambda: self._http.request(method, url, **kwargs), self.retry, self.sleep
            )
        except RetriesExhausted as error:
            status = error.response.status_code if error.response is not None else None
            raise KaggleApiError(str(error), status=status, retryable=True) from error
        try:
            body = response.json()
        except ValueError:
            body = None
        status = response.status_code
        # kagglesdk checks the body's own code first: Kaggle may wrap an error in a 200.
        if isinstance(body, dict) and isinstance(body.get("code"), int) and body["code"] >= 400:
            status = body["code"]
        if status >= 400:
            message = body.get("message") if isinstance(body, dict) else None
            raise KaggleApiError(
                f"HTTP {status}: {message or response.reason_phrase or 'error'}", status=status
            )
        if body is None:
            raise KaggleApiError(f"HTTP {status}: the body is not JSON", status=status)
        return body

    def _list_page(self, page: int, page_token: str | None, page_size: int) -> tuple[list, str]:
        if self.legacy:
            body = self._call(
                "GET",
                "/datasets/list",
                params={"group": "public", "sortBy": "updated", "page": page},
            )
            return _datasets_in(body), ""
        request = ApiListDatasetsRequest()
        request.sort_by = DatasetSortBy.DATASET_SORT_BY_UPDATED
        request.page = page
        request.page_size = page_size
        if page_token:
            request.page_token = page_token
        body = self._call(
            "POST", f"/v1/{_SERVICE}/ListDatasets", json=ApiListDatasetsRequest.to_dict(request)
        )
        token = body.get("nextPageToken", "") if isinstance(body, dict) else ""
        return _datasets_in(body), token or ""

    # -- the catalog ------------------------------------------------------------------------
    def iter_latest(self, max_pages: int = KAGGLE_PAGE_CAP) -> Iterator[DatasetRecord]:
        """Datasets by update time, newest first, for at most `max_pages` pages."""
        page, token = 1, ""
        while True:
            if page > max_pages:
                self.page_cap_hit = True
                return
            items, token = self._list_page(page, token, self.page_size)
            self.pages_read += 1
            for item in items:
                yield record_from_api(item)
            if not items or (len(items) < self.page_size and not token):
                return
            page += 1

    def get_dataset(self, ref: str) -> DatasetRecord:
        owner, slug = _split_ref(ref)
        if self.legacy:
            body = self._call("GET", f"/datasets/view/{owner}/{slug}")
        else:
            request = ApiGetDatasetRequest()
            request.owner_slug, request.dataset_slug = owner, slug
            body = self._call(
                "POST", f"/v1/{_SERVICE}/GetDataset", json=ApiGetDatasetRequest.to_dict(request)
            )
        if not isinstance(body, dict):
            raise KaggleApiError(f"unexpected dataset body of type {type(body).__name__}")
        return record_from_api(body)

    def credentials_valid(self) -> bool:
        """A 401/403 on one dataset may be that dataset (private, removed); the same on a
        public listing means the credentials are refused."""
        try:
            self._list_page(1, None, 1)
        except KaggleApiError as error:
            if error.status in (401, 403):
                return False
            raise
        return True


class KaggleSampleCatalog:
    """The offline twin: the bundled `datasets.json` (the RPC list envelope, full items)."""

    def __init__(self, path: Path, page_size: int = DEFAULT_PAGE_SIZE) -> None:
        self.path = path
        self.page_size = page_size
        self.pages_read = 0
        self.page_cap_hit = False
        self._items = _datasets_in(json.loads(path.read_text(encoding="utf-8")))

    def close(self) -> None:
        pass

    def iter_latest(self, max_pages: int = KAGGLE_PAGE_CAP) -> Iterator[DatasetRecord]:
        records = sorted(
            (record_from_api(item) for item in self._items),
            key=lambda record: record.source_modified_at or _EPOCH,
            reverse=True,
        )
        for start in range(0, len(records), self.page_size):
            if self.pages_read >= max_pages:
                self.page_cap_hit = True
                return
            self.pages_read += 1
            yield from records[start : start + self.page_size]

    def get_dataset(self, ref: str) -> DatasetRecord:
        _split_ref(ref)
        for item in self._items:
            if item.get("ref") == ref:
                return record_from_api(item)
        raise KaggleApiError(f"HTTP 404: dataset {ref} not found", status=404)

    def credentials_valid(self) -> bool:
        return True
