"""The pluggy plugin module of cpdcore-oneroster (entry point group ``cpdcore``)."""
