-- m4d-search's PostgreSQL store, version 1: documents, postings, term statistics, meta.
-- Applied by indexer/pgstore/migrations.py in one transaction; never edit a released file,
-- add the next one (0002_….sql).

CREATE EXTENSION IF NOT EXISTS unaccent;

-- One text-search configuration per language: accents folded (unaccent) before the
-- language's Snowball stemmer, from PostgreSQL's own dictionaries; and a language-neutral one.
CREATE TEXT SEARCH CONFIGURATION m4d_en (COPY = pg_catalog.english);
ALTER TEXT SEARCH CONFIGURATION m4d_en ALTER MAPPING FOR hword, hword_part, word WITH unaccent, english_stem;
CREATE TEXT SEARCH CONFIGURATION m4d_es (COPY = pg_catalog.spanish);
ALTER TEXT SEARCH CONFIGURATION m4d_es ALTER MAPPING FOR hword, hword_part, word WITH unaccent, spanish_stem;
CREATE TEXT SEARCH CONFIGURATION m4d_fr (COPY = pg_catalog.french);
ALTER TEXT SEARCH CONFIGURATION m4d_fr ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem;
CREATE TEXT SEARCH CONFIGURATION m4d_any (COPY = pg_catalog.simple);
ALTER TEXT SEARCH CONFIGURATION m4d_any ALTER MAPPING FOR hword, hword_part, word WITH unaccent, simple;

-- The store's own facts: schema version, generation (bumped by every commit), last crawl.
CREATE TABLE m4d_meta (
    key text PRIMARY KEY,
    value jsonb NOT NULL
);
INSERT INTO m4d_meta VALUES ('generation', '0');

-- One row per document (DESIGN.md's data model). n: the document's number in postings.
CREATE TABLE documents (
    n bigserial PRIMARY KEY,
    id text NOT NULL UNIQUE,
    url text NOT NULL,
    source text NOT NULL DEFAULT '',
    title text NOT NULL DEFAULT '',
    body text NOT NULL DEFAULT '',
    keywords text[] NOT NULL DEFAULT '{}',
    themes text[] NOT NULL DEFAULT '{}',
    countries text[] NOT NULL DEFAULT '{}',
    lang text NOT NULL,
    type text NOT NULL,
    grp text NOT NULL,
    date date,
    -- the document in its language's configuration (title A, text and key words B): quoted
    -- phrases and query syntax are matched here, through the GIN index
    tsv tsvector NOT NULL
);
CREATE INDEX documents_tsv ON documents USING gin (tsv);
CREATE INDEX documents_grp ON documents (grp);
CREATE INDEX documents_source ON documents (source);
CREATE INDEX documents_themes ON documents USING gin (themes);
CREATE INDEX documents_countries ON documents USING gin (countries);

-- What facets, filters and the order of results read of each document, apart from its wide
-- text: a search's matches are joined here, and only a page's documents are read whole.
-- grp: the work (translation group) as a number, hashtextextended(documents.grp, 0): cheaper
-- to join, group and sort than the text (two works sharing a 64-bit hash: about one chance in
-- 10^7 for a million works).
CREATE TABLE labels (
    n bigint PRIMARY KEY REFERENCES documents ON DELETE CASCADE,
    grp bigint NOT NULL,
    lang text NOT NULL,
    type text NOT NULL,
    themes text[] NOT NULL,
    countries text[] NOT NULL,
    day date
);
CREATE INDEX labels_grp ON labels (grp);

-- The inverted index the ranking reads: the project's own analysis (the same Snowball
-- stems and accent folding as the Whoosh store), one row per (field, term, document).
-- tf: the term's weight in the field (a title counts twice); dl: the field's length; pos: its
-- positions (phrases, proximity).
CREATE TABLE postings (
    field text COLLATE "C" NOT NULL,
    term text COLLATE "C" NOT NULL,
    n bigint NOT NULL REFERENCES documents ON DELETE CASCADE,
    tf real NOT NULL,
    dl real NOT NULL,
    pos integer[] NOT NULL DEFAULT '{}',
    -- scoring reads (n, tf, dl) from this index alone (an index-only scan: the writer
    -- vacuums after each commit), never the rows with their positions
    PRIMARY KEY (field, term, n) INCLUDE (tf, dl)
);
CREATE INDEX postings_n ON postings (n);

-- Per-term statistics: in how many documents each (field, term) is (BM25's idf, spelling
-- correction, accent restoration, completions: the spell_xx fields hold words as written).
CREATE TABLE terms (
    field text COLLATE "C" NOT NULL,
    term text COLLATE "C" NOT NULL,
    df integer NOT NULL,
    PRIMARY KEY (field, term)
);

-- Per-field statistics: documents holding the field and their total length (BM25's average).
CREATE TABLE field_stats (
    field text PRIMARY KEY,
    docs bigint NOT NULL,
    total double precision NOT NULL
);
