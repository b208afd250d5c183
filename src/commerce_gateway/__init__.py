"""Commerce Gateway: one GraphQL API over a retailer's backends."""
