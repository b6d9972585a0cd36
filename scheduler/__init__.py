"""The clock process: APScheduler only triggers; what is due is decided by `bot.clock_pass` from the database."""
