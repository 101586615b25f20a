"""SQLite storage: tables, identities across articles, export, termbase suggestions."""
