"""Human-readable terminal output for search results: a table with highlighted snippets."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from abstract_search.search.hits import Results


def highlighted(snippet: str, spans) -> Text:
    """Return the snippet with the query's words in bold."""
    text = Text(snippet, style="dim")
    for start, end in spans:
        text.stylize("bold yellow", start, end)
    return text


def short_authors(authors, limit: int = 3) -> str:
    """Return 'A, B, C et al.' for a long author list."""
    names = list(authors)
    return ", ".join(names[:limit]) + (" et al." if len(names) > limit else "")


def results_table(results: Results, offset: int = 0) -> Table:
    """Return a table of ranked hits."""
    table = Table(title=f"{results.query[:80]!r}: {len(results.hits)} of {results.total}", show_lines=True)
    table.add_column("#", justify="right")
    table.add_column("score", justify="right")
    table.add_column("year")
    table.add_column("paper", ratio=1)
    table.add_column("id", overflow="fold")
    for rank, hit in enumerate(results.hits, start=offset + 1):
        cell = Text(hit.paper.title, style="bold")
        cell.append("\n" + short_authors(hit.paper.authors), style="italic")
        if hit.paper.url:
            cell.append("\n" + hit.paper.url, style=f"blue link {hit.paper.url}")
        cell.append("\n")
        cell.append_text(highlighted(hit.snippet, hit.highlights))
        table.add_row(str(rank), f"{hit.score:.3f}", str(hit.paper.year or ""), cell, hit.paper.id)
    return table


def print_results(console: Console, results: Results, offset: int = 0) -> None:
    """Print results, or a clear line when there are none."""
    if not results.hits:
        console.print(f"No papers: {results.note}." if results.note else f"No papers match {results.query!r}.",
                      highlight=False)
        return
    console.print(results_table(results, offset))
