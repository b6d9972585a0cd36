"""Escalations: episodes, the rules that open and raise them, handling by people, posting to Slack,
the posted message, per-account policy and autopsies."""
