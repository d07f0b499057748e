"""Accounts and tokens: register, log in and out (views), the token guard, throttling."""
