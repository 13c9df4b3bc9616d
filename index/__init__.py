"""Everything that writes to disk: embedding, the SQLite store, the FAISS index and its manifest."""
