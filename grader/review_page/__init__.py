"""The review page: a local web page where a TA decides free-text answers group by group.

``grader review EXAM --out DIR --serve [--port P]`` runs it (``server.serve``) on 127.0.0.1
with a random token in the URL. The page (``app.create_app``: FastAPI, Jinja2 templates with
autoescape, htmx vendored in ``static/``) shows one text question at a time, its answer
groups largest first (``text_review.build_review``), and writes each decision to the
gradebook at once (``text_review.decide``), refusing one that another TA's decision made
stale. ``guard`` lets through only requests with the token; ``report_writer`` rewrites the
reports in the background so feedback pages follow the review; ``view`` chooses what the
question page shows.
"""

from grader.review_page.app import create_app
from grader.review_page.server import serve

__all__ = ["create_app", "serve"]
