"""The ASGI app, the GraphQL schema, the CLI and pages. No business rules here."""
