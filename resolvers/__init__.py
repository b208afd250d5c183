"""Use cases: catalog merge, price selection, stock aggregation, store availability.

Resolvers take a `RequestContext`, never strawberry's Info, and reach backends
only through the ports in `domain.ports`, batched by per-request DataLoaders.
"""
