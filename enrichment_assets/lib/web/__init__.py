"""The web: the SSRF-safe fetcher (fetch, with its policy, outcomes, host gates, robots.txt,
response reading, cache view and clients), page extraction, the crawler, the link janitor,
cleanup. Its SQL is in `storage/web.py`."""
