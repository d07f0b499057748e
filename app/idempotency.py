"""`Idempotency-Key` on the POSTs that create something (draft-ietf-httpapi-idempotency-key-header).

A client that sends `Idempotency-Key: <1 to 255 printable ASCII characters>` with a create may
send the same request again (after a lost connection, a timeout, a 5xx) and get the first answer
back, stored, with `Idempotent-Replayed: true`, while nothing more is created. Keys belong to the
caller (another user's identical key is unrelated) and are kept IDEMPOTENCY_KEY_LIFETIME_SECONDS
(24 h), the newest IDEMPOTENCY_KEYS_PER_USER of them per user at most.

The created row and the stored answer are committed in one transaction, so a process killed in
between leaves neither, and a retry simply runs again. While it runs, the request holds a
PostgreSQL advisory lock on (caller, key): a retry arriving meanwhile is a 409, not a second create.
"""

import functools
import hashlib
import json
from datetime import timedelta

from flask import Response, current_app, request
from sqlalchemy import func

from app import metrics
from app.auth.guard import current_user
from app.database import db, delete_where
from app.errors import APIError
from app.models import IdempotencyKey
from app.parser import read_body
from app.schemas import ErrorSchema
from app.timestamps import as_utc, utcnow

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
REPLAYED_HEADER = "Idempotent-Replayed"
BAD_KEY_MESSAGE = (
    f"{HEADER} must be 1 to {MAX_KEY_LENGTH} printable ASCII characters (a space to a tilde)."
)
IN_PROGRESS_MESSAGE = (
    f"A request with this {HEADER} is still being processed; retry once it has finished."
)
REUSED_MESSAGE = f"This {HEADER} was already used with a different request."


def _well_formed(key: str) -> bool:
    """1 to MAX_KEY_LENGTH printable ASCII characters, as the draft's key (a Structured Field
    string) is; a NUL, which PostgreSQL cannot store, or any other control character is not."""
    return 0 < len(key) <= MAX_KEY_LENGTH and all(" " <= char <= "~" for char in key)


def _fingerprint() -> str:
    """SHA-256 of what the request asks for: its method, path and body (JSON or form, as read)."""
    request_data = {"method": request.method, "path": request.path, "body": read_body()}
    return hashlib.sha256(json.dumps(request_data, sort_keys=True).encode()).hexdigest()


def _locked(user_id: int, key: str) -> bool:
    """Take the transaction's advisory lock on (caller, key); False if another request holds it.

    Only PostgreSQL has advisory locks; SQLite (development) runs one write at a time anyway.
    """
    if db.session.get_bind().dialect.name != "postgresql":
        return True
    return db.session.scalar(db.select(func.pg_try_advisory_xact_lock(user_id, _lock_key(key))))


def _lock_key(key: str) -> int:
    """The key as the 32-bit number an advisory lock takes (a collision only makes a 409)."""
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest[:4], "big", signed=True)


def _replay(stored: IdempotencyKey) -> Response:
    response = current_app.response_class(stored.body, status=stored.status,
                                          mimetype="application/json")
    if stored.location:
        response.headers["Location"] = stored.location
    response.headers[REPLAYED_HEADER] = "true"
    metrics.IDEMPOTENT_REPLAYS.inc()
    return response


def _store(key: str, fingerprint: str, response: Response) -> None:
    """Add the answer to the transaction; beyond the per-user cap, the caller's oldest keys go."""
    now, config = utcnow(), current_app.config
    lifetime = timedelta(seconds=config["IDEMPOTENCY_KEY_LIFETIME_SECONDS"])
    newest = (
        db.select(IdempotencyKey.key)
        .where(IdempotencyKey.user_id == current_user().id)
        .order_by(IdempotencyKey.created_at.desc())
        .limit(config["IDEMPOTENCY_KEYS_PER_USER"] - 1)
    )
    db.session.execute(
        db.delete(IdempotencyKey)
        .where(IdempotencyKey.user_id == current_user().id,
               IdempotencyKey.key.not_in(newest.scalar_subquery()))
        .execution_options(synchronize_session=False)
    )
    db.session.add(IdempotencyKey(
        user_id=current_user().id, key=key, fingerprint=fingerprint, status=response.status_code,
        body=response.get_data(as_text=True), location=response.headers.get("Location"),
        created_at=now, expires_at=now + lifetime,
    ))


def idempotent(blp, view):
    """Make a creating view (below `auth_required`, above `@blp.response`) honour Idempotency-Key,
    and describe the header and its 409 and 422 on the blueprint `blp` (`@blp.idempotent`).

    The answer is stored in the request's transaction, which app/unit_of_work.py commits with
    what the view created.
    """

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return view(*args, **kwargs)
        if not _well_formed(key):
            raise APIError(400, BAD_KEY_MESSAGE)
        fingerprint = _fingerprint()
        if not _locked(current_user().id, key):
            raise APIError(409, IN_PROGRESS_MESSAGE)
        stored = db.session.get(IdempotencyKey, (current_user().id, key))
        if stored is not None and as_utc(stored.expires_at) > utcnow():
            if stored.fingerprint != fingerprint:
                raise APIError(422, REUSED_MESSAGE)
            return _replay(stored)
        if stored is not None:  # expired: the key starts afresh
            db.session.delete(stored)
            db.session.flush()
        response = view(*args, **kwargs)
        _store(key, fingerprint, response)
        return response

    documented = wrapper
    for status, description in [
        (409, f"A request with this {HEADER} is still being processed"),
        (422, f"This {HEADER} was used with a different request"),
    ]:
        documented = blp.alt_response(status, schema=ErrorSchema,
                                      description=description)(documented)
    return blp.doc(parameters=[{
        "in": "header", "name": HEADER, "required": False,
        "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH,
                   "pattern": "^[ -~]*$"},
        "description": "A key you choose per create: a retry with the same key and body "
                       f"gets the first answer again (with `{REPLAYED_HEADER}: true`) "
                       "and creates nothing; kept IDEMPOTENCY_KEY_LIFETIME_SECONDS (24 h)",
    }])(documented)


def purge_expired_idempotency_keys(limit: int | None = None) -> int:
    """Delete the stored answers of Idempotency-Keys past their lifetime (in the current
    transaction, at most `limit` of them); how many were deleted."""
    return delete_where(IdempotencyKey, IdempotencyKey.expires_at <= utcnow(), limit)
