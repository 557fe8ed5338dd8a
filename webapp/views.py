"""HTML pages: the search page renders the same dict as /api/search."""
from __future__ import annotations

from flask import Blueprint, render_template

from .handle import get_index
from .params import search_args

bp = Blueprint("views", __name__)


@bp.get("/")
@bp.get("/search")
def search():
    """Show the search box, results and facets."""
    args = search_args()
    body = get_index().search(**args)
    return render_template("search.html", body=body, args=args)
