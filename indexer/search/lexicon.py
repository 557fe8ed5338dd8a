"""The words of one index version (read side): which exist and in how many documents, the
accented forms each language's documents use, and the index's correction of an unknown word.
``query.QueryBuilder`` reads them to restore accents, correct typos and suggest; ``versions``
keeps one per index version and segment."""
from __future__ import annotations

import heapq
import re
from bisect import bisect_left

from indexer.schema import link_fields
from indexer.text.analyzers import STEMMED, TOKEN_PATTERN, fold

_TITLE_WORD = re.compile(TOKEN_PATTERN)

#: Shortest word that spelling correction touches.
MIN_TYPO_LENGTH = 5
#: A known word in at most this many documents may be offered a correction ("Did you mean …?").
RARE_WORD_DOCS = 2
#: ... when the correction is in at least this many times more documents.
SUGGEST_RATIO = 20
#: The language-neutral fields, whose lexicons hold every word accent-folded.
NEUTRAL_FIELDS = ("content_any", "title_any")


class Lexicon:
    """The words of one index version: which exist, their accented forms, their corrections.

    Read once per index version from the index's own lexicons (held in memory: a word and a
    count per distinct word), so a correction costs set look-ups, not a lexicon scan.
    """

    def __init__(self, reader):
        #: accent-folded word → how many documents hold it (title or body; at most, with both).
        self.counts: dict[str, int] = {}
        for name in NEUTRAL_FIELDS:
            for word, info in reader.iter_field(name):
                word = word.decode("utf-8") if isinstance(word, bytes) else word
                self.counts[word] = self.counts.get(word, 0) + info.doc_frequency()
        self.letters = "".join(sorted({c for w in self.counts for c in w if c.isalpha()}))
        #: lang → accent-folded word → the forms with accents that lang's documents use.
        self.forms: dict[str, dict[str, list[str]]] = {}
        #: lang → the accent-folded words of that language's documents (a correction in the
        #: word's own language comes first).
        self.words: dict[str, frozenset[str]] = {}
        for lang in STEMMED:
            forms: dict[str, list[str]] = {}
            words = set()
            name = f"spell_content_{lang}"
            if name in reader.schema:
                for word in reader.lexicon(name):
                    word = word.decode("utf-8") if isinstance(word, bytes) else word
                    folded = fold(word)
                    words.add(folded)
                    if folded != word:
                        forms.setdefault(folded, []).append(word)
            self.forms[lang] = forms
            self.words[lang] = words
        self._title_words(reader)
        self.words = {lang: frozenset(words) for lang, words in self.words.items()}
        #: every word in order (made at the first completion asked).
        self.ordered: list[str] | None = None

    def _title_words(self, reader) -> None:
        """Add the words of each document's title (from the ``link`` column: titles have no
        spelling field) to its language's words and accented forms: a label or a title may
        hold the only "migración" of a Spanish document."""
        if "link" not in reader.schema or not reader.has_column("link"):
            return
        column = reader.column_reader("link", translate=False)
        for n in range(reader.doc_count_all()):
            raw = column[n]
            if not raw:
                continue
            _, lang, _, title = link_fields(raw)
            if lang not in self.words or not title:
                continue
            for word in _TITLE_WORD.findall(title.lower()):
                folded = fold(word)
                self.words[lang].add(folded)
                if folded != word and word not in self.forms[lang].get(folded, ()):
                    self.forms[lang].setdefault(folded, []).append(word)

    @classmethod
    def from_words(cls, counts: dict[str, int], spelled: dict[str, list[str]]) -> Lexicon:
        """Return the vocabulary of a store that keeps its words in tables (the PostgreSQL
        store): counts, each accent-folded word's documents (title or body, at most); spelled,
        per language, the words its documents write (lowercase, accents kept, titles too)."""
        out = cls.__new__(cls)
        out.counts = counts
        out.letters = "".join(sorted({c for w in counts for c in w if c.isalpha()}))
        out.forms, out.words, out.ordered = {}, {}, None
        for lang in STEMMED:
            forms: dict[str, list[str]] = {}
            words = set()
            for word in sorted(spelled.get(lang, ())):
                folded = fold(word)
                words.add(folded)
                if folded != word:
                    forms.setdefault(folded, []).append(word)
            out.forms[lang], out.words[lang] = forms, frozenset(words)
        return out

    @classmethod
    def merged(cls, parts: list[Lexicon]) -> Lexicon:
        """Return the vocabulary of an index made of segments, from each segment's own
        (the same as reading the whole index: counts add up, forms unite in lexicon order)."""
        if len(parts) == 1:
            return parts[0]
        out = cls.__new__(cls)
        out.counts = dict(parts[0].counts)
        for part in parts[1:]:
            counts = out.counts
            for word, n in part.counts.items():
                counts[word] = counts.get(word, 0) + n
        out.letters = "".join(sorted(set().union(*(p.letters for p in parts))))
        out.forms = {}
        out.words = {lang: frozenset().union(*(p.words[lang] for p in parts)) for lang in STEMMED}
        out.ordered = None
        for lang in STEMMED:
            forms: dict[str, set[str]] = {}
            for part in parts:
                for folded, words in part.forms[lang].items():
                    forms.setdefault(folded, set()).update(words)
            out.forms[lang] = {folded: sorted(words) for folded, words in forms.items()}
        return out

    def frequency(self, folded: str) -> int:
        """Return how many documents hold the folded word."""
        return self.counts.get(folded, 0)

    def language_of(self, folded_words, near: dict[str, list[str]] | None = None) -> str | None:
        """Return the one language whose documents hold the most of these words, a word
        unknown to the index counting for the languages of its one-edit neighbours (None:
        nothing known, or a tie): the language a query is written in, as its words tell.

        :param near: unknown word → its ``neighbours``, when the caller has them already.
        """
        near = near or {}
        sets = [{w} if self.counts.get(w) else set(near[w] if w in near else self.neighbours(w))
                for w in folded_words]
        counts = {lang: sum(any(w in self.words.get(lang, ()) for w in found) for found in sets) for lang in STEMMED}
        best = max(counts.values(), default=0)
        top = [lang for lang, n in counts.items() if n == best]
        return top[0] if best and len(top) == 1 else None

    def correct(self, folded: str, prefer: tuple[str, ...] = (), found: list[str] | None = None) -> str | None:
        """Return the most frequent indexed word one edit (insertion, deletion, substitution,
        transposition of two neighbours) away from an unknown folded word, or None.

        :param prefer: languages in order of preference: the candidates found in the first
            of them whose documents hold any are the only ones considered ("migrasion" is
            "migración" for a Spanish query, "migration" for an English one).
        :param found: the word's ``neighbours``, when the caller has them already.
        """
        found = self.neighbours(folded) if found is None else found
        for lang in prefer:
            own = [w for w in found if w in self.words.get(lang, ())]
            if own:
                found = own
                break
        if not found:
            return None
        return max(sorted(found), key=self.counts.__getitem__)

    def suggest(self, folded: str, prefer: tuple[str, ...] = ()) -> str | None:
        """Return a much more frequent word one edit away from a known but rare word (a
        correction to offer, not to apply: "Did you mean …?"), or None."""
        n = self.counts.get(folded, 0)
        if not n or n > RARE_WORD_DOCS:
            return None
        found = self.correct(folded, prefer)
        return found if found is not None and self.counts[found] >= n * SUGGEST_RATIO else None

    def completions(self, prefix: str, limit: int) -> list[str]:
        """Return the words that begin with a folded prefix (not the prefix itself), the
        most frequent first, at most limit of them."""
        if self.ordered is None:
            self.ordered = sorted(self.counts)
        words, at, found = self.ordered, bisect_left(self.ordered, prefix), []
        while at < len(words) and words[at].startswith(prefix):
            if words[at] != prefix:
                found.append(words[at])
            at += 1
        return heapq.nsmallest(limit, found, key=lambda w: (-self.counts[w], w))

    def neighbours(self, folded: str) -> list[str]:
        """Return the indexed words one edit away from a folded word."""
        if len(folded) < MIN_TYPO_LENGTH or not folded.isalpha():
            return []
        counts, letters = self.counts, self.letters
        splits = [(folded[:i], folded[i:]) for i in range(len(folded) + 1)]
        edits = {a + b[1:] for a, b in splits if b}
        edits |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
        edits |= {a + c + b[1:] for a, b in splits if b for c in letters}
        edits |= {a + c + b for a, b in splits for c in letters}
        edits.discard(folded)
        return [w for w in edits if w in counts]

    def display_form(self, folded: str) -> str:
        """Return the word as the documents write it (accents restored), for a suggestion."""
        forms = [w for lang in STEMMED for w in self.forms[lang].get(folded, ())]
        return forms[0] if len(set(forms)) == 1 else folded
