"""Plain factory functions: sensible defaults, keyword overrides, `add` + `flush`."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

from werkzeug.security import generate_password_hash

from thidua.auth.models import Role, RoleAssignment, User
from thidua.campaigns.models import Campaign, CampaignKind, CampaignRegistration, CampaignStatus
from thidua.clusters.models import Cluster, ClusterKind, ClusterMembership
from thidua.extensions import db
from thidua.org.models import Unit, UnitKind, UnitSuccession

PASSWORD = "hoso-vang-2026"
# A cheap hash keeps the suite fast; production uses werkzeug's default (scrypt).
_FAST_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
_seq = itertools.count(1)


def make_unit(*, code: str | None = None, name: str | None = None, kind: str | UnitKind = UnitKind.DEPARTMENT,
              parent: Unit | None = None, **kw) -> Unit:
    n = next(_seq)
    unit = Unit(code=code or f"U{n:04d}", name=name or f"Đơn vị số {n}", kind=UnitKind(kind), parent=parent, **kw)
    db.session.add(unit)
    db.session.flush()
    return unit


def make_succession(predecessor: Unit, successor: Unit, **kw) -> UnitSuccession:
    link = UnitSuccession(predecessor=predecessor, successor=successor, **kw)
    db.session.add(link)
    db.session.flush()
    return link


def make_user(*, username: str | None = None, full_name: str | None = None, roles=(Role.ADMIN,),
              unit: Unit | None = None, password: str | None = None, **kw) -> User:
    n = next(_seq)
    user = User(username=username or f"user{n}", full_name=full_name or f"Người dùng {n}",
                password_hash=generate_password_hash(password, method="pbkdf2:sha256:1000") if password else _FAST_HASH,
                **kw)
    for role in roles:
        role = Role(role)
        user.role_assignments.append(RoleAssignment(role=role, unit=unit if role == Role.UNIT_OFFICER else None))
    db.session.add(user)
    db.session.flush()
    return user


def make_campaign(*, status: str | CampaignStatus = CampaignStatus.OPEN, name: str | None = None, **kw) -> Campaign:
    n = next(_seq)
    today = date.today()
    values = {
        "name": name or f"Phong trào thi đua số {n}",
        "kind": CampaignKind.THEMATIC,
        "launching_authority": "UBND tỉnh Thanh Hóa",
        "starts_on": today - timedelta(days=30),
        "ends_on": today + timedelta(days=300),
        "nomination_deadline": today + timedelta(days=200),
    }
    values.update(kw)
    campaign = Campaign(status=CampaignStatus(status), **values)
    db.session.add(campaign)
    db.session.flush()
    return campaign


def make_registration(campaign: Campaign, unit: Unit, *, commitments: str = "Đăng ký danh hiệu Tập thể lao động xuất sắc",
                      **kw) -> CampaignRegistration:
    reg = CampaignRegistration(campaign=campaign, unit=unit, commitments=commitments, **kw)
    db.session.add(reg)
    db.session.flush()
    return reg


def make_cluster(*, code: str | None = None, name: str | None = None, kind: str | ClusterKind = ClusterKind.CLUSTER,
                 units: list[Unit] = (), **kw) -> Cluster:
    n = next(_seq)
    cluster = Cluster(code=code or f"CUM{n:03d}", name=name or f"Cụm thi đua số {n}", kind=ClusterKind(kind), **kw)
    cluster.memberships = [ClusterMembership(unit=u) for u in units]
    db.session.add(cluster)
    db.session.flush()
    return cluster


# --- catalogue, registry, nominations -------------------------------------------------------------

def award_type(code: str):
    """The seeded catalogue entry for `code` (seeding the catalogue on first use)."""
    import sqlalchemy as sa

    from thidua.rules.models import AwardType
    from thidua.rules.seed import seed_catalogue

    found = db.session.scalar(sa.select(AwardType).where(AwardType.code == code).order_by(AwardType.effective_from.desc()))
    if found is None:
        seed_catalogue()
        found = db.session.scalar(sa.select(AwardType).where(AwardType.code == code))
    assert found is not None, f"unknown award code {code}"
    return found


def make_person(*, full_name: str | None = None, unit: Unit | None = None, **kw):
    from thidua.registry.models import Person

    n = next(_seq)
    person = Person(full_name=full_name or f"Nguyễn Văn Số {n}", unit=unit, **kw)
    db.session.add(person)
    db.session.flush()
    return person


def make_award_record(*, code: str, year: int, person=None, unit: Unit | None = None, **kw):
    from thidua.registry.models import AwardRecord, NomineeKind

    at = award_type(code)
    record = AwardRecord(
        nominee_kind=NomineeKind.INDIVIDUAL if person is not None else NomineeKind.COLLECTIVE,
        person=person, unit=unit, award_code=code, award_name=at.name, year=year,
        decision_number=kw.pop("decision_number", f"{next(_seq)}/QĐ-UBND"),
        decision_date=kw.pop("decision_date", date(year, 12, 20)), **kw,
    )
    db.session.add(record)
    db.session.flush()
    return record


def make_evaluation(*, year: int, rating: str, person=None, unit: Unit | None = None):
    from thidua.registry.models import AnnualEvaluation, Rating

    evaluation = AnnualEvaluation(person_id=getattr(person, "id", None), unit_id=getattr(unit, "id", None),
                                  year=year, rating=Rating(rating))
    db.session.add(evaluation)
    db.session.flush()
    return evaluation


def make_initiative(*, person, level: str = "unit", recognised_on: date | None = None, **kw):
    from thidua.registry.models import Initiative, RecognitionLevel

    n = next(_seq)
    initiative = Initiative(person=person, title=kw.pop("title", f"Sáng kiến số {n}"), level=RecognitionLevel(level),
                            recognised_on=recognised_on or date(date.today().year, 5, 1),
                            decision_ref=kw.pop("decision_ref", f"{n}/QĐ-SKKN"), **kw)
    db.session.add(initiative)
    db.session.flush()
    return initiative


def make_nomination(*, unit: Unit, code: str = "LDTT", person=None, nominee_unit: Unit | None = None,
                    status: str = "draft", year: int | None = None, **kw):
    from thidua.nominations.models import Nomination, NominationStatus
    from thidua.registry.models import NomineeKind
    from thidua.rules.models import AwardMethod

    at = award_type(code)
    if person is None and nominee_unit is None:
        if at.for_individual:
            person = make_person(unit=unit)
        else:
            nominee_unit = unit
    nomination = Nomination(
        unit=unit, award_type=at, method=kw.pop("method", AwardMethod.REGULAR), year=year or date.today().year,
        nominee_kind=NomineeKind.INDIVIDUAL if person is not None else NomineeKind.COLLECTIVE,
        person=person, nominee_unit=nominee_unit,
        achievement_summary=kw.pop("achievement_summary", "Hoàn thành xuất sắc nhiệm vụ được giao."),
        status=NominationStatus(status), **kw,
    )
    db.session.add(nomination)
    db.session.flush()
    return nomination


# --- councils and scoring -----------------------------------------------------------------------------

def make_council(*, unit: Unit, members=(), level: str = "province", **kw):
    """A council of `unit`; `members` is a list of (user, role) pairs or users (role "member")."""
    from thidua.councils.models import Council, CouncilLevel, CouncilMember, MemberRole

    council = Council(name=kw.pop("name", f"Hội đồng Thi đua - Khen thưởng {unit.name}"), level=CouncilLevel(level),
                      unit=unit, **kw)
    for entry in members:
        user, role = entry if isinstance(entry, tuple) else (entry, "member")
        council.members.append(CouncilMember(user=user, role=MemberRole(role), term_from=date(2024, 1, 1)))
    db.session.add(council)
    db.session.flush()
    return council


def make_rubric(*, criteria=((10, 1),), **kw):
    """A rubric; `criteria` is a list of (max_points, weight) pairs on a 0..max scale, step 1."""
    from decimal import Decimal

    from thidua.scoring.models import Rubric, RubricCriterion

    rubric = Rubric(name=kw.pop("name", f"Bảng điểm {next(_seq)}"), **kw)
    for position, (max_points, weight) in enumerate(criteria, start=1):
        rubric.criteria.append(RubricCriterion(label=f"Tiêu chí {position}", max_points=Decimal(max_points),
                                               weight=Decimal(str(weight)), position=position))
    db.session.add(rubric)
    db.session.flush()
    return rubric


def make_session(*, council, status: str = "planned", nominations=(), rubric=None, **kw):
    """A council session with `nominations` on its agenda, in that order."""
    from thidua.councils.models import AgendaItem, CouncilSession, SessionStatus

    session = CouncilSession(council=council, title=kw.pop("title", f"Phiên họp số {next(_seq)}"),
                             held_on=kw.pop("held_on", date.today()), status=SessionStatus(status), rubric=rubric,
                             **kw)
    session.agenda = [AgendaItem(nomination=n, position=i) for i, n in enumerate(nominations, start=1)]
    db.session.add(session)
    db.session.flush()
    return session


# --- decisions and certificates ------------------------------------------------------------------------

def make_decision(*, issuer: Unit, code: str = "BK_TINH", awardees=(), issued: bool = True, **kw):
    """A decision of `issuer` for `code` with one item per awardee — a Person or a Unit (collective), or a
    (nominee, achievement) pair. When `issued`, it carries a number, a signer, the next numbers of the gold book,
    amounts and verification codes, set directly (tests of the issuing service use the service)."""
    import secrets
    from base64 import b32encode
    from decimal import Decimal

    from thidua.awards.models import Decision, DecisionItem, DecisionStatus, GoldBook
    from thidua.registry.models import NomineeKind, Person

    at = award_type(code)
    n = next(_seq)
    signed_on = kw.pop("signed_on", date.today())
    decision = Decision(
        issuer_unit=issuer, issuer_title=kw.pop("issuer_title", "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH THANH HÓA"),
        award_type=at, year=kw.pop("year", signed_on.year),
        subject=kw.pop("subject", f"Về việc tặng {at.name}"),
        achievement_default=kw.pop("achievement_default", "Đã có thành tích xuất sắc trong công tác năm học."),
        status=DecisionStatus.ISSUED if issued else DecisionStatus.DRAFT, **kw,
    )
    if issued:
        decision.number = decision.number or f"{n}/QĐ-UBND"
        decision.number_year = signed_on.year
        decision.signed_on = signed_on
        decision.signer_name = decision.signer_name or "Đỗ Minh Tuấn"
        decision.signer_title = decision.signer_title or "CHỦ TỊCH"
        decision.base_salary = decision.base_salary or 2_340_000
        decision.issued_at = datetime.now(UTC)
    book, first = None, 1
    if issued and awardees:
        import sqlalchemy as sa

        book = db.session.scalar(sa.select(GoldBook).where(GoldBook.issuer_unit_id == issuer.id,
                                                           GoldBook.award_code == code, GoldBook.year == signed_on.year))
        if book is None:
            book = GoldBook(issuer_unit=issuer, award_code=code, year=signed_on.year, last_number=0)
            db.session.add(book)
        first = book.last_number + 1
        book.last_number += len(awardees)
    total = 0
    for position, entry in enumerate(awardees, start=1):
        nominee, achievement = entry if isinstance(entry, tuple) else (entry, None)
        is_person = isinstance(nominee, Person)
        amount = 0
        if issued and at.coefficient is not None:
            from math import ceil

            base = Decimal(decision.base_salary) * at.coefficient * (1 if is_person else at.collective_multiplier)
            amount = ceil(base / 10_000) * 10_000
        total += amount
        decision.items.append(DecisionItem(
            position=position, nominee_kind=NomineeKind.INDIVIDUAL if is_person else NomineeKind.COLLECTIVE,
            person=nominee if is_person else None, unit=None if is_person else nominee,
            group_unit=nominee.unit if is_person else nominee,
            awardee_name=nominee.full_name if is_person else nominee.name,
            awardee_detail=(nominee.position or (nominee.unit.name if nominee.unit else None)) if is_person else None,
            achievement=achievement or decision.achievement_default, coefficient=at.coefficient, amount=amount,
            gold_book=book, gold_book_number=first + position - 1 if issued else None,
            verify_code=b32encode(secrets.token_bytes(13)).decode("ascii").rstrip("=") if issued else None,
        ))
    decision.total_amount = total
    db.session.add(decision)
    db.session.flush()
    return decision


# --- cluster years (covenant, criteria, scores, suy tôn) -------------------------------------------------

def make_cluster_year(*, cluster=None, units=None, year: int = 2025, status: str = "setup", criteria=None,
                      signed: bool = False, head=None, deputy=None, **kw):
    """A year of `cluster` (or of a new cluster of `units`, default three new departments). `criteria` is a
    list of (code, label, kind, max_points, step) rows, a kind "group" row opening a group that the next
    rows belong to until the next group (default: groups I and II, criteria 1–4 worth 100, a bonus item
    limited to 5 and a penalty item limited to 5). `signed` records every member's signed covenant."""
    from decimal import Decimal

    from thidua.clusters.models import (
        ClusterCriterion,
        ClusterYear,
        ClusterYearStatus,
        CovenantCommitment,
        CriterionKind,
    )

    if cluster is None:
        units = list(units) if units is not None else [make_unit() for _ in range(3)]
        cluster = make_cluster(units=units)
    cy = ClusterYear(cluster=cluster, year=year, status=ClusterYearStatus(status), head_unit=head, deputy_unit=deputy,
                     **kw)
    rows = criteria if criteria is not None else [
        ("I", "Thực hiện nhiệm vụ chính trị", "group", 60, 1), ("1", "Kết quả chỉ tiêu kinh tế", "normal", 30, 0.5),
        ("2", "Kết quả chỉ tiêu xã hội", "normal", 30, 0.5),
        ("II", "Công tác thi đua, khen thưởng", "group", 40, 1), ("3", "Tổ chức phong trào", "normal", 20, 0.5),
        ("4", "Nhân rộng điển hình tiên tiến", "normal", 20, 0.5),
        ("T", "Điểm thưởng", "bonus", 5, 0.5), ("Tr", "Điểm trừ", "penalty", 5, 0.5),
    ]
    group = None
    for position, (code, label, kind, max_points, step) in enumerate(rows, start=1):
        kind = CriterionKind(kind)
        node = ClusterCriterion(code=code, label=label, kind=kind, max_points=Decimal(str(max_points)),
                                step=Decimal(str(step)), position=position,
                                parent=group if kind == CriterionKind.NORMAL else None)
        cy.criteria.append(node)
        if kind == CriterionKind.GROUP:
            group = node
    if signed:
        for m in cluster.memberships:
            cy.commitments.append(CovenantCommitment(unit=m.unit, targets="Hoàn thành 100% chỉ tiêu được giao",
                                                     signatory_name=f"Lãnh đạo {m.unit.name}",
                                                     signatory_title="Chủ tịch", signed_on=date(year, 2, 15)))
    db.session.add(cy)
    db.session.flush()
    return cy


# --- good models (mô hình hay) ----------------------------------------------------------------------------

def make_good_model(*, unit: Unit, status: str = "proposed", title: str | None = None, featured: bool = False,
                    field: str = "education", awards=(), **kw):
    """A good model of `unit`; a recognised one gets a recognition date and document."""
    from thidua.showcase.models import GoodModel, ModelField, ModelStatus

    n = next(_seq)
    status = ModelStatus(status)
    model = GoodModel(
        title=title or f"Mô hình hay số {n}", field=ModelField(field), unit=unit, status=status, featured=featured,
        summary=kw.pop("summary", "Cách làm mới giúp nâng cao chất lượng công việc."),
        description=kw.pop("description", "Mô tả chi tiết cách làm, các bước triển khai."),
        results=kw.pop("results", "Rút ngắn 30% thời gian xử lý."),
        recognised_on=kw.pop("recognised_on", date.today() - timedelta(days=10)
                             if status != ModelStatus.PROPOSED else None),
        recognition_ref=kw.pop("recognition_ref", f"{n}/QĐ-UBND" if status != ModelStatus.PROPOSED else None),
        awards=list(awards), **kw,
    )
    db.session.add(model)
    db.session.flush()
    return model
