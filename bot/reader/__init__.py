"""The reader side: a service (queries, cached briefly) and views (HTML of cards and lists)."""
