"""Serve: a model in use. A registered version, a project's run or an exported bundle becomes a REST
API (`sources` finds and loads it; the API itself is `mlcore.deploy.rest_api`), served by uvicorn in a
process of its own (`server`), started, found again and stopped by the app and the command line
(`servers`), with every answered request appended to the project's traffic log (`traffic`).

Imports: every stage below (data, train, evaluate, deploy, track), never the UI.
"""
