"""Accounts and access: the `auth` blueprint, whose routes live in views.py (register, log in,
refresh, log out), account.py (who am I, change the password, delete the account) and
password_reset.py; the token guard, sessions and throttling beside them."""

from app.auth import account, password_reset, views

blp = views.blp
__all__ = ["account", "blp", "password_reset"]
