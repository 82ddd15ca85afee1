"""The catalog domain: resource types, code validation and the ledger's use cases.

Nothing here knows GraphQL, HTTP, Cypher or SQL; it talks to storage through `graph.port`.
"""
