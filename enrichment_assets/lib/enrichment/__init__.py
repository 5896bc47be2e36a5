"""LLM enrichment of posts: prompts and schemas, the Groq client, the runner and what it drives
(shared limiter, cache, waits, budget, usage log), grounding, pricing, and the offline `local`
provider. Its SQL is in `storage/enrichment.py`."""
