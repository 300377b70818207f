"""The pieces Ludwig's HTTP servers share (``ludwig serve`` in ``ludwig.serve``, the JSON API in ``ludwig.serve_v2``).

One job per module, each cheap to import (fastapi, uvicorn, pandas and numpy are imported inside the functions that
need them, so ``ludwig serve --help`` stays instant):

* ``requests``: ``RequestError`` and the validation of request values into input rows (pure Python);
* ``bodies``: reading request bodies (size limit, content type, JSON with a nesting limit, forms);
* ``forms``: urlencoded and multipart form bodies read strictly (text in the declared charset, no file uploads);
* ``responses``: prediction values made JSON-ready;
* ``schemas``: the OpenAPI documentation of request bodies;
* ``metrics``: the Prometheus metrics of a server app and the middleware that records them;
* ``predictor``: predictions on the shared model, off the event loop, within a time limit, waiting requests batched;
* ``app``: the FastAPI app with the error answers (a clean 500 for server faults), CORS and ``/metrics``;
* ``runner``: running an app under uvicorn until interrupted;
* ``command_line``: the flags every server takes and the ``cli()`` glue that runs one.
"""
