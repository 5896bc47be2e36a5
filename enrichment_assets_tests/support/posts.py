"""Small post files in the real formats, written by tests into a temporary landing folder."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path


def unixtime(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> str:
    return str(int(datetime(year, month, day, hour, minute, tzinfo=UTC).timestamp()))


def telegram_message(message_id: int, text, when: str, **extra) -> dict:
    """A `message` as tdesktop writes it; `when` is date_unixtime (a string)."""
    entities = (
        [{"type": "plain", "text": text}]
        if isinstance(text, str)
        else [part if isinstance(part, dict) else {"type": "plain", "text": part} for part in text]
    )
    local = datetime.fromtimestamp(int(when), tz=UTC).replace(tzinfo=None).isoformat()
    return {
        "id": message_id,
        "type": "message",
        "date": local,
        "date_unixtime": when,
        "from": "Demo Channel",
        "from_id": "channel1487851422",
        "text": text,
        "text_entities": entities,
        **extra,
    }


def write_telegram_export(
    path: Path, messages: list[dict], channel_id: int = 1487851422, name: str = "Demo Channel"
) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    export = {"name": name, "type": "public_channel", "id": channel_id, "messages": messages}
    path.write_text(json.dumps(export, indent=1, ensure_ascii=False), encoding="utf-8")
    return path


RSS_FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:dc="http://purl.org/dc/elements/1.1/">
 <channel><title>Demo News</title><link>https://news.example/</link><description>d</description>
  <item><title>Headline &amp; more</title><link>https://news.example/a?x=1&amp;y=2</link>
   <guid isPermaLink="false">abc-123</guid><pubDate>Tue, 07 May 2024 22:00:00 EST</pubDate>
   <dc:creator>Jane</dc:creator><description><![CDATA[<p>Hi&nbsp;<b>there</b></p>]]></description>
   <content:encoded><![CDATA[<p>Full body with <a href="/inside">a relative link</a>.</p>]]>
   </content:encoded>
  </item>
  <item><title>No guid here</title><link>https://news.example/no-guid</link>
   <pubDate>Wed, 08 May 2024 10:00:00 GMT</pubDate><description>plain text</description></item>
  <item><title>No guid, no link</title><pubDate>Wed, 08 May 2024 11:00:00 +0200</pubDate>
   <description>orphan</description></item>
  <item><title>Junk date</title><link>https://news.example/junk</link>
   <pubDate>Mon, 32 Jan 2024 99:00:00 XYZ</pubDate></item>
 </channel>
</rss>
"""

ATOM_FEED = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Atom Demo</title><id>urn:atom-demo</id>
 <link rel="alternate" href="https://atom.example/"/>
 <updated>2024-05-09T03:04:05+03:00</updated>
 <entry><id>tag:atom.example,2024:1</id><title type="html">&lt;b&gt;Bold&lt;/b&gt; title</title>
  <link rel="alternate" href="/post/1"/><updated>2024-05-09T01:30:00.123+03:00</updated>
  <summary>Summary text</summary></entry>
</feed>
"""
