"""Reading posts from the files users really have: Telegram exports, RSS/Atom feeds, JSONL."""
