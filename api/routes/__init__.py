"""One router per resource: search, papers, service (health, stats, embed) and the page."""
