"""Cart use cases, one module each, over one unit of work (`unit_of_work.py`) through which every
cart write goes: the version check, the retry, and the idempotency record written with the change.

The rules themselves (line merging, limits, sign-in merges, checkout claims) are pure methods of
`domain.carts.Cart`; these modules read what the rules need (variants, prices, stock) and write.
"""
