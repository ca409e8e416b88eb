"""The request and the report of POST /api/citations/import/ (claims.services.bibtex does the work)."""

from rest_framework import serializers


class BibTeXUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The .bib file (UTF-8)")


class BibTeXImportOptionsSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField(required=False, default=False, help_text="Report only; write nothing")
    expected_digest = serializers.CharField(
        required=False,
        max_length=64,
        help_text="The digest of a dry run's report: the import is refused (409) if it would now do something else",
    )


class ChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    stored = serializers.CharField(allow_blank=True)
    incoming = serializers.CharField(allow_blank=True)


class EntryResultSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=["new", "enriched", "unchanged", "conflicting"])
    line = serializers.IntegerField(allow_null=True, help_text="Line of the entry in the file")
    entry_key = serializers.CharField(help_text="The entry's key in the file")
    key = serializers.CharField(allow_blank=True, help_text="The citation it is (or becomes)")
    label = serializers.CharField(allow_blank=True)
    matched_by = serializers.CharField(allow_blank=True)
    reason = serializers.CharField(allow_blank=True, help_text="Why a conflicting entry was skipped")
    changes = ChangeSerializer(many=True)


class ImportReportSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    summary = serializers.CharField()
    digest = serializers.CharField(
        help_text="Pass as expected_digest to write exactly what this report shows"
    )
    counts = serializers.DictField(child=serializers.IntegerField())
    results = EntryResultSerializer(many=True)
    unused = serializers.ListField(
        child=serializers.CharField(), help_text="Keys of citations backing no claim"
    )
    unmatched_stubs = serializers.ListField(child=serializers.CharField(), help_text="Stubs no entry matched")


def report_data(report):
    return {
        "dry_run": report.dry_run,
        "summary": report.summary(),
        "digest": report.digest,
        "counts": report.counts,
        "results": [
            {
                "outcome": r.outcome,
                "line": r.line,
                "entry_key": r.entry_key,
                "key": r.key,
                "label": r.label,
                "matched_by": r.matched_by,
                "reason": r.reason,
                "changes": [{"field": f, "stored": str(s), "incoming": str(i)} for f, s, i in r.changes],
            }
            for r in report.results
        ],
        "unused": report.unused,
        "unmatched_stubs": report.unmatched_stubs,
    }
