"""m4d-search indexer: crawl → parse → enrich → (text) → write → search.

One subpackage per stage (``crawl``, ``parse``, ``enrich``, ``text``, ``codec``, ``search``) and,
at the top, the value types (``model``), the errors (``errors``), what is declared once
(``settings``), the index's fields (``schema``), the only writer (``write``), the crawl run end
to end (``pipeline``) and the command line (``cli``). Each module knows only the stages before
it (ARCHITECTURE.md lists what each folder may import); nothing here imports the web app.
"""
