"""gunicorn's settings, read from the working directory (README « Exploitation »).

The access log, when an operator turns it on (`--access-logfile -`), writes the path without its query string
and without the Referer: list filters and searches may carry names or birth dates (donnees-personnelles.md §7)."""

access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(L)ss "%(a)s"'
