"""Composition root: settings, app factory, lifespan, middleware, CLI and the demo runner."""
