"""`lerconnect serve`: the issuer on the web (did.json, status lists, VC-API, verify page).

`create_app` builds the FastAPI application from routers, one module per job; `cli` is the command,
which is the only place uvicorn is imported. Nothing here is imported by `lerconnect --help`.
"""
