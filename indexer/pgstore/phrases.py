"""Phrases in the PostgreSQL store: what scoring in SQL (``ranking.score_sql``) leaves to
Python, checked from the postings' positions (``matching.near``).

A phrase that is a clause (a translated phrase, CJK bigrams) decides which documents match,
so it is checked for every candidate at once. A proximity bonus (``matching.BONUS``) only
adds to the score of a document matched otherwise, so it is checked lazily, as the Whoosh
store does (``search.topk.ScoredMatches``): a document's score lies between its base and
its *upper bound* (base plus every bonus it could earn), and only the documents whose upper
bound can reach the page are checked (``Bonuses.due``, ``reader.PgSearch._search``).
"""
from __future__ import annotations

from indexer.pgstore import matching
from indexer.pgstore import ranking as sql


def check(conn, rows: matching.Rows, pending) -> dict[int, list[tuple[int, float]]]:
    """Return, per document, the (clause, score) of each pending (document, group, score)
    whose words are near enough in that document (one read of their positions)."""
    earned: dict[int, list[tuple[int, float]]] = {}
    if not pending:
        return earned
    cols = rows.cols
    wanted = sorted({(g, f, t) for g, f, t, ph in zip(cols["grp"], cols["field"], cols["term"], cols["phrase"],
                                                       strict=True) if ph})
    positions: dict[tuple[int, int], dict[str, list[int]]] = {}
    for g, n, term, pos in conn.execute(sql.POSITIONS, {
            "grp": [w[0] for w in wanted], "field": [w[1] for w in wanted], "term": [w[2] for w in wanted],
            "cn": [p[0] for p in pending], "cg": [p[1] for p in pending]}):
        positions.setdefault((g, n), {})[term] = pos
    for n, g, score in pending:
        group = rows.groups[g]
        if matching.near(group.words, positions.get((g, n), {}), group.slop):
            earned.setdefault(n, []).append((group.clause, float(score)))
    return earned


class Bonuses:
    """The proximity bonuses of a search's matches not checked yet: per document, the most
    it can earn and the (group, score) of each bonus whose words it holds."""

    def __init__(self, rows: matching.Rows, unchecked: dict[int, list[tuple[int, float]]]):
        self._rows = rows
        self._unchecked = {n: (sum(score for _, score in won), won) for n, won in unchecked.items()}

    def __bool__(self) -> bool:
        return bool(self._unchecked)

    def most(self, n: int) -> float:
        """Return the most document n can still earn."""
        entry = self._unchecked.get(n)
        return entry[0] if entry else 0.0

    def due(self, ranks: dict[int, float], floor: float | None) -> list[int]:
        """Return the unchecked documents among ranks whose upper bound (their rank plus the
        most they can earn) reaches floor; None: every one."""
        if floor is None:
            return [n for n in self._unchecked if n in ranks]
        return [n for n, (most, _) in self._unchecked.items() if n in ranks and ranks[n] + most >= floor]

    def settle(self, conn, ns: list[int]) -> dict[int, float]:
        """Check the bonuses of documents ns; return what each one earned (those earning
        nothing left out). They are checked for good: ``due`` no longer returns them."""
        pending = [(n, g, score) for n in ns for g, score in self._unchecked.pop(n, (0.0, ()))[1]]
        return {n: sum(score for _, score in won) for n, won in check(conn, self._rows, pending).items()}
