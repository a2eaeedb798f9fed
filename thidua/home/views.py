from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template
from flask_login import current_user

from thidua.campaigns.models import Campaign, CampaignStatus
from thidua.extensions import db
from thidua.permissions import officer_scope, requires

bp = Blueprint("home", __name__)


@bp.get("/")
@requires("home.view")
def index():
    open_campaigns = db.session.scalars(
        sa.select(Campaign).where(Campaign.status == CampaignStatus.OPEN).order_by(Campaign.nomination_deadline)
    ).all()
    registered_ids: set[int] = set()
    scope = officer_scope(current_user)
    if scope and open_campaigns:
        from thidua.campaigns.models import CampaignRegistration

        registered_ids = set(
            db.session.scalars(
                sa.select(CampaignRegistration.campaign_id).where(
                    CampaignRegistration.unit_id.in_(scope),
                    CampaignRegistration.campaign_id.in_([c.id for c in open_campaigns]),
                )
            )
        )
    return render_template("home/index.html", open_campaigns=open_campaigns, registered_ids=registered_ids)
