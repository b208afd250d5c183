"""Partner webhooks: managing endpoints, deciding deliveries from the event log, sending them."""
