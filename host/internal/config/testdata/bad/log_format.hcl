log_level  = "debug"
log_format = "xml"
