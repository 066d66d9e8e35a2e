"""Use cases for consent: grant, withdraw, share, and open items under the access policy.

Every read of an individual item goes through :func:`cpdcore.domain.access.can` with the
facts loaded here (the subject's consents, the item's shares, whether the actor is the
subject's appraiser, the pupils' media consent from the MIS) and is written to the audit
log as a read of personal data.

Withdrawal is one call and takes effect at once: the consent ends in the same
transaction, every share made under it is revoked, and (unless the subject keeps it) the
item's media is deleted through the media port after the commit.

The module also exports :func:`appraisal_evidence_filter`, the predicate the review pack,
portfolio and RAG use cases apply to evidence, and :func:`record_release`, which turns
the owner's "release for appraisal" into consent records.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime

import attrs

from cpdcore.domain.access import Action, Decision, Facts, PupilMedia, Resource, can
from cpdcore.domain.actors import Actor
from cpdcore.domain.consent import (
    DEFAULT_WORDING,
    WORDING_VERSION,
    Audience,
    ConsentRecord,
    ItemKind,
    ItemRef,
    Purpose,
    Share,
    find_consent,
    revoke_share,
    withdraw,
)
from cpdcore.domain.evidence import Evidence, EvidencePurpose, released_for_appraisal
from cpdcore.domain.identifiers import MediaId, StaffId
from cpdcore.domain.organisation import Role, StaffMember
from cpdcore.errors import NotFound, PermissionDenied, ValidationError
from cpdcore.ports import MisSource
from cpdcore.services.context import Transaction, UseCases, all_pages, appraiser_of, new_id

__all__ = [
    "RELEASE_AUDIENCES",
    "ConsentUseCases",
    "ItemKindSupport",
    "Withdrawal",
    "access_facts",
    "appraisal_evidence_filter",
    "grant_in_transaction",
    "load_resource",
    "pupil_media",
    "record_release",
    "register_item_kind",
]

RELEASE_AUDIENCES = (Audience.LINE_MANAGER, Audience.SCHOOL_LEADERS)
"""Audiences an owner's "release for appraisal" grants APPRAISAL_EVIDENCE to."""

_DATA_PROTECTION = frozenset({Role.ADMINISTRATOR})


@attrs.frozen
class ItemKindSupport:
    """How the consent use cases find items of one :class:`ItemKind`.

    ``resource`` returns the access facts of an item (raising ``NotFound``), ``load`` the
    item itself (what :meth:`ConsentUseCases.open_item` returns) and ``media`` its media
    id, if any. The observation and clip use cases register theirs with
    :func:`register_item_kind`.
    """

    resource: Callable[[Transaction, str], Resource]
    load: Callable[[Transaction, str], object]
    media: Callable[[Transaction, str], MediaId | None]


def _evidence(tx: Transaction, item_id: str) -> Evidence:
    return tx.repo(Evidence).get(tx.actor.trust_id, item_id)


_KINDS: dict[ItemKind, ItemKindSupport] = {
    ItemKind.EVIDENCE: ItemKindSupport(
        resource=lambda tx, item_id: Resource.from_evidence(_evidence(tx, item_id)),
        load=_evidence,
        media=lambda tx, item_id: _evidence(tx, item_id).media_id,
    )
}


def register_item_kind(kind: ItemKind, support: ItemKindSupport) -> None:
    """Teach the consent use cases to find items of ``kind`` (observations, clips)."""
    _KINDS[kind] = support


def _support(kind: ItemKind) -> ItemKindSupport:
    try:
        return _KINDS[kind]
    except KeyError:
        known = ", ".join(k.value for k in _KINDS)
        raise ValidationError.single(
            "item", f"no {kind.value} items are stored yet; items can be: {known}"
        ) from None


def load_resource(tx: Transaction, item: ItemRef) -> Resource:
    """The access facts of an item of the actor's trust (``NotFound`` if absent)."""
    return _support(item.kind).resource(tx, item.id)


def pupil_media(mis: MisSource | None, resource: Resource) -> PupilMedia:
    """What the MIS says about the pupils of the class an item's media was captured in.

    Fails closed: no MIS, an unknown class or a class with pupils lacking a flag give
    :attr:`PupilMedia.UNKNOWN`, which blocks the same audiences as a refusal.
    """
    if not resource.has_media or resource.class_label is None:
        return PupilMedia.NOT_APPLICABLE
    if mis is None:
        return PupilMedia.UNKNOWN
    label = resource.class_label
    found = next((c for c in mis.classes() if label in (c.sourced_id, c.title)), None)
    if found is None:
        return PupilMedia.UNKNOWN
    flags = mis.pupil_media_consent(found.sourced_id)
    if any(not f.media_allowed for f in flags):
        return PupilMedia.REFUSED
    if len({f.pupil_sourced_id for f in flags}) < found.pupils:
        return PupilMedia.UNKNOWN
    return PupilMedia.ALLOWED


def _consents_of(tx: Transaction, subject_id: str) -> tuple[ConsentRecord, ...]:
    return tuple(
        all_pages(tx.repo(ConsentRecord), tx.actor.trust_id, where={"subject_id": subject_id})
    )


def _shares_of(tx: Transaction, item: ItemRef) -> tuple[Share, ...]:
    return tuple(
        all_pages(
            tx.repo(Share),
            tx.actor.trust_id,
            where={"item_kind": item.kind, "item_id": item.id},
        )
    )


def _appraises(tx: Transaction, actor: Actor, subject_id: str, at: datetime) -> bool:
    if actor.staff_id is None:
        return False
    return appraiser_of(tx, StaffId(subject_id), at.date()) == actor.staff_id


def access_facts(
    tx: Transaction,
    resource: Resource,
    mis: MisSource | None,
    *,
    consents: Sequence[ConsentRecord] | None = None,
) -> Facts:
    """Load what :func:`~cpdcore.domain.access.can` needs to decide about ``resource``."""
    return Facts(
        consents=tuple(consents) if consents is not None else _consents_of(tx, resource.subject_id),
        shares=_shares_of(tx, resource.ref),
        appraisees=(
            frozenset({resource.subject_id})
            if _appraises(tx, tx.actor, resource.subject_id, tx.now)
            else frozenset()
        ),
        pupil_media=pupil_media(mis, resource),
    )


def appraisal_evidence_filter(
    tx: Transaction, owner_id: str, mis: MisSource | None
) -> Callable[[Evidence], bool]:
    """The predicate "this item of ``owner_id`` is appraisal evidence the actor may see".

    For the owner it is :func:`~cpdcore.domain.evidence.released_for_appraisal` with their
    consents; for anyone else it is :func:`~cpdcore.domain.access.can` with the purpose
    ``APPRAISAL_EVIDENCE``. Consents and the appraiser relation are loaded once; the MIS
    is asked once per class.
    """
    consents = _consents_of(tx, owner_id)
    now = tx.now
    actor = tx.actor
    if actor.staff_id == owner_id:
        return lambda e: e.owner_id == owner_id and released_for_appraisal(e, consents, now)
    appraises = _appraises(tx, actor, owner_id, now)
    pupils: dict[str | None, PupilMedia] = {}

    def allowed(evidence: Evidence) -> bool:
        if evidence.owner_id != owner_id:
            return False
        resource = Resource.from_evidence(evidence)
        key = resource.class_label if resource.has_media else None
        if key not in pupils:
            pupils[key] = pupil_media(mis, resource)
        facts = Facts(
            consents=consents,
            appraisees=frozenset({owner_id}) if appraises else frozenset(),
            pupil_media=pupils[key],
        )
        decision = can(actor, Action.READ, resource, Purpose.APPRAISAL_EVIDENCE, now, facts=facts)
        return decision.allowed

    return allowed


def grant_in_transaction(
    tx: Transaction,
    *,
    subject_id: StaffId,
    item_kind: ItemKind,
    item_id: str | None,
    purpose: Purpose,
    audience: Audience,
    school_id: object = None,
    expires_at: datetime | None = None,
    wording: str | None = None,
    wording_version: str | None = None,
    group_id: str | None = None,
) -> ConsentRecord:
    """Record a consent inside an open transaction (for use cases that must store the
    consent atomically with another change, e.g. accepting an observation or sharing a
    clip). The caller has already checked that the actor is the subject."""
    scope = f"{item_kind.value}:{item_id}" if item_id else f"every {item_kind.value}"
    text = wording or DEFAULT_WORDING[purpose].format(
        item="this item" if item_id else f"each of my {item_kind.value} items",
        audience=audience.value.replace("_", " "),
    )
    record = tx.repo(ConsentRecord).add(
        ConsentRecord(
            id=new_id(),
            trust_id=tx.actor.trust_id,
            subject_id=subject_id,
            item_kind=item_kind,
            item_id=item_id,
            purpose=purpose,
            audience=audience,
            granted_at=tx.now,
            granted_by=tx.actor.id,
            wording=text,
            wording_version=wording_version or (WORDING_VERSION if wording is None else "custom"),
            expires_at=expires_at,
            group_id=group_id,
            school_id=school_id,  # type: ignore[arg-type]
        )
    )
    tx.audit(
        "consent.granted",
        "ConsentRecord",
        record.id,
        school_id=record.school_id,
        subject_id=subject_id,
        payload={
            "purpose": purpose.value,
            "audience": audience.value,
            "scope": scope,
            "wording_version": record.wording_version,
            "expires_at": None if expires_at is None else expires_at.isoformat(),
        },
    )
    tx.emit(
        "consent.granted",
        record.id,
        school_id=record.school_id,
        purpose=purpose.value,
        audience=audience.value,
    )
    return record


@attrs.frozen
class Withdrawal:
    """What one withdrawal did: the consent as withdrawn, the shares revoked, the media
    deleted after commit (empty when the subject kept it or another consent still needs it)."""

    consent: ConsentRecord
    shares_revoked: tuple[str, ...] = ()
    media_deleted: tuple[MediaId, ...] = ()


def _withdraw(
    tx: Transaction,
    record: ConsentRecord,
    *,
    media: Callable[[MediaId], None] | None,
) -> Withdrawal:
    """Withdraw ``record`` in ``tx``: revoke its shares and (if ``media`` is given and no
    other active consent covers the item) schedule its media's deletion after commit."""
    if record.withdrawn_at is not None:
        return Withdrawal(record)
    stored = tx.repo(ConsentRecord).update(withdraw(record, at=tx.now, by=tx.actor.id))
    revoked: list[str] = []
    for share in all_pages(tx.repo(Share), tx.actor.trust_id, where={"consent_id": record.id}):
        if share.revoked_at is None:
            tx.repo(Share).update(revoke_share(share, tx.now))
            revoked.append(share.id)
    deleted: list[MediaId] = []
    item = stored.item
    if item is not None and item.kind is ItemKind.EVIDENCE:
        _sync_release_flag(tx, item.id)
    if media is not None and item is not None:
        still_needed = any(
            c.covers(item) and c.active(tx.now) and c.item_id is not None
            for c in _consents_of(tx, record.subject_id)
        )
        media_id = _support(item.kind).media(tx, item.id)
        if media_id is not None and not still_needed:
            deleted.append(media_id)
            delete_media = media
            tx.after_commit(lambda: delete_media(media_id))
    tx.audit(
        "consent.withdrawn",
        "ConsentRecord",
        stored.id,
        school_id=stored.school_id,
        subject_id=stored.subject_id,
        payload={
            "purpose": stored.purpose.value,
            "audience": stored.audience.value,
            "shares_revoked": revoked,
            "media_deleted": list(deleted),
        },
    )
    tx.emit("consent.withdrawn", stored.id, school_id=stored.school_id)
    return Withdrawal(stored, tuple(revoked), tuple(deleted))


def _sync_release_flag(tx: Transaction, evidence_id: str) -> None:
    """Keep a developmental item's "released" flag truthful after a withdrawal, so the
    owner can release it again with ``release_evidence``."""
    evidence = tx.repo(Evidence).find(tx.actor.trust_id, evidence_id)
    if (
        evidence is None
        or evidence.purpose is EvidencePurpose.FORMAL
        or not evidence.appraisal_evidence
    ):
        return
    if not released_for_appraisal(evidence, _consents_of(tx, evidence.owner_id), tx.now):
        tx.repo(Evidence).update(attrs.evolve(evidence, appraisal_evidence=False))


def record_release(tx: Transaction, evidence: Evidence, released: bool) -> None:
    """Make the owner's "release for appraisal" of a developmental item consent records.

    Releasing grants ``APPRAISAL_EVIDENCE`` for this item to the appraiser and school
    leaders (unless already granted); taking it back withdraws those consents and keeps
    the media (the owner only took it out of appraisal). Formal items need no consent;
    nothing is recorded for them.
    """
    if evidence.purpose is EvidencePurpose.FORMAL:
        return
    item = ItemRef(ItemKind.EVIDENCE, evidence.id)
    consents = _consents_of(tx, evidence.owner_id)
    for audience in RELEASE_AUDIENCES:
        current = find_consent(
            consents,
            subject_id=evidence.owner_id,
            item=item,
            purpose=Purpose.APPRAISAL_EVIDENCE,
            audience=audience,
            as_of=tx.now,
            item_specific=True,
        )
        if released and current is None:
            grant_in_transaction(
                tx,
                subject_id=evidence.owner_id,
                item_kind=ItemKind.EVIDENCE,
                item_id=evidence.id,
                purpose=Purpose.APPRAISAL_EVIDENCE,
                audience=audience,
                school_id=evidence.school_id,
            )
        elif not released:
            for record in consents:
                if (
                    record.item == item
                    and record.purpose is Purpose.APPRAISAL_EVIDENCE
                    and record.audience is audience
                    and record.withdrawn_at is None
                ):
                    _withdraw(tx, record, media=None)


def _purpose(value: Purpose | str) -> Purpose:
    return Purpose(value) if isinstance(value, str) else value


def _audience(value: Audience | str) -> Audience:
    return Audience(value) if isinstance(value, str) else value


def _item(value: ItemRef | str, where: str = "item") -> ItemRef:
    return ItemRef.parse(value, where) if isinstance(value, str) else value


class ConsentUseCases(UseCases):
    """Grant and withdraw consent, share items, and open items under the access policy."""

    # Consent -------------------------------------------------------------------------
    def grant_consent(
        self,
        purpose: Purpose | str,
        audience: Audience | str,
        *,
        item: ItemRef | str | None = None,
        category: ItemKind | str | None = None,
        expires_at: datetime | None = None,
        wording: str | None = None,
        wording_version: str | None = None,
        group_id: str | None = None,
    ) -> ConsentRecord:
        """The actor consents to ``purpose`` for ``audience`` on one ``item`` (``kind:id``)
        or on every item of a ``category`` (an item kind). Only the subject grants.

        ``wording`` is the text the host showed (default :data:`DEFAULT_WORDING`); it is
        stored with ``wording_version``.
        """
        chosen_purpose, chosen_audience = _purpose(purpose), _audience(audience)
        me = self._subject_actor("granting consent")
        if (item is None) == (category is None):
            raise ValidationError.single(
                "item", "name exactly one of item (kind:id) or category (an item kind)"
            )
        with self._transaction() as tx:
            school = None
            if item is not None:
                ref = _item(item)
                resource = load_resource(tx, ref)
                if resource.subject_id != me:
                    raise PermissionDenied(
                        f"only {resource.subject_id}, the subject of {ref}, may consent for it"
                    )
                kind, item_id, school = ref.kind, ref.id, resource.school_id
            else:
                kind = ItemKind(category)
                item_id = None
            return grant_in_transaction(
                tx,
                subject_id=me,
                item_kind=kind,
                item_id=item_id,
                purpose=chosen_purpose,
                audience=chosen_audience,
                school_id=school,
                expires_at=expires_at,
                wording=wording,
                wording_version=wording_version,
                group_id=group_id,
            )

    def withdraw_consent(self, consent_id: str, *, keep_media: bool = False) -> Withdrawal:
        """Withdraw a consent at once: access through it stops, shares made under it are
        revoked and, unless ``keep_media`` or another active consent for the item still
        stands, the item's media is deleted through the media port after commit.

        The subject withdraws; so may a trust-wide administrator acting on their request.
        """
        with self._transaction() as tx:
            record = tx.repo(ConsentRecord).get(self.actor.trust_id, consent_id)
            if self.actor.staff_id != record.subject_id:
                self._require(_DATA_PROTECTION, None, "withdrawing someone else's consent")
            deleter = None if keep_media else self._media_deleter()
            return _withdraw(tx, record, media=deleter)

    def consents(self, subject_id: StaffId | None = None) -> list[ConsentRecord]:
        """Every consent record of ``subject_id`` (default the actor), oldest first."""
        subject = subject_id or self._subject_actor("listing consents")
        if subject != self.actor.staff_id:
            self._require(_DATA_PROTECTION, None, "listing someone else's consents")
        with self._transaction() as tx:
            found = _consents_of(tx, subject)
        return sorted(found, key=lambda c: (c.granted_at, c.id))

    # Shares -------------------------------------------------------------------------
    def share_item(
        self,
        item: ItemRef | str,
        purpose: Purpose | str,
        audience: Audience | str,
        *,
        members: Iterable[StaffId] = (),
        group_id: str | None = None,
    ) -> Share:
        """Put an item in front of ``members`` (a learning group) under an active consent.

        Raises ``ConsentRequired`` without a consent for the purpose and audience, or when
        a pupil in the class the media shows has a "no media" flag.
        """
        ref = _item(item)
        chosen_purpose, chosen_audience = _purpose(purpose), _audience(audience)
        people = tuple(dict.fromkeys(members))
        if chosen_audience is Audience.LEARNING_GROUP and not people:
            raise ValidationError.single("members", "name the members of the learning group")
        with self._transaction() as tx:
            resource = load_resource(tx, ref)
            for index, person in enumerate(people):
                if tx.repo(StaffMember).find(tx.actor.trust_id, person) is None:
                    raise ValidationError.single(f"members[{index}]", f"unknown staff {person!r}")
            facts = access_facts(tx, resource, self._adapters.mis)
            decision = can(
                self.actor,
                Action.SHARE,
                resource,
                chosen_purpose,
                tx.now,
                facts=facts,
                audience=chosen_audience,
            ).check()
            share = tx.repo(Share).add(
                Share(
                    id=new_id(),
                    trust_id=tx.actor.trust_id,
                    subject_id=resource.subject_id,
                    item_kind=ref.kind,
                    item_id=ref.id,
                    purpose=chosen_purpose,
                    audience=chosen_audience,
                    consent_id=decision.consent_id or "",
                    shared_by=self.actor.id,
                    shared_at=tx.now,
                    members=people,
                    group_id=group_id,
                    school_id=resource.school_id,
                )
            )
            tx.audit(
                "item.shared",
                "Share",
                share.id,
                school_id=share.school_id,
                subject_id=share.subject_id,
                payload={
                    "item": str(ref),
                    "purpose": chosen_purpose.value,
                    "audience": chosen_audience.value,
                    "members": list(people),
                },
            )
        return share

    def revoke_share(self, share_id: str) -> Share:
        """Revoke a share (the subject only); its members lose access at once."""
        with self._transaction() as tx:
            share = tx.repo(Share).get(self.actor.trust_id, share_id)
            if self.actor.staff_id != share.subject_id:
                raise PermissionDenied(f"only {share.subject_id} revokes shares of their items")
            if share.revoked_at is not None:
                return share
            stored = tx.repo(Share).update(revoke_share(share, tx.now))
            tx.audit(
                "share.revoked",
                "Share",
                share.id,
                school_id=share.school_id,
                subject_id=share.subject_id,
            )
        return stored

    # Reads ------------------------------------------------------------------------------
    def may(self, item: ItemRef | str, purpose: Purpose | str) -> Decision:
        """Whether the actor may open ``item`` for ``purpose``, and why (nothing is read)."""
        ref, chosen = _item(item), _purpose(purpose)
        with self._transaction() as tx:
            resource = load_resource(tx, ref)
            facts = access_facts(tx, resource, self._adapters.mis)
            return can(self.actor, Action.READ, resource, chosen, tx.now, facts=facts)

    def open_item(self, item: ItemRef | str, purpose: Purpose | str) -> object:
        """The item (e.g. an :class:`~cpdcore.domain.evidence.Evidence`), if the policy
        allows it for ``purpose``; the read is logged in the audit trail."""
        ref, chosen = _item(item), _purpose(purpose)
        with self._transaction() as tx:
            resource = self._checked(tx, ref, chosen, "item.opened")
            return _support(resource.kind).load(tx, ref.id)

    def open_media(self, item: ItemRef | str, purpose: Purpose | str) -> Iterator[bytes]:
        """The bytes of an item's media, in chunks, if the policy allows it; logged."""
        ref, chosen = _item(item), _purpose(purpose)
        with self._transaction() as tx:
            self._checked(tx, ref, chosen, "media.opened")
            media_id = _support(ref.kind).media(tx, ref.id)
        if media_id is None:
            raise NotFound("media of", str(ref))
        return self._media.open(self.actor.trust_id, media_id)

    # Shared steps --------------------------------------------------------------------------
    def _checked(self, tx: Transaction, ref: ItemRef, purpose: Purpose, action: str) -> Resource:
        resource = load_resource(tx, ref)
        facts = access_facts(tx, resource, self._adapters.mis)
        decision = can(self.actor, Action.READ, resource, purpose, tx.now, facts=facts).check()
        tx.audit(
            action,
            ref.kind.value.capitalize(),
            ref.id,
            school_id=resource.school_id,
            subject_id=resource.subject_id,
            payload={
                "purpose": purpose.value,
                "audience": None if decision.audience is None else decision.audience.value,
                "consent": decision.consent_id,
            },
        )
        return resource

    def _subject_actor(self, doing: str) -> StaffId:
        if self.actor.staff_id is None:
            raise PermissionDenied(f"{doing} needs the staff member themselves as actor")
        return self.actor.staff_id

    def _media_deleter(self) -> Callable[[MediaId], None] | None:
        store = self._adapters.media
        if store is None:
            return None
        trust_id = self.actor.trust_id

        def delete(media_id: MediaId) -> None:
            store.delete(trust_id, media_id)

        return delete
