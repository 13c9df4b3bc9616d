"""Human-readable terminal output for search results: one block per hit, ids on lines of their own."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from abstract_search.search.hits import Hit, Results

LEVEL_STYLES = {"strong": "bold green", "partial": "yellow", "weak": "dim"}
GUTTER = 18  # "rank level year " before each title


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


def hit_block(rank: int, hit: Hit) -> Table:
    """Return a hit as a two-column grid: rank, match level and year; then title, authors, link and snippet."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(width=GUTTER - 1, no_wrap=True)
    grid.add_column(ratio=1)
    left = Text(f"{rank:>3} ")
    left.append(f"{hit.level:<8}", style=LEVEL_STYLES[hit.level])
    left.append(f"{hit.paper.year or '':<4}")
    right = Text(hit.paper.title, style="bold")
    byline = " · ".join(part for part in (short_authors(hit.paper.authors), " ".join(hit.paper.categories)) if part)
    if byline:
        right.append("\n" + byline, style="italic")
    if hit.paper.url:
        right.append("\n" + hit.paper.url, style=f"blue link {hit.paper.url}")
    right.append("\n")
    right.append_text(highlighted(hit.snippet, hit.highlights))
    grid.add_row(left, right)
    return grid


def print_results(console: Console, results: Results, took_s: float | None = None) -> None:
    """Print results, or a clear line when there are none; ids are never wrapped or cut (they are copied)."""
    if not results.hits:
        console.print(f"No papers: {results.note}." if results.note else f"No papers match {results.query!r}.",
                      highlight=False)
        return
    first, last = results.offset + 1, results.offset + len(results.hits)
    took = f" · {took_s * 1000:.0f} ms" if took_s is not None else ""
    console.print(Text(repr(results.query[:200]), style="bold"), soft_wrap=False)
    console.print(f"results {first}-{last}; {results.total} papers pass the filters{took}", highlight=False,
                  soft_wrap=False)
    if results.caution:
        console.print(Text(results.caution[0].upper() + results.caution[1:] + ".", style="bold yellow"), soft_wrap=False)
    for rank, hit in enumerate(results.hits, first):
        console.print()
        console.print(hit_block(rank, hit), soft_wrap=False)
        console.print(Text(" " * GUTTER + "id: ", style="dim") + Text(hit.paper.id), soft_wrap=True)
    console.print()
    if results.more:
        console.print(f"More: add --offset {last}", highlight=False)
    elif last < results.total:
        console.print("End of the matches: the papers after these are weak matches, or past the offset limit.",
                      highlight=False, soft_wrap=False)
