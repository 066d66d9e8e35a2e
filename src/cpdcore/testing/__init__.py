"""Conformance kit for adapter authors.

Subclass the suite for your port and provide one fixture, the way fsspec's abstract tests
work::

    from cpdcore.testing import StorageConformance

    class TestMyStorage(StorageConformance):
        @pytest.fixture
        def storage(self):
            store = MyStorage("mydb://...")
            yield store
            store.close()

Capabilities an adapter lacks are declared on the subclass (e.g.
``supports_concurrent_units_of_work = False``); the affected tests then report as skipped
with the reason, never silently pass.
"""

from cpdcore.testing.conformance import (
    MediaStoreConformance,
    MisSourceConformance,
    StorageConformance,
)

__all__ = ["MediaStoreConformance", "MisSourceConformance", "StorageConformance"]
