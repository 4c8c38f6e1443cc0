"""Organizations, users, memberships and API tokens."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import cast

from sqlalchemy import select, update

from pixlake.entities.accounts import Credential, Organization, Role, TokenInfo, User
from pixlake.store.db.models import ApiTokenRow, MembershipRow, OrganizationRow, UserRow
from pixlake.store.db.repositories._base import Repository

__all__ = ["AccountRepository"]

_tokens, _users = ApiTokenRow.__table__.c, UserRow.__table__.c
_members, _orgs = MembershipRow.__table__.c, OrganizationRow.__table__.c


def _user(row: UserRow) -> User:
    return User(row.id, row.username, row.default_organization_id)


def _token(row: ApiTokenRow, username: str, organization: Organization) -> TokenInfo:
    return TokenInfo(
        id=row.id,
        username=username,
        organization=organization,
        prefix=row.prefix,
        name=row.name,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
        expires_at=row.expires_at,
    )


class AccountRepository(Repository):
    __slots__ = ()

    # ----------------------------------------------------------------- organizations

    def organization(self, organization_id: uuid.UUID) -> Organization:
        row = self.session.get_one(OrganizationRow, organization_id)
        return Organization(row.id, row.name)

    def organization_named(self, name: str) -> Organization | None:
        row = self.session.scalar(select(OrganizationRow).where(OrganizationRow.name == name))
        return None if row is None else Organization(row.id, row.name)

    def add_organization(self, name: str) -> Organization:
        row = OrganizationRow(id=uuid.uuid4(), name=name)
        with self._guard(exists=f"an organization named {name!r} already exists"):
            self.session.add(row)
        return Organization(row.id, row.name)

    # ------------------------------------------------------------------------- users

    def user_named(self, username: str) -> User | None:
        row = self.session.scalar(select(UserRow).where(UserRow.username == username))
        return None if row is None else _user(row)

    def user(self, user_id: uuid.UUID) -> User:
        return _user(self.session.get_one(UserRow, user_id))

    def add_user(self, username: str, *, default_organization_id: uuid.UUID) -> User:
        row = UserRow(
            id=uuid.uuid4(), username=username, default_organization_id=default_organization_id
        )
        with self._guard(
            exists=f"a user named {username!r} already exists",
            missing=f"no organization {default_organization_id}",
        ):
            self.session.add(row)
        return _user(row)

    # ------------------------------------------------------------------- memberships

    def role(self, user_id: uuid.UUID, organization_id: uuid.UUID) -> Role | None:
        row = self.session.get(MembershipRow, (user_id, organization_id))
        return None if row is None else cast(Role, row.role)

    def set_role(self, user_id: uuid.UUID, organization_id: uuid.UUID, role: Role) -> None:
        """Make the user a member with ``role``, or change the role of a member."""
        row = self.session.get(MembershipRow, (user_id, organization_id))
        if row is not None:
            row.role = role
            return
        with self._guard(missing="the user or the organization no longer exists"):
            self.session.add(
                MembershipRow(user_id=user_id, organization_id=organization_id, role=role)
            )

    # ------------------------------------------------------------------------ tokens

    def add_token(
        self,
        user: User,
        organization: Organization,
        *,
        prefix: str,
        token_hash: str,
        name: str,
        expires_at: datetime | None,
    ) -> TokenInfo:
        row = ApiTokenRow(
            id=uuid.uuid4(),
            user_id=user.id,
            prefix=prefix,
            token_hash=token_hash,
            name=name,
            expires_at=expires_at,
        )
        with self._guard(exists="a token with this hash exists", missing="the user is gone"):
            self.session.add(row)
        return _token(row, user.username, organization)

    def tokens_of(self, user: User) -> list[TokenInfo]:
        """The user's tokens in creation order, described with the user's default
        organization."""
        org = self.organization(user.default_organization_id)
        rows = self.session.scalars(
            select(ApiTokenRow)
            .where(ApiTokenRow.user_id == user.id)
            .order_by(ApiTokenRow.created_at)
        )
        return [_token(r, user.username, org) for r in rows]

    def tokens_matching(
        self, *, token_hash: str | None = None, prefix: str | None = None
    ) -> list[TokenInfo]:
        """The tokens with this hash, or this prefix, each described with its user's default
        organization."""
        query = select(ApiTokenRow)
        if token_hash is not None:
            query = query.where(ApiTokenRow.token_hash == token_hash)
        if prefix is not None:
            query = query.where(ApiTokenRow.prefix == prefix)
        out = []
        for row in self.session.scalars(query):
            user = self.user(row.user_id)
            out.append(_token(row, user.username, self.organization(user.default_organization_id)))
        return out

    def revoke(self, token_id: uuid.UUID, *, at: datetime) -> TokenInfo:
        """Revoke the token (once: a token revoked already keeps its time)."""
        row = self.session.get_one(ApiTokenRow, token_id)
        if row.revoked_at is None:
            row.revoked_at = at
        user = self.user(row.user_id)
        return _token(row, user.username, self.organization(user.default_organization_id))

    def credential(self, token_hash: str) -> Credential | None:
        """What the token with this hash opens, as one indexed query (every request pays
        for it); ``None`` for an unknown hash or a user in no organization."""
        rows = self.session.execute(
            select(
                _tokens.id,
                _tokens.revoked_at,
                _tokens.last_used_at,
                _tokens.expires_at,
                _users.id,
                _users.username,
                _users.default_organization_id,
                _orgs.id,
                _orgs.name,
                _members.role,
            )
            .select_from(
                ApiTokenRow.__table__.join(UserRow.__table__, _users.id == _tokens.user_id)
                .join(MembershipRow.__table__, _members.user_id == _users.id)
                .join(OrganizationRow.__table__, _orgs.id == _members.organization_id)
            )
            .where(_tokens.token_hash == token_hash)
        ).all()
        if not rows:
            return None
        first = rows[0]
        return Credential(
            token_id=first[0],
            revoked_at=first[1],
            last_used_at=first[2],
            expires_at=first[3],
            user_id=first[4],
            username=first[5],
            default_organization_id=first[6],
            memberships={
                row[7]: (Organization(row[7], row[8]), cast(Role, row[9])) for row in rows
            },
        )

    def touch(self, token_id: uuid.UUID, *, at: datetime) -> None:
        self.session.execute(
            update(ApiTokenRow).where(ApiTokenRow.id == token_id).values(last_used_at=at)
        )
