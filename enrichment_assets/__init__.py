"""enrichment_assets: posts, a dataset catalog and their enrichment as Dagster assets."""
