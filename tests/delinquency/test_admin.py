"""The delinquency admin: bucket sets are checked as a whole (`range_problems`) and saved through the service
(audited); pauses and manual classifications are read-only there (they are written on the loan page)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from arrears.accounts.models import Role
from arrears.audit.models import AuditEvent
from arrears.delinquency import services
from arrears.delinquency.models import BucketSet, ClassificationOverride, Pause
from tests.factories import LoanFactory, UserFactory

pytestmark = pytest.mark.django_db

ADD = "/admin/delinquency/bucketset/add/"


@pytest.fixture
def admin_client(client: Any) -> Any:
    client.force_login(
        UserFactory(username="root", role=Role.ADMIN, is_staff=True, is_superuser=True, display_name="管理员")
    )
    return client


def bucket_set_form(
    name: str | None,
    rows: list[tuple[str, int, int | None]],
    *,
    initial: list[int] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """POST data of the bucket-set admin form: the set's fields and one inline row per (code, min, max)."""
    data: dict[str, Any] = {
        "buckets-TOTAL_FORMS": str(len(rows)),
        "buckets-INITIAL_FORMS": str(len(initial or [])),
        "buckets-MIN_NUM_FORMS": "0",
        "buckets-MAX_NUM_FORMS": "1000",
        **fields,
    }
    if name is not None:
        data["name"] = name
    for n, (code, low, high) in enumerate(rows):
        data.update(
            {
                f"buckets-{n}-code": code,
                f"buckets-{n}-name": f"{code} 段",
                f"buckets-{n}-min_days": str(low),
                f"buckets-{n}-max_days": "" if high is None else str(high),
            }
        )
        if initial and n < len(initial):
            data[f"buckets-{n}-id"] = str(initial[n])
    return data


@pytest.mark.parametrize(
    ("rows", "problem"),
    [
        # in the admin's language (Chinese by default)
        ([("A", 1, 30), ("B", 25, 60)], "A（1–30）与 B（25–）重叠"),
        ([("A", 1, 30), ("B", 40, None)], "第 31–39 天不属于 A 与 B 之间的任何区间"),
        ([("A", 1, 30), ("B", 60, 31)], "B：起始天数 60 大于截止天数 31"),
        ([("A", 1, None), ("B", 31, 60)], "A 没有上限，但 B 在其之后开始"),
        ([], "账龄分组至少需要一个区间"),
    ],
)
def test_bad_ranges_are_form_errors(admin_client: Any, rows: list[Any], problem: str) -> None:
    response = admin_client.post(ADD, bucket_set_form("信用卡账龄", rows))
    assert response.status_code == 200  # the form again, not a redirect
    html = response.content.decode()
    assert problem in html and "errorlist" in html
    assert not BucketSet.objects.filter(name="信用卡账龄").exists()
    assert not AuditEvent.objects.filter(action="bucket_set.saved").exists()


def test_duplicate_codes_are_refused(admin_client: Any) -> None:
    response = admin_client.post(ADD, bucket_set_form("信用卡账龄", [("A", 1, 30), ("A", 31, None)]))
    assert response.status_code == 200
    assert not BucketSet.objects.filter(name="信用卡账龄").exists()


def test_a_valid_set_is_saved_through_the_service(admin_client: Any) -> None:
    rows = [("C1", 1, 30), ("C2", 31, 90), ("C3+", 91, None)]
    response = admin_client.post(ADD, bucket_set_form("信用卡账龄", rows, products=["credit_card"]))
    assert response.status_code == 302, response.content.decode()[:2000]
    saved = BucketSet.objects.get(name="信用卡账龄")
    assert [(b.code, b.min_days, b.max_days) for b in saved.buckets.order_by("min_days")] == rows
    assert saved.product_types == ["credit_card"] and not saved.is_default
    assert BucketSet.objects.get(is_default=True).name != "信用卡账龄"  # the default stays where it was
    event = AuditEvent.objects.get(action="bucket_set.saved")
    assert event.actor is not None and event.actor.username == "root"
    assert event.after["buckets"] == ["C1 1-30", "C2 31-90", "C3+ 91-"]

    # Change: the name stays (the service keys sets by name), ranges are replaced, the default moves here.
    change = f"/admin/delinquency/bucketset/{saved.pk}/change/"
    page = admin_client.get(change).content.decode()
    assert 'name="name"' not in page and "信用卡账龄" in page
    ids = list(saved.buckets.order_by("min_days").values_list("pk", flat=True))
    rows = [("C1", 1, 60), ("C2", 61, 90), ("C3+", 91, None)]
    response = admin_client.post(
        change, bucket_set_form(None, rows, initial=ids, default="on", products=["credit_card"])
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    saved.refresh_from_db()
    assert saved.is_default and BucketSet.objects.filter(is_default=True).count() == 1
    assert [(b.code, b.min_days, b.max_days) for b in saved.buckets.order_by("min_days")] == rows
    assert AuditEvent.objects.filter(action="bucket_set.saved").count() == 2


def test_the_default_set_keeps_its_flag(admin_client: Any) -> None:
    default = BucketSet.objects.get(is_default=True)
    ids = list(default.buckets.order_by("min_days").values_list("pk", flat=True))
    rows = [(b.code, b.min_days, b.max_days) for b in default.buckets.order_by("min_days")]
    response = admin_client.post(
        f"/admin/delinquency/bucketset/{default.pk}/change/", bucket_set_form(None, rows, initial=ids)
    )
    assert response.status_code == 302
    default.refresh_from_db()
    assert default.is_default  # the checkbox is disabled on the default set: unticking cannot leave none


def test_bucket_set_list(admin_client: Any) -> None:
    html = admin_client.get("/admin/delinquency/bucketset/").content.decode()
    assert "M0–M7+" in html and "M7+ (181–∞)" in html


def test_pauses_and_classifications_are_read_only(admin_client: Any) -> None:
    loan = LoanFactory(loan_id="L001")
    requester = UserFactory(username="lead", role=Role.TEAM_LEAD)
    pause = services.pause(loan, dt.date(2026, 4, 20), reason="hardship", note="住院", actor=requester)
    override = ClassificationOverride.objects.create(
        loan=loan,
        classification="substandard",
        effective_from=dt.date(2026, 5, 1),
        reason="失联",
        requested_by=requester,
    )
    for model, row in (("pause", pause), ("classificationoverride", override)):
        listing = admin_client.get(f"/admin/delinquency/{model}/")
        assert listing.status_code == 200 and "L001" in listing.content.decode()
        assert admin_client.get(f"/admin/delinquency/{model}/add/").status_code == 403
        view = admin_client.get(f"/admin/delinquency/{model}/{row.pk}/change/")
        assert (
            view.status_code == 200
            and 'type="submit"' not in view.content.decode().split('id="content-main"')[1]
        )
        assert (
            admin_client.post(f"/admin/delinquency/{model}/{row.pk}/delete/", {"post": "yes"}).status_code
            == 403
        )
    assert (
        Pause.objects.filter(pk=pause.pk, end=None).exists() and ClassificationOverride.objects.count() == 1
    )
