"""The services: one module per domain, one function per use case.

Each use case takes the caller's organization and typed arguments, checks what the caller may
do, runs in one transaction and returns domain objects (``pixlake.entities``).  Routers,
the CLI and the embedded SDK call these functions; nothing here knows about HTTP.
"""
