"""Saved lists' use cases: reading and changing lists, moves between a cart and a list, and the
merge of a guest's list at sign-in; each through the list unit of work."""
