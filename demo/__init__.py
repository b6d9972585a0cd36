"""A self-contained run of the product against the built-in Slack emulator, printed as a transcript."""
