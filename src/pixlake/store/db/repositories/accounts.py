"""Organizations, users, memberships, API tokens, passwords and sign-in sessions."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import cast

from sqlalchemy import delete, select, update

from pixlake.entities.accounts import (
    Credential,
    Organization,
    Role,
    TokenInfo,
    User,
    WebSession,
)
from pixlake.store.db.models import (
    ApiTokenRow,
    MembershipRow,
    OrganizationRow,
    SignInFailureRow,
    UserRow,
    WebSessionRow,
)
from pixlake.store.db.repositories._base import Repository

__all__ = ["AccountRepository"]

_tokens, _users = ApiTokenRow.__table__.c, UserRow.__table__.c
_members, _orgs = MembershipRow.__table__.c, OrganizationRow.__table__.c


def _user(row: UserRow) -> User:
    return User(row.id, row.username, row.default_organization_id)


def _session(row: WebSessionRow) -> WebSession:
    return WebSession(row.id, row.user_id, row.created_at, row.last_seen_at, row.expires_at)


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

    def password_hash(self, user_id: uuid.UUID) -> str | None:
        return self.session.get_one(UserRow, user_id).password_hash

    def set_password_hash(self, user_id: uuid.UUID, password_hash: str) -> None:
        self.session.get_one(UserRow, user_id).password_hash = password_hash

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

    def memberships(self, user_id: uuid.UUID) -> dict[uuid.UUID, tuple[Organization, Role]]:
        """Each organization of the user's, with the user's role in it."""
        rows = self.session.execute(
            select(_orgs.id, _orgs.name, _members.role)
            .select_from(
                MembershipRow.__table__.join(
                    OrganizationRow.__table__, _orgs.id == _members.organization_id
                )
            )
            .where(_members.user_id == user_id)
        )
        return {row[0]: (Organization(row[0], row[1]), cast(Role, row[2])) for row in rows}

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

    # -------------------------------------------------------------- sign-in sessions

    def add_session(
        self, user_id: uuid.UUID, *, session_hash: str, at: datetime, expires_at: datetime
    ) -> WebSession:
        row = WebSessionRow(
            id=uuid.uuid4(),
            session_hash=session_hash,
            user_id=user_id,
            created_at=at,
            last_seen_at=at,
            expires_at=expires_at,
        )
        with self._guard(exists="a session with this hash exists", missing="the user is gone"):
            self.session.add(row)
        return _session(row)

    def session_by_hash(self, session_hash: str) -> WebSession | None:
        row = self.session.scalar(
            select(WebSessionRow).where(WebSessionRow.session_hash == session_hash)
        )
        return None if row is None else _session(row)

    def touch_session(self, session_id: uuid.UUID, *, at: datetime) -> None:
        self.session.execute(
            update(WebSessionRow).where(WebSessionRow.id == session_id).values(last_seen_at=at)
        )

    def delete_session(self, session_id: uuid.UUID) -> None:
        self.session.execute(delete(WebSessionRow).where(WebSessionRow.id == session_id))

    def delete_sessions_of(self, user_id: uuid.UUID) -> int:
        """End every session of the user's; how many there were."""
        done = self.session.execute(delete(WebSessionRow).where(WebSessionRow.user_id == user_id))
        return int(getattr(done, "rowcount", 0) or 0)

    def delete_sessions_ended(self, *, at: datetime, idle_since: datetime) -> int:
        """Forget the sessions that expired by ``at`` or were last seen before ``idle_since``."""
        done = self.session.execute(
            delete(WebSessionRow).where(
                (WebSessionRow.expires_at <= at) | (WebSessionRow.last_seen_at < idle_since)
            )
        )
        return int(getattr(done, "rowcount", 0) or 0)

    # -------------------------------------------------------------- sign-in failures

    def sign_in_failures(self, username: str) -> tuple[int, datetime] | None:
        """Failed sign-ins in a row for ``username`` and the time of the last one."""
        row = self.session.get(SignInFailureRow, username)
        return None if row is None else (row.failures, row.last_failure_at)

    def record_sign_in_failure(self, username: str, *, failures: int, at: datetime) -> None:
        row = self.session.get(SignInFailureRow, username)
        if row is None:
            self.session.add(
                SignInFailureRow(username=username, failures=failures, last_failure_at=at)
            )
        else:
            row.failures, row.last_failure_at = failures, at

    def clear_sign_in_failures(self, username: str) -> None:
        self.session.execute(delete(SignInFailureRow).where(SignInFailureRow.username == username))
