# Production image: slim Python 3.11, non-root, migrations then uvicorn with several workers.
# Needs SIPAS_DATABASE_URL (postgresql+psycopg://…) and the signing keys (SIPAS_TOKEN_KEYS, SIPAS_SESSION_SECRET,
# SIPAS_DOSSIER_HASH_KEY); with SIPAS_ENV=production it refuses to start without them.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    SIPAS_ENV=production \
    SIPAS_HOST=0.0.0.0 \
    SIPAS_PORT=8000 \
    SIPAS_WORKERS=4

# Pango and a font with Vietnamese diacritics: WeasyPrint renders the counters' posters as PDF.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 10001 sipas
WORKDIR /srv/sipas

# The code stays in /srv/sipas (an editable install) so migrations/, alembic.ini and survey_forms/ sit beside it.
COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY migrations ./migrations
COPY survey_forms ./survey_forms
RUN pip install -e .

USER sipas
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz').status != 200)"
CMD ["sh", "-c", "sipas migrate && exec sipas serve"]
