"""Paging, searching and sorting a collection, with the paging in headers as GitHub's API does.

The body stays a JSON array (the tutorial's shape); `X-Total-Count` and an RFC 8288 `Link` header
(first, prev, next, last) tell the rest. Every query keeps to the caller's rows and sorts on an
indexed column with the id as tie-breaker, so a page costs the same for ten rows or 100,000.
"""

from dataclasses import dataclass
from urllib.parse import urlencode

from flask import request
from marshmallow import RAISE, Schema, fields, validate
from sqlalchemy import Select, func

from app.database import db
from app.fields import Text
from app.models import MAX_ID

# How the paging headers are described in the OpenAPI description of a list's 200.
PAGING_HEADERS = {
    "X-Total-Count": {
        "description": "How many there are in all (after `q` and other filters)",
        "schema": {"type": "integer", "minimum": 0},
    },
    "Link": {
        "description": "RFC 8288 links to the first, prev, next and last pages",
        "schema": {"type": "string"},
    },
}
DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100
SORT_FIELDS = ("id", "name", "date_created", "date_modified")
SORT_CHOICES = tuple(SORT_FIELDS) + tuple(f"-{name}" for name in SORT_FIELDS)


class ListQuerySchema(Schema):
    """The query parameters every collection takes; any other is a 400 (a typo should not pass)."""

    class Meta:
        unknown = RAISE

    page = fields.Integer(
        load_default=1, validate=validate.Range(min=1, max=MAX_ID),
        metadata={"description": "page number, from 1"},
    )
    per_page = fields.Integer(
        load_default=DEFAULT_PER_PAGE, validate=validate.Range(min=1, max=MAX_PER_PAGE),
        metadata={"description": f"items per page, at most {MAX_PER_PAGE}"},
    )
    q = Text(
        validate=validate.Length(max=255),
        metadata={"description": "case-insensitive part of the name; % and _ match themselves"},
    )
    sort = fields.String(
        load_default="id", validate=validate.OneOf(SORT_CHOICES),
        metadata={"description": "id, name, date_created or date_modified; a leading - reverses"},
    )
    format = fields.String(
        validate=validate.OneOf(["json"]),
        metadata={"description": "json: answer JSON even to a browser (see the browsable API)"},
    )


@dataclass(frozen=True)
class Page:
    """One page of a collection and what the headers say about it."""

    rows: list
    total: int
    page: int
    per_page: int

    @property
    def last(self) -> int:
        return max(1, -(-self.total // self.per_page))


def like_pattern(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, with `%`, `_` and `\\` matching themselves."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def sort_order(columns, sort: str, tie_breaker=None) -> list:
    """ORDER BY terms for `sort` (a name, or -name for descending) over `columns` (a model or a
    subquery's `.c`), with the id of `tie_breaker` (else of `columns`) last, so the order is
    total."""
    descending = sort.startswith("-")
    column = getattr(columns, sort.lstrip("-"))
    ids = (tie_breaker or columns).id
    order = [column.desc() if descending else column.asc()]
    if sort.lstrip("-") != "id":
        order.append(ids.desc() if descending else ids.asc())
    return order


def paginate(query: Select, model, args: dict, options=(), total: int | None = None) -> Page:
    """Search (`q` on model.name), sort and page `query`; the count runs on the same filter.

    `total`, when the caller already knows how many rows `query` has, spares the count (unless
    `q` narrows the rows).

    Loader `options` (such as per-row counts) apply to the rows of the page only: the page's ids
    are chosen first, so rows skipped by the offset cost nothing more than an index step.
    """
    if args.get("q"):
        query = query.where(model.name.ilike(like_pattern(args["q"]), escape="\\"))
        total = None
    if total is None:
        count = query.with_only_columns(func.count(), maintain_column_froms=True).order_by(None)
        total = db.session.scalar(count)
    order = sort_order(model, args["sort"])
    page_query = query.order_by(*order).limit(args["per_page"])
    page_query = page_query.offset((args["page"] - 1) * args["per_page"])
    if options:
        page_ids = page_query.with_only_columns(model.id, maintain_column_froms=True)
        page_query = db.select(model).where(model.id.in_(page_ids)).options(*options)
        page_query = page_query.order_by(*order)
    rows = db.session.scalars(page_query).all()
    return Page(rows=rows, total=total, page=args["page"], per_page=args["per_page"])


def paging_headers(page: Page) -> dict:
    """`X-Total-Count` and a `Link` header whose URLs keep every other query parameter."""

    def link(number: int, rel: str) -> str:
        params = [(key, value) for key, value in request.args.items(multi=True) if key != "page"]
        query = urlencode([*params, ("page", str(number))])
        return f'<{request.base_url}?{query}>; rel="{rel}"'

    links = [link(1, "first")]
    if page.page > 1:
        links.append(link(min(page.page - 1, page.last), "prev"))
    if page.page < page.last:
        links.append(link(page.page + 1, "next"))
    links.append(link(page.last, "last"))
    return {"X-Total-Count": str(page.total), "Link": ", ".join(links)}
