"""Query time: embed the query, retrieve, filter, and return ranked hits. Reads the index, never writes it."""
