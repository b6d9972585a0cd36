"""Accounts and the people on them: commitments, agreements, plan versions, who may see and do what."""
