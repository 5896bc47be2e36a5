"""The web: the SSRF-safe fetcher, page extraction, the crawler, the link janitor, cleanup."""
