"""What the partner webhook use cases share: the stores, the sender, the rules."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from domain.webhooks import DeliveryStore, EndpointStore, Poster, WebhookRules, WorkerState


@dataclass(slots=True)
class WebhookServices:
    endpoints: EndpointStore
    deliveries: DeliveryStore
    state: WorkerState
    poster: Poster
    rules: WebhookRules = field(default_factory=WebhookRules)
    every_seconds: float = 1.0  # the worker's pass interval (and its lease's, between passes)
    counted: Callable[[str, int], None] | None = None  # told each pass's deliveries by outcome (the metrics)
