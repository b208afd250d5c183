"""Local stand-ins for the four backends, speaking their real API dialects.

All four serve one deterministic catalog (`catalog.py`), so the gateway has
something to merge, and each adds `GET /__stats` and `POST /__faults`.
"""
