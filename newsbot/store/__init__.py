"""All SQL of newsbot lives in this package: schema, migrations, queries and search."""

from newsbot.store.store import Outcome, Page, SeedFile, SeedRecord, Store, fingerprint_of

__all__ = ["Outcome", "Page", "SeedFile", "SeedRecord", "Store", "fingerprint_of"]
