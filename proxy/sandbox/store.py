"""All sandbox accounts, created on first use, keyed by a digest of the bearer token."""

import hashlib

from proxy.clock import Clock
from proxy.sandbox.account import Account
from proxy.sandbox.settings import SandboxSettings
from proxy.sandbox.storage import Storage


def credential_of(token: str) -> str:
    """Tokens are secrets: only their digest is kept; it seeds the account's data."""
    return hashlib.sha256(token.encode()).hexdigest()


class SandboxStore:
    def __init__(self, settings: SandboxSettings, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock
        self.storage = Storage(settings.storage_signing_secret)
        self._accounts: dict[str, Account] = {}

    def account(self, token: str) -> Account:
        """The token's account (seeded on first use), with finished tasks settled."""
        credential = credential_of(token)
        account = self._accounts.get(credential)
        if account is None:
            account = self._accounts[credential] = Account(credential, self.settings)
        account.settle(self.clock.now())
        return account

    def __len__(self) -> int:
        return len(self._accounts)
