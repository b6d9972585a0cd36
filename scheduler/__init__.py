"""The clock process: APScheduler only triggers; what is due is decided by `bot.due_work` from the database."""
