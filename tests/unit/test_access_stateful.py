"""The access policy against an oracle: grants, withdrawals, expiries, role changes,
shares and reads driven through the facade by a hypothesis state machine.

The oracle is a deliberately plain re-statement of the rules in
``docs/explanation/consent-and-firewall.md``; every read and every share must get the
same answer from cpdcore as from the oracle: no read allowed that the oracle denies, no
denial the oracle allows.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import attrs
import hypothesis.strategies as st
from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from cpdcore import RoleAssignment
from cpdcore.domain.consent import Audience, ItemKind, Purpose
from cpdcore.domain.evidence import EvidenceKind, EvidencePurpose
from cpdcore.domain.identifiers import StaffId
from cpdcore.domain.organisation import Role
from cpdcore.errors import ConsentRequired, PermissionDenied

from .test_consent_facade import NORTH, World

READERS = ("hal", "bob", "cat", "tia", "rex")
ITEMS = ("dev", "clip_ok", "clip_blocked", "formal", "peer")
STEPS = [0]
"""Steps taken in this process (one per rule and one per run start)."""
AUDIENCES = tuple(a for a in Audience if a is not Audience.SELF)


@attrs.define
class Grant:
    id: str
    item: str | None
    purpose: Purpose
    audience: Audience
    granted_at: datetime
    expires_at: datetime | None
    withdrawn_at: datetime | None = None

    def active(self, now: datetime) -> bool:
        if now < self.granted_at:
            return False
        if self.withdrawn_at is not None and now >= self.withdrawn_at:
            return False
        return self.expires_at is None or now < self.expires_at


@attrs.define
class ShareModel:
    id: str
    item: str
    purpose: Purpose
    consent_id: str
    members: frozenset[str]
    revoked: bool = False


@attrs.frozen
class ItemModel:
    evidence_id: str
    author: str
    developmental: bool
    formal_filed: bool
    pupils_block: bool


class AccessMachine(RuleBasedStateMachine):
    """Amy's items; five readers; the oracle keeps its own books."""

    def __init__(self) -> None:
        super().__init__()
        self.w = World()
        amy, hal, cat = self.w.act("amy"), self.w.act("hal"), self.w.act("cat")
        dev = amy.log_evidence(EvidenceKind.REFLECTION, "dev", text="private thoughts")
        ok = self.w.clip("9Y1")
        blocked = self.w.clip("9X2")
        formal = hal.log_evidence(
            EvidenceKind.OBSERVATION_NOTE,
            "formal",
            owner_id=StaffId("amy"),
            text="formal observation",
            purpose=EvidencePurpose.FORMAL,
            appraisal_evidence=True,
        )
        peer = cat.log_evidence(
            EvidenceKind.PEER_FEEDBACK, "peer", owner_id=StaffId("amy"), text="nice"
        )
        self.items = {
            "dev": ItemModel(dev.id, "amy", True, False, False),
            "clip_ok": ItemModel(ok.id, "amy", True, False, False),
            "clip_blocked": ItemModel(blocked.id, "amy", True, False, True),
            "formal": ItemModel(formal.id, "hal", False, True, False),
            "peer": ItemModel(peer.id, "cat", True, False, False),
        }
        self.grants: list[Grant] = []
        self.shares: list[ShareModel] = []
        self.leaders = {"hal"}
        self.appraiser = "hal"
        self.reads = 0

    @property
    def now(self) -> datetime:
        return self.w.clock.now()

    # Oracle --------------------------------------------------------------------------------
    def consent_for(
        self, item: str, purpose: Purpose, audience: Audience, *, specific: bool
    ) -> Grant | None:
        found = [
            g
            for g in self.grants
            if g.purpose is purpose
            and g.audience is audience
            and g.active(self.now)
            and (g.item == item or (g.item is None and not specific))
        ]
        if not found:
            return None
        return max(found, key=lambda g: (g.item is not None, g.granted_at, g.id))

    def oracle_read(self, reader: str, item: str, purpose: Purpose) -> bool:
        model = self.items[item]
        if purpose is Purpose.RESEARCH:
            return False
        if model.author == reader:
            return True
        audiences = {Audience.TRUST}
        if reader == self.appraiser:
            audiences.add(Audience.LINE_MANAGER)
        if reader in self.leaders:
            audiences.add(Audience.SCHOOL_LEADERS)
        if purpose is Purpose.APPRAISAL_EVIDENCE:
            relevant = audiences & {Audience.LINE_MANAGER, Audience.SCHOOL_LEADERS}
            if not relevant or model.pupils_block:
                return False
            if model.formal_filed:
                return True
            return any(
                self.consent_for(item, purpose, a, specific=model.developmental) for a in relevant
            )
        if model.pupils_block:
            return False
        if any(self.consent_for(item, purpose, a, specific=False) for a in audiences):
            return True
        by_id = {g.id: g for g in self.grants}
        return any(
            s.item == item
            and s.purpose is purpose
            and reader in s.members
            and not s.revoked
            and by_id[s.consent_id].active(self.now)
            for s in self.shares
        )

    def oracle_share(self, item: str, purpose: Purpose) -> Grant | None:
        model = self.items[item]
        if purpose is Purpose.RESEARCH or model.pupils_block:
            return None
        specific = purpose is Purpose.APPRAISAL_EVIDENCE and not model.formal_filed
        return self.consent_for(item, purpose, Audience.LEARNING_GROUP, specific=specific)

    # Rules ---------------------------------------------------------------------------------
    @rule(
        item=st.sampled_from((*ITEMS, None)),
        purpose=st.sampled_from(list(Purpose)),
        audience=st.sampled_from(AUDIENCES),
        hours=st.none() | st.integers(1, 96),
    )
    def grant(
        self, item: str | None, purpose: Purpose, audience: Audience, hours: int | None
    ) -> None:
        expires = None if hours is None else self.now + timedelta(hours=hours)
        target = None if item is None else f"evidence:{self.items[item].evidence_id}"
        record = self.w.act("amy").grant_consent(
            purpose,
            audience,
            item=target,
            category=ItemKind.EVIDENCE if item is None else None,
            expires_at=expires,
        )
        self.grants.append(Grant(record.id, item, purpose, audience, self.now, expires))

    @precondition(lambda self: any(g.withdrawn_at is None for g in self.grants))
    @rule(data=st.data())
    def withdraw(self, data: st.DataObject) -> None:
        grant = data.draw(st.sampled_from([g for g in self.grants if g.withdrawn_at is None]))
        result = self.w.act("amy").withdraw_consent(grant.id)
        grant.withdrawn_at = max(self.now, grant.granted_at)
        expected = {s.id for s in self.shares if s.consent_id == grant.id and not s.revoked}
        assert set(result.shares_revoked) == expected
        for share in self.shares:
            if share.id in expected:
                share.revoked = True

    @rule(hours=st.integers(1, 72))
    def time_passes(self, hours: int) -> None:
        self.w.clock.advance(timedelta(hours=hours))

    @precondition(lambda self: "bob" not in self.leaders)
    @rule()
    def bob_becomes_a_school_leader(self) -> None:
        self.w.admin.assign_role(StaffId("bob"), RoleAssignment(Role.SCHOOL_LEADER, NORTH))
        self.leaders.add("bob")

    @rule(to=st.sampled_from(("hal", "bob", "cat")))
    def change_appraiser(self, to: str) -> None:
        if to == self.appraiser:
            return
        self.w.clock.advance(timedelta(days=1))
        self.w.admin.change_appraiser(StaffId("amy"), StaffId(to))
        self.appraiser = to

    @rule(
        item=st.sampled_from(ITEMS),
        purpose=st.sampled_from(list(Purpose)),
        members=st.sets(st.sampled_from(READERS), min_size=1),
    )
    def share(self, item: str, purpose: Purpose, members: set[str]) -> None:
        expected = self.oracle_share(item, purpose)
        target = f"evidence:{self.items[item].evidence_id}"
        denied: Exception | None = None
        try:
            made = self.w.act("amy").share_item(
                target, purpose, Audience.LEARNING_GROUP, members=[StaffId(m) for m in members]
            )
        except (ConsentRequired, PermissionDenied) as error:
            denied = error
        if denied is not None:
            assert expected is None, f"share denied but the oracle allows it: {denied}"
            return
        assert expected is not None, "share allowed but the oracle denies it"
        assert made.consent_id == expected.id
        self.shares.append(ShareModel(made.id, item, purpose, made.consent_id, frozenset(members)))

    @rule(
        reader=st.sampled_from(READERS),
        item=st.sampled_from(ITEMS),
        purpose=st.sampled_from(list(Purpose)),
    )
    def read(self, reader: str, item: str, purpose: Purpose) -> None:
        expected = self.oracle_read(reader, item, purpose)
        target = f"evidence:{self.items[item].evidence_id}"
        denied: Exception | None = None
        try:
            self.w.act(reader).open_item(target, purpose)
        except (ConsentRequired, PermissionDenied) as error:
            denied = error
        if denied is not None:
            assert not expected, f"{reader} denied {item} for {purpose.value}: {denied}"
            assert "private thoughts" not in str(denied)
            return
        assert expected, f"{reader} read {item} for {purpose.value}; the oracle denies it"
        self.reads += 1

    @invariant()
    def the_subject_always_reads_her_own_items(self) -> None:
        STEPS[0] += 1
        assert self.w.act("amy").may(f"evidence:{self.items['dev'].evidence_id}", "research")


AccessMachine.TestCase.settings = settings(
    max_examples=60,
    stateful_step_count=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
"""Up to 60 runs of up to 60 steps; runs end early at random, so a CI run takes about
2,600-3,000 steps (counted with STEPS), in a few seconds on the in-memory store."""

TestAccessAgainstOracle = AccessMachine.TestCase
