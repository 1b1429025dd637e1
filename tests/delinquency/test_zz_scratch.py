import datetime as dt
import pytest
import polars as pl
pytestmark = pytest.mark.django_db

def test_scratch(write_portfolio):
    from arrears.portfolio.services import import_portfolio
    from arrears.batch.runner import close
    from arrears.delinquency.models import LoanStatus, StatusChange
    from arrears.batch import io
    from arrears.batch.partition import close_days
    from arrears.delinquency import selectors
    from arrears.portfolio.models import Loan
    pl.Config.set_tbl_cols(30); pl.Config.set_tbl_width_chars(300)
    import_portfolio(write_portfolio())
    out = close([dt.date(2026, 5, 1)], workers=1)
    print(out)
    for s in LoanStatus.objects.all():
        print({f.name: getattr(s, f.attname) for f in s._meta.fields})
    for c in StatusChange.objects.all():
        print(c.loan_id, c.on, c.field, c.old, c.new)
    for l in Loan.objects.all():
        print(l.pk, selectors.history(l))
    inputs = io.read_inputs(io.loan_filter(loan_ids=["L001"]), through_django=True)
    result, changes, timings = close_days(inputs, [dt.date(2026,5,1)], io.load_rules(dt.date(2026,5,1)))
    print(result.installments)
    print(result.installments.schema)
    print(timings)
