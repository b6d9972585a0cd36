"""The accountability diary: entries, pages, the shared channel copy and the export."""
