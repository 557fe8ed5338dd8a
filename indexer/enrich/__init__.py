"""Enrich: raw Documents → Documents with canonical facet values.

``facets`` maps the label lines' raw values to facet values (theme ids from the taxonomy,
ISO country codes from Babel's names, document types), fills in the language (``language``:
Lingua, when the page declares none) and gives the versions of one work a shared translation
group.
"""
