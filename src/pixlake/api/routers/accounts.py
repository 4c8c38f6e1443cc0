"""Health, the caller, and their organizations."""

from __future__ import annotations

from fastapi import APIRouter

from pixlake._version import __version__
from pixlake.api.deps import CallerDep, DbDep, SettingsDep
from pixlake.core import accounts
from pixlake.core.health import check_health
from pixlake.entities.accounts import Caller
from pixlake.schemas.accounts import Health, Me, OrganizationPublic, OrganizationsPublic

router = APIRouter(tags=["accounts"])


@router.get("/health", summary="Liveness and configuration (no token needed)")
def health(db: DbDep, settings: SettingsDep) -> Health:
    report = check_health(db, settings)
    return Health(
        status="ok", version=__version__, database=report.database, storage=report.storage
    )


def _orgs(caller: Caller) -> list[OrganizationPublic]:
    return sorted(
        (OrganizationPublic(id=o.id, name=o.name, role=r) for o, r in caller.memberships.values()),
        key=lambda o: o.name,
    )


@router.get("/me", summary="Who the token belongs to (the SDK's ping)")
def me(caller: CallerDep) -> Me:
    default = caller.default_organization
    return Me(
        username=caller.username,
        user_id=caller.user_id,
        sdk_version=__version__,
        default_organization=OrganizationPublic(
            id=default.id, name=default.name, role=caller.role_in(default.id)
        ),
        organizations=_orgs(caller),
    )


@router.get("/organizations", summary="The caller's organizations")
def list_organizations(caller: CallerDep) -> OrganizationsPublic:
    orgs = _orgs(caller)
    return OrganizationsPublic(data=orgs, count=len(orgs))


@router.get(
    "/organizations/{ref}",
    summary="One of the caller's organizations, by id or name ('null' means the default)",
)
def get_organization(ref: str, caller: CallerDep, db: DbDep) -> OrganizationPublic:
    org = accounts.resolve_organization(db, caller, ref)
    return OrganizationPublic(id=org.id, name=org.name, role=caller.role_in(org.id))
