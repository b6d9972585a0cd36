"""The weekly review in an account's shared channel: how each side did, what is due, and whether both
sides go into the new week confident."""
