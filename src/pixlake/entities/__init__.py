"""Domain entities: what repositories return and services hand to the API.

Plain frozen dataclasses, stdlib only, one module per aggregate.  They sit below both the
services (``pixlake.core``) and the repositories (``pixlake.store.db.repositories``), so that a
repository can return them without the store importing the services (docs/decisions/0022).
"""
