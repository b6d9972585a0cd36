"""Weekly digests: the report, scorecards, the message, its chart, posting and settings."""
