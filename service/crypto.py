"""OAuth tokens are Fernet-encrypted at rest (in Kafka); MultiFernet lets keys rotate."""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from service.errors import SyncError


class TokenCipher:
    """Encrypts with the newest key, decrypts with any: prepend a new key to rotate."""

    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ValueError("no token encryption keys: set SFSYNC_TOKEN_KEYS (Fernet.generate_key())")
        self._fernet = MultiFernet([Fernet(k.encode()) for k in keys])

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken as exc:
            raise SyncError("a stored Salesforce token cannot be decrypted with the configured keys") from exc

    def rotate(self, ciphertext: str) -> str:
        """Re-encrypt under the newest key."""
        return self._fernet.rotate(ciphertext.encode()).decode()


def new_key() -> str:
    return Fernet.generate_key().decode()
