"""Escalations: rules, handling, the posted message, per-account policy and autopsies."""
