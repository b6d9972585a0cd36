"""Installations of the app in many workspaces: encrypted token storage, the tenant each request and
clock pass acts for, and what happens when a workspace uninstalls."""
