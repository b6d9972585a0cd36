"""Refusals the domain answers people with, worded for them (shown ephemerally, nothing written)."""


class Refusal(Exception):
    """A request that is understood but cannot be carried out: not allowed, unknown account, and so on."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
