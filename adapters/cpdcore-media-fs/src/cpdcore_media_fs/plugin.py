"""The pluggy plugin module of cpdcore-media-fs (entry point group ``cpdcore``)."""
