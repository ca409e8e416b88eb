# The ExoClaims web image: gunicorn serving Django, static files by WhiteNoise.
FROM python:3.13-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY exoclaims exoclaims
COPY claims claims
RUN pip install --no-cache-dir .
COPY . .
RUN DJANGO_SECRET_KEY=build-only python manage.py collectstatic --noinput --verbosity 0
RUN useradd --system exoclaims && chown -R exoclaims /app
USER exoclaims
EXPOSE 8000
CMD ["gunicorn", "exoclaims.wsgi", "--bind", "0.0.0.0:8000", "--workers", "2", "--access-logfile", "-"]
