"""Tokens at rest are Fernet ciphertexts.

`ACCOUNTABILITY_ENCRYPTION_KEY` holds one or more comma-separated Fernet keys: the first encrypts,
every one decrypts (cryptography's MultiFernet), so a new key can be put in front, `python -m bot
rotate-key` run, and the old key dropped afterwards.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class EncryptionKeyError(ValueError):
    """The configured key is missing or not a Fernet key."""


class TokenCipher:
    def __init__(self, keys: str | None) -> None:
        parts = [k.strip() for k in (keys or "").split(",") if k.strip()]
        if not parts:
            raise EncryptionKeyError(
                "ACCOUNTABILITY_ENCRYPTION_KEY is not set: tokens are stored encrypted in OAuth mode "
                "(make one with: python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())')"
            )
        fernets = []
        for number, part in enumerate(parts, start=1):
            try:
                fernets.append(Fernet(part.encode()))
            except (ValueError, TypeError):
                raise EncryptionKeyError(
                    f"ACCOUNTABILITY_ENCRYPTION_KEY: key {number} is not a Fernet key "
                    "(32 url-safe base64-encoded bytes, as Fernet.generate_key() makes)"
                ) from None
        self._fernet = MultiFernet(fernets)

    def encrypt(self, value: str | None) -> str | None:
        return None if value is None else self._fernet.encrypt(value.encode()).decode()

    def decrypt(self, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return self._fernet.decrypt(value.encode()).decode()
        except InvalidToken:
            raise EncryptionKeyError(
                "a stored token cannot be decrypted with any key in ACCOUNTABILITY_ENCRYPTION_KEY"
            ) from None

    def rotate(self, value: str | None) -> str | None:
        """The same token, encrypted again with the first key."""
        if value is None:
            return None
        try:
            return self._fernet.rotate(value.encode()).decode()
        except InvalidToken:
            raise EncryptionKeyError(
                "a stored token cannot be decrypted with any key in ACCOUNTABILITY_ENCRYPTION_KEY"
            ) from None
