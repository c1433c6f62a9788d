"""Where and when heavy work runs: background jobs in worker processes (`jobs`), the server-wide fair
queue they wait in (`job_queue`), what this machine offers them (`machine`), and the Dask cluster
that runs them instead when one is configured (`cluster`, `cluster_tasks`). `worker_preload` is what
the workers' fork server imports once.

Below every stage: the stages submit their slow work here; this package imports only the
foundation modules (`errors`, `settings`, `formatting`).
"""
