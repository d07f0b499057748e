"""The peer: GET /bucketlists/<id> written as full-stack-fastapi-template writes an endpoint.

The same contract as the project's: the HS256 bearer token verified (algorithm pinned, claims
required), its user and its login session checked (the session must not have ended), the
bucketlist if the caller owns it or is a member, with the caller's role, its goals (the first
1,000 by id) and their counts, the same JSON, and the ETag of that JSON (If-None-Match: 304).
Written the template's way (backend/app/api/deps.py and api/routes/items.py): SQLModel tables,
a session per request from a `Depends` that yields it, `CurrentUser` from a dependency that
decodes the token and gets the user with `session.get`, the row with `session.get` and its goals
through a relationship, a response model for the body; plain `def` endpoints, which FastAPI runs
in its thread pool. Served by uvicorn as the template's `fastapi run --workers N` serves it:
`uvicorn bench.fastapi_peer:app --workers N`.
"""

import hashlib
import os
from collections.abc import Generator
from datetime import datetime, timezone
from typing import Annotated

import jwt
from fastapi import Depends, FastAPI, Header, HTTPException, Response
from fastapi.security import OAuth2PasswordBearer
from pydantic import BaseModel, ValidationError, field_serializer
from sqlalchemy import create_engine
from sqlmodel import Field, Relationship, Session, SQLModel, select

SECRET = os.environ["SECRET"]
ALGORITHM = "HS256"
MAX_ITEMS = 1000
engine = create_engine(os.environ["BENCH_DSN"].replace("postgresql://", "postgresql+psycopg2://"))
reusable_oauth2 = OAuth2PasswordBearer(tokenUrl="/auth/login")


# The tables the project's migrations made; only the columns this endpoint reads.
class User(SQLModel, table=True):
    __tablename__ = "users"
    id: int = Field(primary_key=True)
    email: str


class LoginSession(SQLModel, table=True):
    __tablename__ = "login_sessions"
    id: int = Field(primary_key=True)
    handle: str
    user_id: int = Field(foreign_key="users.id")
    ended_at: datetime | None = None


class Membership(SQLModel, table=True):
    __tablename__ = "memberships"
    bucketlist_id: int = Field(primary_key=True, foreign_key="bucketlists.id")
    user_id: int = Field(primary_key=True, foreign_key="users.id")
    role: str


class Bucketlist(SQLModel, table=True):
    __tablename__ = "bucketlists"
    id: int = Field(primary_key=True)
    name: str
    date_created: datetime
    date_modified: datetime
    created_by: int = Field(foreign_key="users.id")
    items: list["Item"] = Relationship(
        sa_relationship_kwargs={"order_by": "Item.id", "lazy": "select"})


class Item(SQLModel, table=True):
    __tablename__ = "items"
    id: int = Field(primary_key=True)
    name: str
    done: bool
    date_created: datetime
    date_modified: datetime
    date_done: datetime | None = None
    bucketlist_id: int = Field(foreign_key="bucketlists.id")


def utc(value: datetime | None) -> str | None:
    """A stored timestamp (timestamptz) as the project writes it: the instant in UTC."""
    return None if value is None else value.astimezone(timezone.utc).isoformat()


class ItemPublic(BaseModel):
    id: int
    name: str
    done: bool
    date_created: datetime
    date_modified: datetime
    date_done: datetime | None

    @field_serializer("date_created", "date_modified", "date_done")
    def _utc(self, value):
        return utc(value)


class BucketlistPublic(BaseModel):
    id: int
    name: str
    date_created: datetime
    date_modified: datetime
    created_by: int
    role: str
    items_count: int
    done_count: int
    items: list[ItemPublic]

    @field_serializer("date_created", "date_modified")
    def _utc(self, value):
        return utc(value)


class TokenPayload(BaseModel):
    sub: str
    sid: str


def get_db() -> Generator[Session, None, None]:
    with Session(engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_db)]
TokenDep = Annotated[str, Depends(reusable_oauth2)]


def get_current_user(session: SessionDep, token: TokenDep) -> User:
    try:
        payload = jwt.decode(token, SECRET, algorithms=[ALGORITHM],
                             options={"require": ["sub", "sid", "iat", "exp"]})
        token_data = TokenPayload(**payload)
    except (jwt.InvalidTokenError, ValidationError):
        raise HTTPException(status_code=401, detail="Invalid token.") from None
    user = session.get(User, int(token_data.sub))
    if not user:
        raise HTTPException(status_code=401, detail="Invalid token.")
    login = session.exec(select(LoginSession).where(
        LoginSession.handle == token_data.sid, LoginSession.user_id == user.id)).first()
    if login is None or login.ended_at is not None:
        raise HTTPException(status_code=401, detail="Token revoked.")
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]
app = FastAPI()


@app.get("/bucketlists/{bucketlist_id}", response_model=BucketlistPublic)
def read_bucketlist(session: SessionDep, current_user: CurrentUser, bucketlist_id: int,
                    if_none_match: Annotated[str | None, Header()] = None) -> Response:
    bucketlist = session.get(Bucketlist, bucketlist_id)
    if not bucketlist:
        raise HTTPException(status_code=404, detail="Bucketlist not found.")
    if bucketlist.created_by == current_user.id:
        role = "owner"
    else:
        role = session.exec(select(Membership.role).where(
            Membership.bucketlist_id == bucketlist.id,
            Membership.user_id == current_user.id)).first()
        if role is None:
            raise HTTPException(status_code=404, detail="Bucketlist not found.")
    items = bucketlist.items[:MAX_ITEMS]
    public = BucketlistPublic(
        **bucketlist.model_dump(), role=role, items_count=len(items),
        done_count=sum(item.done for item in items),
        items=[ItemPublic(**item.model_dump()) for item in items])
    body = public.model_dump_json().encode() + b"\n"  # as the project's JSON ends
    etag = f'"{hashlib.sha1(body, usedforsecurity=False).hexdigest()}"'
    if if_none_match == etag:
        return Response(status_code=304, headers={"ETag": etag})
    return Response(body, media_type="application/json", headers={"ETag": etag})
