"""The catalog slice: products, variants, prices, stock, stores and channels."""
