"""The platform database: accounts, organisations, consultations, bids, audit log (SQLAlchemy 2 + Alembic).

SQLite file by default (``<data dir>/platform.sqlite3``), PostgreSQL through ``SPASER_DATABASE_URL``: the same
models and the same migrations run on both.
"""
