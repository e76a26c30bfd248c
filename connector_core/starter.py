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

[engine]
# Where partitions and signing batches run: "local" (this machine, `processes` at a time) or
# "celery" (`lerconnect worker`s through broker_url, with a PostgreSQL [store]; see README "Scaling out").
executor = "local"
processes = 1
# broker_url = "redis://127.0.0.1:6379/0"      # or "amqp://guest@127.0.0.1//" for RabbitMQ

[identity]
# How a learner seen in several systems becomes one: tried in this order.
match = ["institution_id", "verified_email"]

[logging]
format = "text"   # or "json" for log pipelines
level = "INFO"

# The issuer signs Open Badges 3.0 and CLR 2.0 credentials. Without this table, `sync` stores
# records and signs nothing. Uncomment it, then create the key:
#   LERCONNECT_KEY_PASSPHRASE=… lerconnect keys generate
# [issuer]
# name = "Example University"
# url = "https://www.example.edu"
# email = "registrar@example.edu"
# key_file = "issuer-key.pem"                  # encrypted with the passphrase below
# passphrase_env = "LERCONNECT_KEY_PASSPHRASE" # or: passphrase = "file:/run/secrets/key-passphrase"
# did_method = "key"                           # or "web", with domain = "registrar.example.edu"
# status_base_url = "https://registrar.example.edu/status"   # where verifiers fetch status lists
# status_dir = "status"                        # where lerconnect writes them, for a web server to serve
# issue_statuses = ["completed"]               # results that earn a credential

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
