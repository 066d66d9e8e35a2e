"""The pluggy plugin module of cpdcore-sqlalchemy (entry point group ``cpdcore``)."""
