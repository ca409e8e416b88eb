"""Backup and restore: export_dataset / import_dataset, driven as an operator runs them."""

import io
import json
import sys
import tracemalloc
from collections import defaultdict

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import connection

from claims import vocabulary as v
from claims.dataops.backup import (
    BATCH,
    PARTS,
    DatasetReader,
    consistent_read,
    dataset_dumps,
    dataset_export,
    dataset_write,
)
from claims.dataops.synthetic import synthetic_generate
from claims.models import (
    Cargo,
    CellLine,
    Citation,
    Claim,
    ClaimCellLine,
    Drug,
    Flag,
    Mechanism,
    Section,
    Source,
    StatusChange,
    Target,
)
from claims.services.claim_writes import claim_update
from claims.services.workflow import claim_transition, flag_raise, flag_resolve
from tests.factories import make_claim

# How each model is named without primary keys, for the ORM's own view of the data.
NATURAL = {
    User: ["username"],
    Source: ["doi"],
    Section: ["source__doi", "number"],
    Citation: ["key"],
    Claim: ["public_id"],
    Drug: ["slug"],
    Cargo: ["slug"],
    CellLine: ["slug"],
    Mechanism: ["slug"],
    Target: ["slug"],
    ClaimCellLine: ["claim__public_id", "cell_line__slug", "role"],
}
SKIPPED = {"id", "history_id", "m2m_history_id"}
# The peak of Python allocations of an export or an import, in largest batches of records
# (docs/reliability.md).
PEAK_PER_BATCH = 2


def _columns(model):
    columns = []
    for f in model._meta.concrete_fields:
        if f.name in SKIPPED:
            continue
        if not f.is_relation:
            columns.append(f.name)
        elif f.related_model in NATURAL:
            columns += [f"{f.name}__{name}" for name in NATURAL[f.related_model]]
        else:  # an m2m history row's snapshot: the claim history row it belongs to
            columns += [f"{f.name}__history_date", f"{f.name}__public_id"]
    return columns


def orm_view():
    """Every row of every claims table as the ORM sees it, with foreign keys followed to natural keys.

    History rows are grouped by the object they belong to (their ``id``); a group of a live object
    is labelled with its natural key, so a restore that mixed up object ids would show here.
    """
    view = {}
    through_models = [
        Claim.citations.through,
        Claim.drugs.through,
        Claim.cargo.through,
        Claim.targets.through,
    ]
    for model in [*apps.get_app_config("claims").get_models(), *through_models]:
        rows = list(model._default_manager.values_list("id", *_columns(model)))
        if model.__name__.startswith("Historical") and hasattr(model, "history_date"):
            live = model.instance_type
            labels = {pk: repr(key) for pk, *key in live._default_manager.values_list("pk", *NATURAL[live])}
            groups = defaultdict(list)
            for object_id, *row in rows:
                groups[object_id].append(repr(row))
            view[model.__name__] = sorted(
                (labels.get(object_id, "deleted"), sorted(group)) for object_id, group in groups.items()
            )
        else:
            view[model.__name__] = sorted(repr(row) for _, *row in rows)
    return view


def _curate(curator, editor):
    """Real curation: edits, a review decision, flags, a deleted claim, a deleted drug and link."""
    claims = list(Claim.objects.filter(citations__isnull=False).distinct().order_by("public_id")[:3])
    edited, deleted, linked = claims
    other_citation = Citation.objects.exclude(claims=edited).order_by("key").first()
    claim_update(
        claim=edited,
        user=curator,
        statement=edited.statement + " (checked)",
        citations=[*edited.citations.all(), other_citation],
    )
    claim_transition(claim=edited, user=editor, to_status=v.CurationStatus.APPROVED)
    flag = flag_raise(claim=edited, user=curator, kind=v.FlagKind.OTHER, text="Check the dose.")
    flag_resolve(flag=flag, user=editor, resolution="The dose is as the review says.")
    line = CellLine.objects.order_by("slug").first()
    claim_update(claim=linked, user=curator, cell_lines=[(line, v.CellLineRole.DONOR)])
    claim_update(claim=linked, user=curator, cell_lines=[])
    deleted._history_user = editor
    deleted.delete()
    drug = Drug(name="Withdrawn drug", slug="withdrawn-drug")
    drug._history_user = curator
    drug.save()
    drug.delete()
    return edited, deleted


@pytest.fixture
def loaded(transactional_db):
    call_command("load_review", verbosity=0, stdout=open("/dev/null", "w"))


def test_export_flush_import_export_is_byte_identical_and_the_orm_sees_the_same_objects(loaded, tmp_path):
    curator = User.objects.create_user("curator-a", password="x" * 12, is_staff=True)
    editor = User.objects.create_user("editor-b", password="x" * 12, is_superuser=True)
    edited, deleted = _curate(curator, editor)
    before, edited_history = orm_view(), edited.history.count()
    first, second = tmp_path / "first.json", tmp_path / "second.json"

    call_command("export_dataset", output=str(first), stdout=open("/dev/null", "w"))
    call_command("flush", interactive=False, verbosity=0)
    assert Claim.objects.count() == 0 and not User.objects.exists()
    call_command("import_dataset", str(first), stdout=open("/dev/null", "w"))
    call_command("export_dataset", output=str(second), stdout=open("/dev/null", "w"))

    assert first.read_bytes() == second.read_bytes()
    assert orm_view() == before
    restored = Claim.objects.get(public_id=edited.public_id)
    assert restored.history.count() == edited_history
    assert restored.history.first().history_user.username == "editor-b"
    assert not User.objects.get(username="curator-a").has_usable_password()
    assert not User.objects.get(username="curator-a").is_active

    # The deleted claim's history kept an id of its own, which no new claim can be given.
    template = Claim.objects.order_by("public_id").first()
    new = make_claim(like=template, statement="A new finding.")
    assert set(new.history.values_list("public_id", flat=True)) == {new.public_id}
    assert Claim.history.filter(public_id=deleted.public_id).values("id").distinct().count() == 1


def _export(tmp_path, name="backup.json"):
    path = tmp_path / name
    call_command("export_dataset", output=str(path), stdout=open("/dev/null", "w"))
    return path


def _import(path, *args):
    out = io.StringIO()
    call_command("import_dataset", str(path), *args, stdout=out)
    return out.getvalue()


def test_importing_into_a_non_empty_database_is_refused_and_changes_nothing(db, tmp_path):
    backup = _export(tmp_path)
    counts = (Claim.objects.count(), Citation.objects.count(), Claim.history.count())
    with pytest.raises(CommandError, match="already holds data .*--merge"):
        _import(backup)
    assert (Claim.objects.count(), Citation.objects.count(), Claim.history.count()) == counts


def test_merge_adds_what_is_missing_keeps_what_exists_and_never_duplicates(db, tmp_path, curator):
    backup = _export(tmp_path)
    document = json.loads(backup.read_text())
    missing, edited = Claim.objects.filter(flags__isnull=False).distinct().order_by("public_id")[:2]
    missing_record = next(c for c in document["claims"] if c["public_id"] == missing.public_id)
    flags_in_file = [f for f in document["flags"] if f["claim"] == missing.public_id]
    missing.delete()
    claim_update(claim=edited, user=curator, statement="Edited after the backup was made.")
    claim_count = Claim.objects.count()

    report = _import(backup, "--merge")

    assert f"claims: 1 added, {claim_count - 1} already present; 1 kept" in report
    assert edited.public_id in report
    back = Claim.objects.get(public_id=missing.public_id)
    assert back.statement == missing_record["statement"]
    assert sorted(back.citations.values_list("key", flat=True)) == sorted(missing_record["citations"])
    assert sorted(back.flags.values_list("text", flat=True)) == sorted(f["text"] for f in flags_in_file)
    assert back.history.count() == len(missing_record["history"])
    assert Claim.objects.get(pk=edited.pk).statement == "Edited after the backup was made."
    assert Claim.objects.count() == claim_count + 1

    again = _import(backup, "--merge")
    assert "claims: 0 added" in again and "history rows added: 0" in again
    assert Claim.objects.count() == claim_count + 1
    assert Flag.objects.filter(claim=back).count() == len(flags_in_file)


def _new_claim(document, **changes):
    record = dict(
        document["claims"][0], public_id="CLM-9999", statement="A claim only the file has.", history=[]
    )
    record.update(changes)
    return record


def _citation(document):
    return dict(document["citations"][0], key="zz-new2099", label="Zz et al., 2099", doi="", history=[])


def _bad_files():
    """(what is wrong, how to break the exported document, what the error must say)."""
    return [
        (
            "bad choice",
            lambda d: d["claims"].append(_new_claim(d, direction="sideways")),
            r"claims\[\d+\] \(CLM-9999\): direction: Value 'sideways' is not a valid choice",
        ),
        (
            "unknown citation",
            lambda d: d["claims"].append(_new_claim(d, citations=["nosuch2020"])),
            r"CLM-9999\): citations: 'nosuch2020' is neither in the file nor in the database",
        ),
        (
            "quote moved",
            lambda d: d["claims"].append(
                _new_claim(
                    d,
                    quote_start=d["claims"][0]["quote_start"] + 1,
                    quote_end=d["claims"][0]["quote_end"] + 1,
                )
            ),
            r"CLM-9999\): the quote is not at characters",
        ),
        (
            "unknown field",
            lambda d: d["claims"].append(_new_claim(d, colour="red")),
            r"CLM-9999\): unknown field 'colour'",
        ),
        (
            "missing field",
            lambda d: d["claims"].append({k: val for k, val in _new_claim(d).items() if k != "statement"}),
            r"CLM-9999\): missing field 'statement'",
        ),
        ("twice", lambda d: d["claims"].extend([_new_claim(d), _new_claim(d)]), r"CLM-9999\): appears twice"),
        (
            "not a date",
            lambda d: d["claims"].append(_new_claim(d, created="yesterday")),
            r"created: 'yesterday' is not a date and time with a time zone",
        ),
        (
            "wrong type",
            lambda d: d["claims"].append(_new_claim(d, version="3")),
            r"CLM-9999\): version must be a whole number",
        ),
        (
            "rejected without reason",
            lambda d: d["claims"].append(_new_claim(d, status="rejected", rejection_reason="")),
            r"CLM-9999\): Constraint .claim_rejection_needs_reason. is violated",
        ),
        (
            "label taken",
            lambda d: d["citations"][-1].update(label=d["citations"][1]["label"]),
            r"citations\[\d+\] \(zz-new2099\): label: Citation with this Label already exists",
        ),
        (
            "unknown user",
            lambda d: d["claims"].append(
                _new_claim(d, history=[dict(d["claims"][0]["history"][0], history_user="mallory")])
            ),
            r"CLM-9999\) history\[0\]: history_user: 'mallory' is not one of the users listed in the file",
        ),
    ]


@pytest.mark.parametrize("label, breaks, message", _bad_files(), ids=[case[0] for case in _bad_files()])
def test_a_bad_file_is_refused_with_what_and_where_and_nothing_is_written(
    db, tmp_path, label, breaks, message
):
    document = json.loads(_export(tmp_path).read_text())
    document["citations"].append(_citation(document))  # valid, and imported first: must not stay
    breaks(document)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document))
    counts = (Claim.objects.count(), Citation.objects.count(), Citation.history.count(), User.objects.count())

    with pytest.raises(CommandError, match=message):
        _import(path, "--merge")

    assert (
        Claim.objects.count(),
        Citation.objects.count(),
        Citation.history.count(),
        User.objects.count(),
    ) == counts
    assert not Citation.objects.filter(key="zz-new2099").exists()


@pytest.mark.parametrize(
    "content, message",
    [
        ("{not json", r"bad.json is not valid JSON: Expecting property name"),
        ('{"format": "something-else"}', r"bad.json is not an ExoClaims data set"),
        ('{"format": "exoclaims-dataset", "format_version": 99}', r"has format_version 99"),
        ('{"format": "exoclaims-dataset", "format_version": 1}', r"missing list 'claims'"),
    ],
)
def test_a_file_that_is_not_a_data_set_is_refused_clearly(db, tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(CommandError, match=message):
        _import(path, "--merge")


def test_a_missing_file_or_unwritable_output_is_a_clear_error(db, tmp_path):
    with pytest.raises(CommandError, match="cannot read .*nowhere.json: No such file"):
        _import(tmp_path / "nowhere.json")
    with pytest.raises(CommandError, match="cannot write .*no/such/dir/out.json"):
        call_command("export_dataset", output=str(tmp_path / "no/such/dir/out.json"))


def test_export_to_standard_output_is_the_document(db, capsys):
    call_command("export_dataset")
    document = json.loads(capsys.readouterr().out)
    assert {c["public_id"] for c in document["claims"]} == set(
        Claim.objects.values_list("public_id", flat=True)
    )
    assert len(document["flags"]) == Flag.objects.count()
    assert len(document["status_changes"]) == StatusChange.objects.count()
    assert len(document["claim_cell_lines"]) == ClaimCellLine.objects.count()


def test_the_streamed_file_is_the_document_as_json_writes_it(db, curator):
    """export_dataset writes batch by batch; the bytes are those of the whole document dumped at once."""
    claim = Claim.objects.filter(flags__isnull=False).order_by("public_id").first()
    claim_update(claim=claim, user=curator, statement="Edited before the backup.")
    Drug.objects.order_by("slug").last().delete()
    out = io.StringIO()
    counts = dataset_write(out)
    assert out.getvalue() == dataset_dumps(dataset_export())
    assert counts["claims"] == Claim.objects.count()
    assert (
        counts["claims history"]
        == Claim.history.filter(public_id__in=Claim.objects.values("public_id")).count()
    )


def test_export_takes_the_same_number_of_queries_whatever_the_size(db, django_assert_num_queries, curator):
    # users 2 (every name, the names used); sources: rows 1; sections: keys 1 (a key of two
    # fields), rows 1; the 6 entity and citation parts: rows 1, history 1, deleted objects'
    # history 1; claims: rows 1, m2m links 4, history 1, its m2m snapshots 4 (none for the
    # deleted: nothing was), deleted history 1; claim cell lines: rows, history, deleted history
    # 3; citation checks, status changes, flags 1 each; the savepoint around the read 2. Foreign
    # keys are named by joins in the same queries. Rows, links and history are read per batch of
    # BATCH rows: one batch at this size.
    expected = 2 + 1 + 2 + 6 * 3 + 11 + 3 + 3 + (2 if connection.in_atomic_block else 0)
    with django_assert_num_queries(expected):
        dataset_export()
    template = Claim.objects.order_by("public_id").first()
    for n in range(3):
        claim = make_claim(
            curator, like=template, statement=f"Extra finding {n}.", citations=template.citations.all()
        )
        flag_raise(claim=claim, user=curator, kind=v.FlagKind.OTHER, text=f"Flag {n}")
    with django_assert_num_queries(expected):
        dataset_export()


def _deep_size(value, seen=None):
    seen = set() if seen is None else seen
    if id(value) in seen:
        return 0
    seen.add(id(value))
    size = sys.getsizeof(value)
    if isinstance(value, dict):
        size += sum(_deep_size(k, seen) + _deep_size(item, seen) for k, item in value.items())
    elif isinstance(value, (list, tuple)):
        size += sum(_deep_size(item, seen) for item in value)
    return size


class _Sink:
    def __init__(self):
        self.written = 0

    def write(self, text):
        self.written += len(text)


@pytest.mark.slow
def test_export_at_10k_claims_holds_about_one_batch_not_the_file(db):
    """Regression (issue #18 item 14): the export built the whole document, 779 MB for a 68 MB file."""
    synthetic_generate(claims=10_000)
    with consistent_read():
        reader = DatasetReader()
        sizes = [_deep_size(batch) for part in PARTS for batch in reader.batches(part)]
    largest = max(sizes)
    sink = _Sink()
    tracemalloc.start()
    try:
        dataset_write(sink)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(sizes) > 10_000 // BATCH and sink.written > sum(sizes) / 3  # the file is many batches
    assert peak <= PEAK_PER_BATCH * largest, f"peak {peak:,} bytes, largest batch {largest:,}"


@pytest.mark.slow
def test_import_at_10k_claims_holds_about_one_batch_not_the_file(loaded, tmp_path):
    """Regression (issue #18 item 14): the import read the whole file, 188 MiB at 10k claims (39 batches)."""
    synthetic_generate(claims=10_000)
    with consistent_read():
        reader = DatasetReader()
        sizes = [_deep_size(batch) for part in PARTS for batch in reader.batches(part)]
    largest = max(sizes)
    backup = _export(tmp_path)
    call_command("flush", interactive=False, verbosity=0)
    tracemalloc.start()
    try:
        _import(backup)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak <= PEAK_PER_BATCH * largest, f"peak {peak:,} bytes, largest batch {largest:,}"
    assert len(sizes) > 10_000 // BATCH and backup.stat().st_size > sum(sizes) / 3  # many batches
    assert _export(tmp_path, "again.json").read_bytes() == backup.read_bytes()
