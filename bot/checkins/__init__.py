"""Check-ins: when they fall, sending them, answers, notes and reminders."""
