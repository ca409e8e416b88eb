"""Data operations, kept apart from curation services (claims/services/).

These move the whole data set at once rather than curate one record: loading the review's
transcription (review_fixtures reads and validates, review_loader writes), backup and restore
(backup exports, restore imports and builds on backup's parts; nothing here imports upwards),
data releases, and synthetic data for benchmarks. Commands and tests call them; views do not.
"""
