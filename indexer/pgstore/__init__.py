"""The PostgreSQL store: the index kept in a PostgreSQL database instead of a Whoosh folder,
for many web servers, crawler machines and read replicas (ARCHITECTURE.md, "Beyond one
machine"). ``connect`` opens connections, ``migrations`` creates and upgrades the schema,
``analysis`` turns documents into rows, ``writer`` commits a crawl, ``reader`` answers
searches with the same body as ``indexer.search.engine.SearchIndex``, ``ranking`` holds the
SQL of matching, facets and pages."""
