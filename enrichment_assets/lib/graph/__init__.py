"""The post graph: channels, posts, entities, tags, links and datasets, and what connects them."""
