"""m4d-search web app: the search page, the JSON API and the OpenSearch description."""
from __future__ import annotations

from flask import Flask

from indexer.settings import default_index_dir


def create_app(test_config: dict | None = None) -> Flask:
    """Create and configure the app."""
    app = Flask(__name__)
    app.config.from_mapping(
        INDEX_DIR=default_index_dir(),
        PER_PAGE=10,
        JSON_AS_ASCII=False,
    )
    if test_config is not None:
        app.config.update(test_config)
    app.json.ensure_ascii = False
    app.json.sort_keys = False

    from . import api, caching, cors, errors, handle, i18n, links, public, security, site, views

    handle.init_app(app)
    i18n.init_app(app)
    errors.init_app(app)
    security.init_app(app)
    cors.init_app(app)
    caching.init_app(app)
    links.init_app(app)
    public.init_app(app)
    site.init_app(app)
    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)
    return app
