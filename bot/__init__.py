"""The domain: accounts, commitments, schedules, check-ins, the diary. Knows nothing of Bolt."""
