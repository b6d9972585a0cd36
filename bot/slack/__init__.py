"""Talking to Slack: the one Web API gateway, mrkdwn escaping, error classes and event deliveries."""
