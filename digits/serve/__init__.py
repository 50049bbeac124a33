"""`digits serve`: the trained model behind an HTTP API and a drawing page (FastAPI on uvicorn).

- server.py: load the model once, listen (loopback by default), run uvicorn (here, or in workers.py's forks)
- workers.py: --workers N, gunicorn's master and its uvicorn workers; drain.py: graceful shutdown on SIGTERM
- metrics.py: GET /metrics (Prometheus), across the workers (metrics_dir.py: prometheus-client's folder)
- app.py: the routes (POST /predict, GET /health, /model, /metrics, /, /docs)
- upload.py: the image in a request, as the raw body or the form field `file`; decoding.py: where it is decoded
- limits.py: the request body size limit; logs.py: one log line per request
- batching.py: the images of concurrent requests in one forward pass
- errors.py: every error as {"error": "one line"}; settings.py: the options and their defaults
- page/: the drawing page, plain HTML, CSS and JavaScript
"""
