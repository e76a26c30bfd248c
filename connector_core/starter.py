"""The commented starter config `lerconnect init` writes."""

STARTER_CONFIG = """\
# lerconnect configuration. Secrets: write "${ENV_VAR}" or "file:/path/to/secret", never the value.

[store]
# SQLite file (default) or a SQLAlchemy URL, e.g. "postgresql+psycopg://lerconnect@db/lerconnect".
# --db and LERCONNECT_DB override this.
url = "lerconnect.db"

[scheduler]
# Cron expressions in [sources.*].schedule are read in this time zone.
timezone = "America/New_York"
# A run that could not start on time may still start this many seconds late.
misfire_grace_seconds = 3600

[identity]
# How a learner seen in several systems becomes one: tried in this order.
match = ["institution_id", "verified_email"]

[logging]
format = "text"   # or "json" for log pipelines
level = "INFO"

# One table per campus system. `plugin` names the installed plugin (see `lerconnect plugins`).
[sources.engage]
plugin = "files"
schedule = "0 2 * * *"

[sources.engage.files.cocurricular]
path = "exports/engagement/*.csv"
kind = "cocurricular"

[sources.engage.files.cocurricular.columns]   # export column for each field lerconnect needs
record_id = "participation_id"
learner_id = "student_id"
institution_id = "student_id"
email = "email"
achievement_id = "activity_id"
title = "activity"
completed_on = "completed"

# [sources.canvas]
# plugin = "canvas"
# schedule = "30 2 * * *"
# base_url = "https://school.instructure.com"
# token = "${CANVAS_TOKEN}"
"""
