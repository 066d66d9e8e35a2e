"""Use cases for observations and clips: focus lists, requests, acceptance with consent,
non-evaluative notes, clip capture through the media port, comments and reflections.

Acceptance is the moment consent is recorded: the observed teacher's acceptance grants
``DEVELOPMENTAL_REVIEW`` on the observation for ``SELF`` and ``OBSERVER`` in the same
unit of work, and nothing can be captured before it. Reads of observations and clips go
through :func:`cpdcore.domain.access.can`; the observer additionally needs the teacher's
observer consent to still stand, so withdrawing it ends the observer's access at once.

A developmental observation reaches a review pack (or RAG) only when its teacher releases
it: :meth:`ObservationUseCases.release_observation_for_appraisal` files the notes as an
evidence item and records the item-specific ``APPRAISAL_EVIDENCE`` consent that the
review pack's evidence filter requires; withdrawing that consent takes it out again.

Importing this module registers observations and clips with the consent use cases, so
``grant_consent(item="clip:ID")``, ``withdraw_consent`` (which deletes a clip's media)
and ``open_item`` work on them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from typing import BinaryIO, TypeVar

import attrs

from cpdcore.domain.access import Action, Facts, PupilMedia, Resource, can
from cpdcore.domain.clips import (
    Clip,
    ClipKind,
    ObservationPolicy,
    Reflection,
    Setting,
    TimedComment,
    add_comment,
    add_reflection,
    clip_resource,
    duration_problems,
)
from cpdcore.domain.consent import Audience, ConsentRecord, ItemKind, ItemRef, Purpose, find_consent
from cpdcore.domain.evidence import Evidence, EvidenceKind, EvidencePurpose
from cpdcore.domain.identifiers import EvidenceId, MediaId, ObjectiveId, SchoolId, StaffId
from cpdcore.domain.objectives import Objective
from cpdcore.domain.observations import (
    DEFAULT_FOCUSES,
    Observation,
    ObservationFocus,
    ObservationKind,
    ObservationNote,
    ObservationRequest,
    accept,
    add_note,
    cancel,
    decline,
    focus_for,
    observation_from_request,
    observation_resource,
)
from cpdcore.domain.organisation import Role, StaffMember
from cpdcore.domain.roster import ClassGroup
from cpdcore.domain.sip import SipPriority
from cpdcore.domain.standards import TeachersStandard, parse_standards
from cpdcore.domain.video_clubs import CLUB_PURPOSES
from cpdcore.errors import ConsentRequired, PermissionDenied, Problem, ValidationError
from cpdcore.ports import MisSource, Record
from cpdcore.services.consent import (
    ItemKindSupport,
    access_facts,
    grant_in_transaction,
    record_release,
    register_item_kind,
)
from cpdcore.services.context import Transaction, UseCases, all_pages, appraiser_of, new_id

__all__ = [
    "CAPTURE_AUDIENCES",
    "ObservationUseCases",
    "check_sip_codes",
    "clip_facts",
    "load_clip",
    "school_focuses",
]

CAPTURE_AUDIENCES = (Audience.SELF, Audience.OBSERVER)
"""Audiences the teacher's acceptance grants ``DEVELOPMENTAL_REVIEW`` to."""

_LEADERS = frozenset({Role.SCHOOL_LEADER, Role.TRUST_LEADER, Role.ADMINISTRATOR})

_R = TypeVar("_R", bound=Record)


def load_clip(tx: Transaction, clip_id: str) -> Clip:
    """A clip of the actor's trust (``NotFound`` if absent)."""
    return tx.repo(Clip).get(tx.actor.trust_id, clip_id)


def _load_observation(tx: Transaction, observation_id: str) -> Observation:
    return tx.repo(Observation).get(tx.actor.trust_id, observation_id)


def _naming(tx: Transaction, kind: type[_R], me: StaffId, fields: tuple[str, ...]) -> list[_R]:
    """Records of ``kind`` that name ``me`` in any of ``fields``, each once."""
    repo = tx.repo(kind)
    found = {
        record.id: record
        for field in fields
        for record in all_pages(repo, tx.actor.trust_id, where={field: me})
    }
    return list(found.values())


def _no_media(_tx: Transaction, _item_id: str) -> MediaId | None:
    return None


register_item_kind(
    ItemKind.OBSERVATION,
    ItemKindSupport(
        resource=lambda tx, item_id: observation_resource(_load_observation(tx, item_id)),
        load=_load_observation,
        media=_no_media,
    ),
)
register_item_kind(
    ItemKind.CLIP,
    ItemKindSupport(
        resource=lambda tx, item_id: clip_resource(load_clip(tx, item_id)),
        load=load_clip,
        media=lambda tx, item_id: load_clip(tx, item_id).media_id,
    ),
)


def _stored_pupil_media(tx: Transaction, resource: Resource) -> PupilMedia:
    """The roster import's view of a class (used when no live MIS is configured).

    Fails closed like the live check: an unknown class is ``UNKNOWN``.
    """
    label = resource.class_label
    if not resource.has_media or label is None:
        return PupilMedia.NOT_APPLICABLE
    classes = all_pages(tx.repo(ClassGroup), tx.actor.trust_id, school_id=resource.school_id)
    found = next((c for c in classes if label in (c.id, c.title)), None)
    if found is None:
        return PupilMedia.UNKNOWN
    return PupilMedia.REFUSED if found.media_restricted else PupilMedia.ALLOWED


def clip_facts(tx: Transaction, resource: Resource, mis: MisSource | None) -> Facts:
    """Access facts of an item, asking the live MIS for pupils' media consent when one is
    configured and the roster last imported otherwise."""
    facts = access_facts(tx, resource, mis)
    if mis is None:
        facts = attrs.evolve(facts, pupil_media=_stored_pupil_media(tx, resource))
    return facts


def school_focuses(tx: Transaction, school_id: SchoolId) -> list[ObservationFocus]:
    """The focus list of a school (active and retired entries)."""
    return all_pages(tx.repo(ObservationFocus), tx.actor.trust_id, school_id=school_id)


def check_sip_codes(
    tx: Transaction, school_id: SchoolId, codes: Sequence[str], where: str
) -> tuple[str, ...]:
    """``codes`` without repeats, after checking each is a SIP priority the school sees
    (its own or the trust's, in any year)."""
    known = {
        p.code
        for p in all_pages(tx.repo(SipPriority), tx.actor.trust_id)
        if p.school_id in (None, school_id)
    }
    accepted = ", ".join(sorted(known)) or "none (add SIP priorities first)"
    problems = [
        Problem(f"{where}[{i}]", f"unknown SIP priority {code!r}; accepted: {accepted}")
        for i, code in enumerate(codes)
        if code not in known
    ]
    if problems:
        raise ValidationError(problems)
    return tuple(dict.fromkeys(codes))


def _capture_consent(
    tx: Transaction, observation: Observation, audience: Audience
) -> ConsentRecord | None:
    consents = all_pages(
        tx.repo(ConsentRecord), tx.actor.trust_id, where={"subject_id": observation.teacher_id}
    )
    return find_consent(
        consents,
        subject_id=observation.teacher_id,
        item=ItemRef(ItemKind.OBSERVATION, observation.id),
        purpose=Purpose.DEVELOPMENTAL_REVIEW,
        audience=audience,
        as_of=tx.now,
        item_specific=True,
    )


def _require_observer_consent(tx: Transaction, observation: Observation, doing: str) -> None:
    if _capture_consent(tx, observation, Audience.OBSERVER) is None:
        raise ConsentRequired(
            f"{doing} needs {observation.teacher_id}'s developmental_review consent for the "
            f"observer on observation {observation.id}; it was not given or was withdrawn",
            purpose=Purpose.DEVELOPMENTAL_REVIEW.value,
            audience=Audience.OBSERVER.value,
        )


class ObservationUseCases(UseCases):
    """Focused peer observations, captured clips and photos, comments and reflections."""

    # Focus list and policy ------------------------------------------------------------
    def save_observation_focus(
        self,
        school_id: SchoolId,
        code: str,
        title: str,
        *,
        sip_priorities: Iterable[str] = (),
        standards: Iterable[TeachersStandard | str] = (),
        description: str = "",
        active: bool = True,
    ) -> ObservationFocus:
        """Add or change an entry of the school's focus list (school leaders)."""
        self._require(_LEADERS, school_id, "editing the observation focus list")
        with self._transaction() as tx:
            codes = check_sip_codes(tx, school_id, tuple(sip_priorities), "sip_priorities")
            focus = ObservationFocus(
                id=ObservationFocus.key(school_id, code),
                trust_id=self.actor.trust_id,
                school_id=school_id,
                code=code,
                title=title,
                sip_codes=codes,
                standards=parse_standards(standards),
                description=description,
                active=active,
            )
            repo = tx.repo(ObservationFocus)
            current = repo.find(self.actor.trust_id, focus.id)
            if current is None:
                stored = repo.add(focus)
            else:
                stored = repo.update(attrs.evolve(focus, version=current.version))
            tx.audit(
                "observation_focus.saved",
                "ObservationFocus",
                stored.id,
                school_id=school_id,
                payload={"code": code, "sip_priorities": list(codes), "active": active},
            )
        return stored

    def add_default_focuses(
        self, school_id: SchoolId, *, sip_links: dict[str, Sequence[str]] | None = None
    ) -> list[ObservationFocus]:
        """Put the suggested focus list (:data:`DEFAULT_FOCUSES`) on a school's list,
        linking each code in ``sip_links`` to those SIP priorities."""
        links = sip_links or {}
        unknown = sorted(set(links) - {t.code for t in DEFAULT_FOCUSES})
        if unknown:
            accepted = ", ".join(t.code for t in DEFAULT_FOCUSES)
            raise ValidationError.single(
                "sip_links", f"unknown focus code(s) {', '.join(unknown)}; accepted: {accepted}"
            )
        return [
            self.save_observation_focus(
                school_id,
                template.code,
                template.title,
                sip_priorities=links.get(template.code, ()),
                standards=template.standards,
            )
            for template in DEFAULT_FOCUSES
        ]

    def observation_focuses(self, school_id: SchoolId) -> list[ObservationFocus]:
        """The active entries of a school's focus list, by code."""
        with self._transaction() as tx:
            return sorted((f for f in school_focuses(tx, school_id) if f.active), key=_by_code)

    def set_observation_policy(
        self, school_id: SchoolId, *, max_clip_seconds: int
    ) -> ObservationPolicy:
        """Set the longest clip a school accepts (school leaders)."""
        self._require(_LEADERS, school_id, "setting the observation policy")
        with self._transaction() as tx:
            repo = tx.repo(ObservationPolicy)
            current = repo.find(self.actor.trust_id, school_id)
            policy = ObservationPolicy(
                id=school_id,
                trust_id=self.actor.trust_id,
                school_id=school_id,
                max_clip_seconds=max_clip_seconds,
                version=0 if current is None else current.version,
            )
            stored = repo.add(policy) if current is None else repo.update(policy)
            tx.audit(
                "observation_policy.set",
                "ObservationPolicy",
                school_id,
                school_id=school_id,
                payload={"max_clip_seconds": max_clip_seconds},
            )
        return stored

    def observation_policy(self, school_id: SchoolId) -> ObservationPolicy:
        """The school's observation policy (the default when it has not set one)."""
        with self._transaction() as tx:
            return _policy(tx, school_id)

    # Requests -------------------------------------------------------------------------
    def request_observation(
        self,
        teacher_id: StaffId,
        focus: str,
        *,
        school_id: SchoolId,
        planned_for: date,
        class_label: str | None = None,
        kind: ObservationKind | str = ObservationKind.DEVELOPMENTAL,
        message: str = "",
    ) -> ObservationRequest:
        """Ask ``teacher_id`` to be observed with an agreed ``focus`` from the school's list.

        Formal observations (performance management) may be requested only by the
        teacher's appraiser or a school leader.
        """
        me = self._me("requesting an observation")
        chosen = ObservationKind(kind) if isinstance(kind, str) else kind
        with self._transaction() as tx:
            teacher = tx.repo(StaffMember).get(self.actor.trust_id, teacher_id)
            if school_id not in teacher.schools:
                raise ValidationError.single(
                    "school_id", f"{teacher_id} holds no role at school {school_id}"
                )
            focus_for(school_focuses(tx, school_id), focus)
            if (
                chosen is ObservationKind.FORMAL
                and appraiser_of(tx, teacher_id, tx.now.date()) != me
            ):
                self._require(
                    frozenset({Role.SCHOOL_LEADER}), school_id, "requesting a formal observation"
                )
            request = tx.repo(ObservationRequest).add(
                ObservationRequest(
                    id=new_id(),
                    trust_id=self.actor.trust_id,
                    school_id=school_id,
                    observer_id=me,
                    teacher_id=teacher_id,
                    focus_code=focus,
                    planned_for=planned_for,
                    requested_at=tx.now,
                    kind=chosen,
                    class_label=class_label,
                    message=message,
                )
            )
            tx.audit(
                "observation.requested",
                "ObservationRequest",
                request.id,
                school_id=school_id,
                subject_id=teacher_id,
                payload={"focus": focus, "kind": chosen.value},
            )
            tx.emit(
                "observation.requested",
                request.id,
                school_id=school_id,
                teacher_id=teacher_id,
                observer_id=me,
                focus=focus,
            )
        return request

    def accept_observation(
        self, request_id: str, *, wording: str | None = None, wording_version: str | None = None
    ) -> Observation:
        """The observed teacher accepts: consent is recorded, then the observation exists.

        Grants ``DEVELOPMENTAL_REVIEW`` on the observation for ``SELF`` and ``OBSERVER``
        with the wording the host showed (default wording otherwise).
        """
        me = self._me("accepting an observation")
        with self._transaction() as tx:
            repo = tx.repo(ObservationRequest)
            request = repo.get(self.actor.trust_id, request_id)
            if request.teacher_id != me:
                raise PermissionDenied(
                    f"only {request.teacher_id}, the teacher to be observed, accepts this request"
                )
            consents = [
                grant_in_transaction(
                    tx,
                    subject_id=me,
                    item_kind=ItemKind.OBSERVATION,
                    item_id=request.id,
                    purpose=Purpose.DEVELOPMENTAL_REVIEW,
                    audience=audience,
                    school_id=request.school_id,
                    wording=wording,
                    wording_version=wording_version,
                )
                for audience in CAPTURE_AUDIENCES
            ]
            accepted = repo.update(accept(request, at=tx.now, consent_ids=(c.id for c in consents)))
            observation = tx.repo(Observation).add(observation_from_request(accepted))
            tx.audit(
                "observation.accepted",
                "Observation",
                observation.id,
                school_id=observation.school_id,
                subject_id=me,
                payload={"consents": [c.id for c in consents]},
            )
            tx.emit(
                "observation.accepted",
                observation.id,
                school_id=observation.school_id,
                teacher_id=me,
                observer_id=observation.observer_id,
            )
        return observation

    def decline_observation(self, request_id: str, *, note: str = "") -> ObservationRequest:
        """The teacher declines; no reason is needed and nothing is recorded about them."""
        me = self._me("declining an observation")
        with self._transaction() as tx:
            repo = tx.repo(ObservationRequest)
            request = repo.get(self.actor.trust_id, request_id)
            if request.teacher_id != me:
                raise PermissionDenied(f"only {request.teacher_id} answers this request")
            stored = repo.update(decline(request, at=tx.now, note=note))
            tx.audit("observation.declined", "ObservationRequest", request.id, subject_id=me)
        return stored

    def cancel_observation_request(self, request_id: str) -> ObservationRequest:
        """The observer withdraws a request the teacher has not answered."""
        me = self._me("cancelling an observation request")
        with self._transaction() as tx:
            repo = tx.repo(ObservationRequest)
            request = repo.get(self.actor.trust_id, request_id)
            if request.observer_id != me:
                raise PermissionDenied(f"only {request.observer_id} cancels this request")
            stored = repo.update(cancel(request, at=tx.now))
            tx.audit("observation.cancelled", "ObservationRequest", request.id)
        return stored

    def observation_requests(self) -> list[ObservationRequest]:
        """Requests the actor made or received, oldest first."""
        me = self._me("listing observation requests")
        with self._transaction() as tx:
            found = _naming(tx, ObservationRequest, me, ("teacher_id", "observer_id"))
        return sorted(found, key=lambda r: (r.requested_at, r.id))

    # Observations ---------------------------------------------------------------------
    def add_observation_note(
        self, observation_id: str, text: str, *, minute: int | None = None
    ) -> Observation:
        """The observer notes what they saw or heard (developmental notes never grade)."""
        me = self._me("writing observation notes")
        with self._transaction() as tx:
            observation = _load_observation(tx, observation_id)
            if observation.observer_id != me:
                raise PermissionDenied(
                    f"only the observer, {observation.observer_id}, writes notes"
                )
            _require_observer_consent(tx, observation, "writing observation notes")
            note = ObservationNote(text=text, by=me, written_at=tx.now, minute=minute)
            stored = tx.repo(Observation).update(add_note(observation, note))
            tx.audit(
                "observation.noted",
                "Observation",
                observation.id,
                school_id=observation.school_id,
                subject_id=observation.teacher_id,
            )
        return stored

    def observation(self, observation_id: str) -> Observation:
        """An observation, for its teacher and (while consent stands) its observer."""
        with self._transaction() as tx:
            observation = _load_observation(tx, observation_id)
            self._check_read(tx, observation_resource(observation), observation)
            return observation

    def observations(self) -> list[Observation]:
        """Observations where the actor was observed or observed, oldest first."""
        me = self._me("listing observations")
        with self._transaction() as tx:
            found = _naming(tx, Observation, me, ("teacher_id", "observer_id"))
        return sorted(found, key=lambda o: (o.observed_on, o.id))

    def release_observation_for_appraisal(
        self, observation_id: str, *, objective_ids: Iterable[ObjectiveId] = ()
    ) -> Evidence:
        """The teacher files a developmental observation's notes as appraisal evidence.

        Creates an ``observation_note`` evidence item (linked to the focus's standards)
        and records the item-specific
        ``APPRAISAL_EVIDENCE`` consent for the appraiser and school leaders. Until this
        call the observation is invisible to review packs and RAG; withdrawing the
        consent (or ``release_evidence(id, False)``) takes it out again.
        """
        me = self._me("releasing an observation for appraisal")
        linked = tuple(dict.fromkeys(objective_ids))
        with self._transaction() as tx:
            observation = _load_observation(tx, observation_id)
            if observation.teacher_id != me:
                raise PermissionDenied(
                    f"only {observation.teacher_id}, the observed teacher, may release it"
                )
            if observation.kind is not ObservationKind.DEVELOPMENTAL:
                raise ValidationError.single(
                    "observation_id", "formal observations are filed by the appraisal side"
                )
            if not observation.notes:
                raise ValidationError.single(
                    "observation_id", "the observation has no notes yet; there is nothing to file"
                )
            _check_own_objectives(tx, me, linked)
            focus = next(
                (
                    f
                    for f in school_focuses(tx, observation.school_id)
                    if f.code == observation.focus_code
                ),
                None,
            )
            title = focus.title if focus is not None else observation.focus_code
            evidence = tx.repo(Evidence).add(
                Evidence(
                    id=EvidenceId(new_id()),
                    trust_id=self.actor.trust_id,
                    school_id=observation.school_id,
                    owner_id=me,
                    author_id=observation.observer_id,
                    kind=EvidenceKind.OBSERVATION_NOTE,
                    title=f"Peer observation: {title}",
                    captured_on=observation.observed_on,
                    recorded_at=tx.now,
                    text="\n".join(n.text for n in observation.notes),
                    class_label=observation.class_label,
                    purpose=EvidencePurpose.DEVELOPMENTAL,
                    objective_ids=linked,
                    standards=() if focus is None else focus.standards,
                    appraisal_evidence=True,
                )
            )
            record_release(tx, evidence, True)
            tx.audit(
                "observation.released_for_appraisal",
                "Observation",
                observation.id,
                school_id=observation.school_id,
                subject_id=me,
                payload={"evidence_id": evidence.id},
            )
        return evidence

    # Clips ------------------------------------------------------------------------------
    def upload_clip(
        self,
        observation_id: str,
        data: BinaryIO | Iterable[bytes],
        *,
        title: str,
        duration_seconds: int,
        kind: ClipKind | str = ClipKind.VIDEO,
        filename: str | None = None,
        class_label: str | None = None,
    ) -> Clip:
        """Attach a clip or photo to an accepted observation (observer or teacher).

        The observer needs the teacher's observer consent to stand. The clip must fit the
        school's observation policy; the media store checks type and size.
        """
        me = self._me("uploading a clip")
        chosen = ClipKind(kind) if isinstance(kind, str) else kind
        with self._media_cleanup() as put, self._transaction() as tx:
            observation = _load_observation(tx, observation_id)
            if me not in (observation.observer_id, observation.teacher_id):
                raise PermissionDenied(
                    "only the observer and the observed teacher add clips to an observation"
                )
            if me == observation.observer_id:
                _require_observer_consent(tx, observation, "capturing a clip")
            return self._store_clip(
                tx,
                put,
                data,
                kind=chosen,
                filename=filename,
                build=lambda media_id: Clip(
                    id=new_id(),
                    trust_id=self.actor.trust_id,
                    school_id=observation.school_id,
                    subject_id=observation.teacher_id,
                    recorded_by=me,
                    kind=chosen,
                    media_id=media_id,
                    title=title,
                    captured_on=observation.observed_on,
                    recorded_at=tx.now,
                    duration_seconds=duration_seconds,
                    observation_id=observation.id,
                    setting=Setting.LESSON,
                    class_label=class_label or observation.class_label,
                    focus_code=observation.focus_code,
                ),
            )

    def record_own_clip(
        self,
        data: BinaryIO | Iterable[bytes],
        *,
        school_id: SchoolId,
        title: str,
        duration_seconds: int,
        setting: Setting | str,
        class_label: str | None = None,
        kind: ClipKind | str = ClipKind.VIDEO,
        focus: str | None = None,
        filename: str | None = None,
        captured_on: date | None = None,
    ) -> Clip:
        """A clip of the actor's own practice (a leader's assembly or staff meeting)."""
        me = self._me("recording a clip of your practice")
        chosen = ClipKind(kind) if isinstance(kind, str) else kind
        where = Setting(setting) if isinstance(setting, str) else setting
        with self._media_cleanup() as put, self._transaction() as tx:
            person = tx.repo(StaffMember).get(self.actor.trust_id, me)
            if school_id not in person.schools:
                raise ValidationError.single("school_id", f"you hold no role at {school_id}")
            if focus is not None:
                focus_for(school_focuses(tx, school_id), focus)
            return self._store_clip(
                tx,
                put,
                data,
                kind=chosen,
                filename=filename,
                build=lambda media_id: Clip(
                    id=new_id(),
                    trust_id=self.actor.trust_id,
                    school_id=school_id,
                    subject_id=me,
                    recorded_by=me,
                    kind=chosen,
                    media_id=media_id,
                    title=title,
                    captured_on=captured_on or tx.now.date(),
                    recorded_at=tx.now,
                    duration_seconds=duration_seconds,
                    setting=where,
                    class_label=class_label,
                    focus_code=focus,
                ),
            )

    def clip(self, clip_id: str) -> Clip:
        """A clip's metadata, comments and reflections, if the access policy allows."""
        with self._transaction() as tx:
            clip = load_clip(tx, clip_id)
            self._check_read(tx, clip_resource(clip), clip)
            return clip

    def clips(self) -> list[Clip]:
        """Clips of the actor's practice and clips they recorded, oldest first."""
        me = self._me("listing clips")
        with self._transaction() as tx:
            found = _naming(tx, Clip, me, ("subject_id", "recorded_by"))
        return sorted(found, key=lambda c: (c.recorded_at, c.id))

    def open_clip_media(self, clip_id: str) -> Iterator[bytes]:
        """The clip's bytes, in chunks, for whoever may read it; the read is audited."""
        with self._transaction() as tx:
            clip = load_clip(tx, clip_id)
            self._check_read(tx, clip_resource(clip), clip, action="media.opened")
        return self._media.open(self.actor.trust_id, clip.media_id)

    def comment_on_clip(self, clip_id: str, second: int, text: str) -> Clip:
        """Comment at a second of a clip (anyone who may watch it)."""
        me = self._me("commenting on a clip")
        with self._transaction() as tx:
            clip = load_clip(tx, clip_id)
            self._check_read(tx, clip_resource(clip), clip)
            comment = TimedComment(second=second, text=text, by=me, written_at=tx.now)
            stored = tx.repo(Clip).update(add_comment(clip, comment))
            tx.audit(
                "clip.commented",
                "Clip",
                clip.id,
                school_id=clip.school_id,
                subject_id=clip.subject_id,
                payload={"second": second},
            )
        return stored

    def reflect_on_clip(self, clip_id: str, text: str) -> Clip:
        """The teacher the clip shows adds a reflection."""
        me = self._me("reflecting on a clip")
        with self._transaction() as tx:
            clip = load_clip(tx, clip_id)
            stored = tx.repo(Clip).update(
                add_reflection(clip, Reflection(text=text, written_at=tx.now), by=me)
            )
            tx.audit("clip.reflected", "Clip", clip.id, subject_id=clip.subject_id)
        return stored

    # Shared steps -------------------------------------------------------------------------
    def _me(self, doing: str) -> StaffId:
        if self.actor.staff_id is None:
            raise PermissionDenied(f"{doing} needs a staff member as actor")
        return self.actor.staff_id

    @contextmanager
    def _media_cleanup(self) -> Iterator[list[MediaId]]:
        """Media stored inside the block is deleted again if the block (including its
        commit) fails, so a failed upload leaves nothing behind."""
        stored: list[MediaId] = []
        try:
            yield stored
        except BaseException:
            for media_id in stored:
                self._media.delete(self.actor.trust_id, media_id)
            raise

    def _store_clip(
        self,
        tx: Transaction,
        put: list[MediaId],
        data: BinaryIO | Iterable[bytes],
        *,
        kind: ClipKind,
        filename: str | None,
        build: Callable[[MediaId], Clip],
    ) -> Clip:
        """Check the policy, store the media (recording its id in ``put``), then the clip."""
        probe = build(MediaId("pending"))
        problems = duration_problems(probe.duration_seconds, _policy(tx, probe.school_id))
        if problems:
            raise ValidationError(problems)
        info = self._media.put(self.actor.trust_id, data, kind=kind.media_kind, filename=filename)
        put.append(info.media_id)
        clip = tx.repo(Clip).add(build(info.media_id))
        tx.audit(
            "clip.recorded",
            "Clip",
            clip.id,
            school_id=clip.school_id,
            subject_id=clip.subject_id,
            payload={
                "kind": kind.value,
                "duration_seconds": clip.duration_seconds,
                "observation_id": clip.observation_id,
            },
        )
        return clip

    def _check_read(
        self,
        tx: Transaction,
        resource: Resource,
        item: Clip | Observation,
        *,
        action: str = "item.opened",
    ) -> None:
        """Allow the subject; the observer while their consent stands; others through
        :func:`~cpdcore.domain.access.can` for a developmental or library purpose."""
        me = self.actor.staff_id
        observation_id = item.id if isinstance(item, Observation) else item.observation_id
        observer = me is not None and me != resource.subject_id and me == resource.author_id
        if observer and observation_id is not None:
            observation = _load_observation(tx, observation_id)
            _require_observer_consent(tx, observation, "reading what you observed")
        facts = clip_facts(tx, resource, self._adapters.mis)
        decisions = [
            can(self.actor, Action.READ, resource, purpose, tx.now, facts=facts)
            for purpose in CLUB_PURPOSES
        ]
        # The first purpose that allows it; otherwise explain the developmental denial.
        decision = next((d for d in decisions if d.allowed), decisions[0]).check()
        tx.audit(
            action,
            resource.kind.value.capitalize(),
            resource.id,
            school_id=resource.school_id,
            subject_id=resource.subject_id,
            payload={
                "audience": None if decision.audience is None else decision.audience.value,
                "consent": decision.consent_id,
            },
        )


def _by_code(focus: ObservationFocus) -> str:
    return focus.code


def _policy(tx: Transaction, school_id: SchoolId) -> ObservationPolicy:
    found = tx.repo(ObservationPolicy).find(tx.actor.trust_id, school_id)
    return found or ObservationPolicy.default(tx.actor.trust_id, school_id)


def _check_own_objectives(
    tx: Transaction, owner: StaffId, objective_ids: Sequence[ObjectiveId]
) -> None:
    problems: list[Problem] = []
    for index, objective_id in enumerate(objective_ids):
        objective = tx.repo(Objective).find(tx.actor.trust_id, objective_id)
        if objective is None or objective.appraisee_id != owner:
            problems.append(
                Problem(
                    f"objective_ids[{index}]", f"{objective_id!r} is not one of your objectives"
                )
            )
    if problems:
        raise ValidationError(problems)
