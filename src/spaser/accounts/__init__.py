"""Accounts and organisations: buyer organisations and supplier companies (SIRET), their users and roles,
password hashing, sessions, CSRF, login rate limiting and the outbox of messages."""
