"""A browser page on the emulator's port that shows what Slack would show and acts as Slack's people.

Messages, threads, App Home tabs and modals are read from the emulator's own state; every click, form,
command and typed message goes to the app as the signed request Slack itself would send.
"""

from .site import Person, Playground

__all__ = ["Person", "Playground"]
