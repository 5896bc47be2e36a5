"""A fake Hugging Face Hub: `GET /api/datasets` as the Hub answers it.

- `sort=lastModified` sorts newest first (the Hub's default direction);
- `expand=<prop>` (repeatable) returns only those fields plus `id`/`_id`; an unknown one is 400;
- pages of `page_size` items, the next one announced in a `Link: <…>; rel="next"` header with
  an opaque cursor, no cursor or total in the body;
- a token, when required, must come as `Authorization: Bearer <token>`; otherwise 401
  `{"error": "Invalid username or password."}`, as the Hub answers.
"""

from __future__ import annotations

import base64
from typing import Any

from enrichment_assets_tests.fakes.base import FakeServer, Reply

VALID_EXPAND = set(
    [
        "author",
        "cardData",
        "citation",
        "createdAt",
        "description",
        "disabled",
        "downloads",
        "downloadsAllTime",
        "gated",
        "lastModified",
        "likes",
        "mainSize",
        "paperswithcode_id",
        "private",
        "resourceGroup",
        "sha",
        "siblings",
        "tags",
        "trendingScore",
        "usedStorage",
    ]
)


class FakeHub(FakeServer):
    def __init__(
        self, datasets: list[dict[str, Any]], page_size: int = 3, token: str | None = None
    ):
        super().__init__()
        self.datasets = datasets
        self.page_size = page_size
        self.token = token

    def handle(self, method, path, query, body, headers) -> Reply:
        if path != "/api/datasets" or method != "GET":
            return Reply(404, {"error": "Not Found"}, {"X-Error-Code": "RepoNotFound"})
        if self.token is not None and headers.get("authorization") != f"Bearer {self.token}":
            return Reply(401, {"error": "Invalid username or password."})
        expand = query.get("expand", []) + query.get("expand[]", [])
        unknown = [name for name in expand if name not in VALID_EXPAND]
        if unknown:
            return Reply(400, {"error": f'"expand" must be one of {sorted(VALID_EXPAND)}'})
        items = list(self.datasets)
        if query.get("sort") == ["lastModified"]:
            items.sort(key=lambda item: item.get("lastModified") or "", reverse=True)
        offset = (
            int(base64.urlsafe_b64decode(query["cursor"][0]).decode()) if "cursor" in query else 0
        )
        page = items[offset : offset + self.page_size]
        if expand:
            page = [
                {k: v for k, v in item.items() if k in expand or k in ("id", "_id")}
                for item in page
            ]
        headers_out = {}
        if offset + self.page_size < len(items):
            cursor = base64.urlsafe_b64encode(str(offset + self.page_size).encode()).decode()
            params = "&".join(f"expand={name}" for name in expand)
            headers_out["Link"] = (
                f'<{self.url}/api/datasets?cursor={cursor}&sort=lastModified&{params}>; rel="next"'
            )
        return Reply(200, page, headers_out)
