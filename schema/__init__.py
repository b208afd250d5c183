"""The GraphQL surface: strawberry types and thin fields that call resolvers."""
