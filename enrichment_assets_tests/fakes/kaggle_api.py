"""A fake Kaggle API speaking both envelopes.

- current (kagglesdk): `POST /v1/datasets.DatasetApiService/ListDatasets` with a camelCase JSON
  body (`sortBy`, `page`, `pageSize`…) → `{"datasets": [...], "nextPageToken": ""}`, and
  `POST /v1/datasets.DatasetApiService/GetDataset` (`ownerSlug`, `datasetSlug`) → one dataset;
- legacy: `GET /api/v1/datasets/list?sortBy=updated&page=N` → a bare JSON array, and
  `GET /api/v1/datasets/view/{owner}/{slug}`;
- errors as Kaggle writes them: `{"code": 4xx, "message": "…"}`;
- HTTP Basic credentials checked when `credentials` is given; `item_errors` answers a chosen
  status for one dataset (a private one: 403, a deleted one: 404…).
"""

from __future__ import annotations

import base64
from typing import Any

from enrichment_assets_tests.fakes.base import FakeServer, Reply

SORT_UPDATED = {"DATASET_SORT_BY_UPDATED", "updated"}


class FakeKaggle(FakeServer):
    def __init__(
        self,
        datasets: list[dict[str, Any]],
        credentials: tuple[str, str] | None = None,
        item_errors: dict[str, int] | None = None,
        legacy_page_size: int = 20,
    ):
        super().__init__()
        self.datasets = datasets
        self.credentials = credentials
        self.item_errors = item_errors or {}
        self.legacy_page_size = legacy_page_size

    def _authorized(self, headers) -> bool:
        if self.credentials is None:
            return True
        expected = base64.b64encode(":".join(self.credentials).encode()).decode()
        return headers.get("authorization") == f"Basic {expected}"

    def _sorted(self, sort: str | None) -> list[dict[str, Any]]:
        items = list(self.datasets)
        if sort in SORT_UPDATED:
            items.sort(key=lambda item: item.get("lastUpdated") or "", reverse=True)
        return items

    def _one(self, owner: str, slug: str) -> Reply:
        ref = f"{owner}/{slug}"
        if ref in self.item_errors:
            status = self.item_errors[ref]
            return Reply(status, {"code": status, "message": f"Dataset {ref} is not available"})
        for item in self.datasets:
            if item["ref"] == ref:
                return Reply(200, item)
        return Reply(404, {"code": 404, "message": f"Dataset {ref} not found"})

    def handle(self, method, path, query, body, headers) -> Reply:
        if not self._authorized(headers):
            return Reply(401, {"code": 401, "message": "Unauthenticated"})
        if method == "POST" and path == "/v1/datasets.DatasetApiService/ListDatasets":
            body = body or {}
            page, size = int(body.get("page") or 1), int(body.get("pageSize") or 20)
            items = self._sorted(body.get("sortBy"))[(page - 1) * size : page * size]
            return Reply(200, {"datasets": items, "nextPageToken": ""})
        if method == "POST" and path == "/v1/datasets.DatasetApiService/GetDataset":
            return self._one(body.get("ownerSlug", ""), body.get("datasetSlug", ""))
        if method == "GET" and path == "/api/v1/datasets/list":
            page = int(query.get("page", ["1"])[0])
            size = self.legacy_page_size
            sort = query.get("sortBy", [None])[0]
            return Reply(200, self._sorted(sort)[(page - 1) * size : page * size])
        if method == "GET" and path.startswith("/api/v1/datasets/view/"):
            owner, _, slug = path.removeprefix("/api/v1/datasets/view/").partition("/")
            return self._one(owner, slug)
        return Reply(404, {"code": 404, "message": "Not found"})
