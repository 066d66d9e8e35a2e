"""Typed identifiers.

Identifiers are opaque strings; the ``NewType`` wrappers stop a staff id from being passed
where a school id is expected. The application layer mints new ones (random UUIDs); MIS
imports keep the MIS's ``sourcedId``.
"""

from __future__ import annotations

from typing import NewType

__all__ = [
    "CycleId",
    "DepartmentId",
    "EvidenceId",
    "MediaId",
    "ObjectiveId",
    "RecordId",
    "SchoolId",
    "StaffId",
    "TrustId",
]

RecordId = NewType("RecordId", str)
TrustId = NewType("TrustId", str)
SchoolId = NewType("SchoolId", str)
DepartmentId = NewType("DepartmentId", str)
StaffId = NewType("StaffId", str)
CycleId = NewType("CycleId", str)
ObjectiveId = NewType("ObjectiveId", str)
EvidenceId = NewType("EvidenceId", str)
MediaId = NewType("MediaId", str)
