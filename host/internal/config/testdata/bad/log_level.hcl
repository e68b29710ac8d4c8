log_level = "loud"
