"""LLM enrichment of posts: prompts and schemas, the Groq client, the runner (shared limiter,
cache, budget, usage log), grounding, pricing, and the offline `local` provider."""
