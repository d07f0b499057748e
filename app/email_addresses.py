"""E-mail addresses in one canonical form, so that look-alikes cannot be separate accounts.

The form is what the uniqueness constraint, the login look-up and the login throttle's key
compare: Unicode NFKC (a fullwidth letter becomes its ASCII one), then email-validator's checks and
normalization (no invisible or control characters, no quoted local part, the domain in its IDNA
Unicode form whether it was sent as punycode or not), then lower case.
"""

import unicodedata

from email_validator import EmailNotValidError, validate_email

MAX_EMAIL_LENGTH = 254

__all__ = ["MAX_EMAIL_LENGTH", "EmailNotValidError", "comparable_email", "normalize_email"]


def normalize_email(email: str) -> str:
    """The canonical form of an e-mail address; EmailNotValidError when it cannot be one.

    Addresses longer than MAX_EMAIL_LENGTH are refused before any normalization work.
    """
    if len(email) > MAX_EMAIL_LENGTH:
        raise EmailNotValidError(f"Must be at most {MAX_EMAIL_LENGTH} characters long.")
    composed = unicodedata.normalize("NFKC", email)
    return validate_email(composed, check_deliverability=False).normalized.lower()


def comparable_email(text: str) -> str:
    """What a login compares: the canonical form, or, for text that cannot be an address, the text
    lower-cased (it finds no account, and the answer does not say why)."""
    try:
        return normalize_email(text)
    except EmailNotValidError:
        return text.lower()
