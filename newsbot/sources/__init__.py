"""Live sources: feeds, sitemaps and list pages fetched over HTTP into the seed store.

The flow is one way: a source's index (feed, sitemap or list page) names article
URLs; the fetcher brings each page home politely; the page is saved in the seed
store with its fetch record; ingest parses it like any other seed file.
"""
