"""One router per resource: search, papers, embeddings, service status, and the page."""
