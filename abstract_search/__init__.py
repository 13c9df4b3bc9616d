"""abstract-search: semantic search over scientific paper abstracts, under one import name.

The design card's folders (api/, data/, index/, search/) install as abstract_search.api, .data, .index and
.search (see pyproject.toml); `from abstract_search import Library` is the Python API for notebooks.
"""
