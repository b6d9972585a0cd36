"""Renegotiating instead of slipping: a proposal to move a commitment's date, answered by the other side."""
