"""Integration: withdrawing consent through the facade crypto-shreds the clip in this store."""

from __future__ import annotations

import base64
import io
import os
from pathlib import Path

import pytest
from cpdcore_media_fs import EncryptedFileStore
from cpdcore_media_fs.keys import KEK_ENV

from cpdcore import Actor, Cpd, Role, RoleAssignment
from cpdcore.domain.consent import Audience, ItemKind, ItemRef, Purpose
from cpdcore.domain.cycles import CyclePhase
from cpdcore.domain.evidence import EvidenceKind
from cpdcore.domain.identifiers import SchoolId, StaffId, TrustId
from cpdcore.domain.media import MediaKind
from cpdcore.errors import NotFound

T = TrustId("t")
NORTH = SchoolId("north")
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 200 + os.urandom(3000)


def test_withdrawing_consent_deletes_the_clip_through_the_encrypted_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEK_ENV, base64.b64encode(os.urandom(32)).decode())
    cpd = Cpd.open("memory://", media=(tmp_path / "media").as_uri())
    media = cpd.media
    assert isinstance(media, EncryptedFileStore)
    admin = cpd.as_actor(Actor.system(T, "set-up"))
    admin.set_up_trust("Trust")
    admin.add_school("North", school_id=NORTH)
    amy = admin.add_staff(
        "Amy", "X", roles=[RoleAssignment(Role.APPRAISEE, NORTH)], staff_id=StaffId("amy")
    )
    admin.add_staff(
        "Tia", "X", roles=[RoleAssignment(Role.TRUST_LEADER, None)], staff_id=StaffId("tia")
    )
    tia = cpd.as_actor(Actor.for_staff(admin.staff_member(StaffId("tia"))))
    cycle = tia.open_cycle("2026-27")
    tia.advance_cycle(cycle.id, CyclePhase.OBJECTIVE_SETTING)
    as_amy = cpd.as_actor(Actor.for_staff(amy))

    info = media.put(T, io.BytesIO(MP4), kind=MediaKind.VIDEO)
    clip = as_amy.log_evidence(
        EvidenceKind.VIDEO_CLIP, "Hinge questions, 9Y1", media_id=info.media_id
    )
    item = ItemRef(ItemKind.EVIDENCE, clip.id)
    consent = as_amy.grant_consent(Purpose.DEVELOPMENTAL_REVIEW, Audience.LINE_MANAGER, item=item)
    assert b"".join(media.open(T, info.media_id)) == MP4

    result = as_amy.withdraw_consent(consent.id)

    assert result.media_deleted == (info.media_id,)
    with pytest.raises(NotFound):
        media.info(T, info.media_id)
    left = [p for p in (tmp_path / "media").rglob("*") if p.is_file() and p.name != "lock"]
    assert left == []  # wrapped key and ciphertext both gone
