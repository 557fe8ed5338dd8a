"""Text: what words are, for the writer and the reader alike.

``analyzers`` (per-language Whoosh analyzers: tokenize → lowercase → cut runaway words →
stopwords → Snowball stem → fold accents), ``chains`` (those chains compiled into cached
``token → term`` functions), ``glossary`` (the field's key terms in en/es/fr, for
cross-language queries) and ``taxonomy`` (thematic areas, document types, language and country
names: the facet values and their labels). Imports no other stage.
"""
