"""Partner webhooks: endpoints, their secrets, and what was delivered to them."""
