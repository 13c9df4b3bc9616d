"""abstract-search: semantic search over scientific paper abstracts, under one import name.

The design card's folders (api/, data/, index/, search/) install as abstract_search.api, .data, .index and
.search (see pyproject.toml); `from abstract_search import Library` is the Python API for notebooks.
"""

__all__ = ["Library"]


def __getattr__(name: str):
    """Import the Python API on first use, so `abstract_search.data` alone loads no model libraries."""
    if name == "Library":
        from abstract_search.api.library import Library

        return Library
    raise AttributeError(f"module 'abstract_search' has no attribute {name!r}")
