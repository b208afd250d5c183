"""The customer across channels: who they are, their orders, saved lists, notifications and
recommendations. `me` is the signed-in customer (the bearer token's); every field checks its own scope."""
