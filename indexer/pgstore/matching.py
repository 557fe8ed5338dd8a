"""A plain-words plan (``search.query.Plan``) as rows for SQL, and what SQL leaves to Python:
the positions of phrases.

A plan's clauses are Whoosh query trees (an Or of every field's term for a word, its
accented forms, corrections, completions, glossary translations; an And for a glossary
phrase typed as several words; Phrases for a translated phrase or CJK bigrams). Each tree
becomes *groups* of term rows: a term alone is a group of one part; an And is a group whose
parts are its children (all required); a Phrase is a group whose parts are its words (all
required, then in order within the phrase's slop, checked here from positions). A document
matches a clause where one of its groups is complete, and scores the sum of its complete
groups, as Whoosh's Or and And sum their parts. The plan's proximity bonuses are phrase
groups of no clause: they only add to the score of documents matched otherwise.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from whoosh.query import And, Phrase, Term

#: The clause number of a bonus (it matches nothing on its own).
BONUS = -1


@dataclass
class Group:
    clause: int
    phrase: bool = False
    words: list[str] = field(default_factory=list)  # a phrase's words in order
    slop: int = 1


@dataclass
class Rows:
    """The columns ``ranking.SCORE`` unnests, and the groups they belong to."""

    cols: dict[str, list] = field(default_factory=lambda: {k: [] for k in (
        "clause", "grp", "part", "need", "phrase", "field", "term", "boost", "fd", "avgfl")})
    groups: list[Group] = field(default_factory=list)

    def add(self, group: int, part: int, need: int, q, word: str, boost: float, stats) -> None:
        c, g = self.cols, self.groups[group]
        c["clause"].append(g.clause)
        c["grp"].append(group)
        c["part"].append(part)
        c["need"].append(need)
        c["phrase"].append(g.phrase)
        c["field"].append(q.fieldname)
        c["term"].append(word)
        c["boost"].append(float(boost))
        c["fd"].append(stats.field_docs(q.fieldname))
        c["avgfl"].append(stats.average_length(q.fieldname))

    def group(self, clause: int, **kw) -> int:
        self.groups.append(Group(clause, **kw))
        return len(self.groups) - 1


def _text(word) -> str:
    return word.decode("utf-8") if isinstance(word, bytes) else word


def rows_of(clauses: list, bonuses: list, stats) -> Rows:
    """Return the rows of a plan's clause queries and bonus phrases."""
    rows = Rows()
    for number, clause in enumerate(clauses):
        _walk(rows, clause.query, number, 1.0, stats)
    for bonus in bonuses:
        if isinstance(bonus, Phrase):
            _phrase(rows, bonus, BONUS, 1.0, stats)
    return rows


def _walk(rows: Rows, q, clause: int, boost: float, stats) -> None:
    if isinstance(q, Term):
        rows.add(rows.group(clause), 0, 1, q, _text(q.text), boost * q.boost, stats)
    elif isinstance(q, Phrase):
        _phrase(rows, q, clause, boost, stats)
    elif isinstance(q, And):
        group = rows.group(clause)
        subs = list(q.subqueries)
        for part, sub in enumerate(subs):
            for leaf in sub.leaves():
                words = [leaf.text] if isinstance(leaf, Term) else getattr(leaf, "words", [])
                for word in words:
                    rows.add(group, part, len(subs), leaf, _text(word), boost * q.boost * leaf.boost, stats)
    elif hasattr(q, "subqueries"):
        for sub in q.subqueries:
            _walk(rows, sub, clause, boost * q.boost, stats)


def _phrase(rows: Rows, q, clause: int, boost: float, stats) -> None:
    words = [_text(w) for w in q.words]
    if not words:
        return
    distinct = list(dict.fromkeys(words))
    group = rows.group(clause, phrase=True, words=words, slop=q.slop)
    for part, word in enumerate(distinct):
        rows.add(group, part, len(distinct), q, word, boost * q.boost, stats)


def near(words: list[str], positions: dict[str, list[int]], slop: int) -> bool:
    """Tell whether the words follow each other, each 1 to slop positions after the one
    before (Whoosh's phrase rule: ``SpanNear2`` with ``ordered=True, mindist=1``)."""
    ends = set(positions.get(words[0], ()))
    for word in words[1:]:
        ends = {p for p in positions.get(word, ()) if any(p - gap in ends for gap in range(1, slop + 1))}
        if not ends:
            return False
    return True
