"""Commitments that wait on one another, and blame on the side that actually blocked.

A dependency between the customer and the vendor is where blame goes wrong: a customer who cannot test
until the vendor ships is not the one slipping. `links` records who waits on whom (refusing cycles),
`blocking` says whether a commitment is held up right now and by whom, `sides` is the one rule for the
side a check-in counts against, and `telling` lets the blocking side know.
"""
