"""The GraphQL schema (strawberry): types, inputs, loaders, queries and mutations."""
