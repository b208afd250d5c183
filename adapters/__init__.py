"""The outside world: one package per backend dialect, the MongoDB store, the shared HTTP client."""
