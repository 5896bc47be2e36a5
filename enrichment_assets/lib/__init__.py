"""Each domain's plain logic, one package per domain (`posts`, `enrichment`, `web`, `embeddings`,
`datasets`, `operations`), and `common` for what several share. Nothing here imports dagster, and
no SQL is written here: tables are read and written through `enrichment_assets.storage`."""
