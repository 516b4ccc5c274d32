"""Pages of long lists whose length comes with the rows (COUNT(*) OVER ()), so showing a page costs
one query where Paginator makes two (a COUNT, then the page)."""

from django.core.paginator import Paginator
from django.db.models import Count, Window

TOTAL = "rows_in_all"
FARTHEST_PAGE = 100_000


def with_total(queryset):
    """`queryset` with each row carrying the number of rows in all, as `rows_in_all`."""
    return queryset.annotate(**{TOTAL: Window(Count("pk"))})


def page_with_total(queryset, *, page, per_page):
    """Paginator(queryset, per_page).get_page(page), usually in one query."""

    def fetch(number):
        first = (number - 1) * per_page
        rows = list(with_total(queryset)[first : first + per_page])
        return rows, getattr(rows[0], TOTAL) if rows else None

    return page_of(fetch, page=page, per_page=per_page, count=queryset.count)


def page_of(fetch, *, page, per_page, count):
    """What Paginator.get_page(page) gives, for rows fetched a page at a time with the total beside them.

    `fetch(number)` returns (that page's rows, the total, or None when it found no row). A page past
    the end shows the last one, as get_page does, at the cost of `count()` and fetching again.
    """
    asked = page_number(page)
    # A page number no list reaches (or below 1) is looked up from page 1, which brings the total.
    fetched = asked if 1 <= asked <= FARTHEST_PAGE else 1
    rows, total = fetch(fetched)
    if total is None:
        total = count() if asked != 1 else 0
    shown = Paginator(_KnownLength(rows, total), per_page).get_page(asked)
    if shown.number != fetched:
        rows, _ = fetch(shown.number)
        shown = Paginator(_KnownLength(rows, total), per_page).page(shown.number)
    return shown


def page_number(value):
    """The page asked for: 1 when it is not a whole number; 0 or below means the last (get_page's way)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return 1


class _KnownLength:
    """One page's rows and the length of the whole list: all Paginator reads of it."""

    def __init__(self, rows, total):
        self.rows, self.total = rows, total

    def count(self):
        return self.total

    def __getitem__(self, bounds):
        return self.rows
