"""The clock process: APScheduler only triggers; what is due is decided by `bot.checkins.sending` from the database."""
