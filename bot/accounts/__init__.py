"""Web console accounts: coordinators and editors, their teams, passwords and lock-out.

Modules: models (tables: accounts, FAQ suggestions, the web chat's messages), service (the
account rules), cli (`python -m bot users ...`).
"""
