"""Records of who may do what: clients and credentials (later: requests, grants, consents,
e-licenses, the audit log). Stored with SQLModel; knows nothing of GraphQL."""
