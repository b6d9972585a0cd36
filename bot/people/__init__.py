"""People as people: their time off and their own calendar."""
