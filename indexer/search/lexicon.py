"""The words of one index version (read side): which exist and in how many documents, the
accented forms each language's documents use, and the index's correction of an unknown word.
``query.QueryBuilder`` reads them to restore accents, correct typos and suggest; ``versions``
keeps one per index version and segment."""
from __future__ import annotations

from indexer.text.analyzers import STEMMED, fold

#: Shortest word that spelling correction touches.
MIN_TYPO_LENGTH = 5
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
        for lang in STEMMED:
            forms: dict[str, list[str]] = {}
            name = f"spell_content_{lang}"
            if name in reader.schema:
                for word in reader.lexicon(name):
                    word = word.decode("utf-8") if isinstance(word, bytes) else word
                    folded = fold(word)
                    if folded != word:
                        forms.setdefault(folded, []).append(word)
            self.forms[lang] = forms

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

    def correct(self, folded: str) -> str | None:
        """Return the most frequent indexed word one edit (insertion, deletion, substitution,
        transposition of two neighbours) away from an unknown folded word, or None."""
        if len(folded) < MIN_TYPO_LENGTH or not folded.isalpha():
            return None
        counts, letters = self.counts, self.letters
        splits = [(folded[:i], folded[i:]) for i in range(len(folded) + 1)]
        edits = {a + b[1:] for a, b in splits if b}
        edits |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
        edits |= {a + c + b[1:] for a, b in splits if b for c in letters}
        edits |= {a + c + b for a, b in splits for c in letters}
        edits.discard(folded)
        found = [w for w in edits if w in counts]
        if not found:
            return None
        return max(sorted(found), key=counts.__getitem__)

    def display_form(self, folded: str) -> str:
        """Return the word as the documents write it (accents restored), for a suggestion."""
        forms = [w for lang in STEMMED for w in self.forms[lang].get(folded, ())]
        return forms[0] if len(set(forms)) == 1 else folded
