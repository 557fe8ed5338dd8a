"""m4d-search indexer: crawl → extract → segment → enrich → analyze → index → search.

Each module knows only the stages before it; nothing here imports the web app.
"""
