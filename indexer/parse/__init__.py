"""Parse: a Page → a ParsedPage → Documents.

``decode`` turns bytes into text whatever the page claims; ``extract`` reads HTML or plain text
into passages (headings and paragraphs in reading order), links, hreflang alternates and meta
robots; ``listing`` splits a listing page (a country profile) into one Document per item and
reads each item's label line (``labels``: País / Pays / Country, …); ``dates`` reads when a
document was published (or its event takes place), ``sentences`` the first sentence that
titles an item without a heading; ``limits`` bounds what one page may cost (characters, tags,
links, seconds).
"""
