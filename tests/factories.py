"""factory_boy factories for accounts and the portfolio. Values look like real Chinese data and are valid:
resident ID numbers carry a correct checksum, phones are mainland mobile numbers, money is integer fen."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import factory
from stdnum.cn import ric

from arrears.accounts.models import Role, Team, User
from arrears.portfolio.models import (
    Borrower,
    Collateral,
    Contact,
    Guarantee,
    ImportRun,
    LenderType,
    Loan,
    LoanStatus,
    Payment,
    ProductType,
    RepaymentMethod,
    ScheduleInstallment,
)

PASSWORD = "correct-horse-battery-staple"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN_NAMES = [
    "伟",
    "芳",
    "娜",
    "秀英",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
]
PROVINCES = [("北京", "北京"), ("广东", "深圳"), ("上海", "上海"), ("浙江", "杭州"), ("四川", "成都")]


def resident_id(n: int) -> str:
    """A valid 18-digit resident ID number: Beijing Chaoyang, born 1949-12-31 onward, sequence n."""
    birth = dt.date(1949, 12, 31) + dt.timedelta(days=97 * (n // 900))
    body = f"110105{birth:%Y%m%d}{n % 900 + 100:03d}"
    return body + ric.calc_check_digit(body + "0")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"催收{n + 1}组")
    lenders: Any = factory.LazyFunction(list)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(
        lambda n: f"{SURNAMES[n % len(SURNAMES)]}{GIVEN_NAMES[n % len(GIVEN_NAMES)]}"
    )
    role = Role.COLLECTOR
    team = None
    is_active = True

    @factory.post_generation
    def password(self, create: bool, extracted: str | None, **kwargs: Any) -> None:
        self.set_password(extracted or PASSWORD)
        if create:
            self.save(update_fields=["password"])


class BorrowerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Borrower

    borrower_id = factory.Sequence(lambda n: f"B{n + 1:06d}")
    name = factory.Sequence(
        lambda n: f"{SURNAMES[n % len(SURNAMES)]}{GIVEN_NAMES[(n * 7) % len(GIVEN_NAMES)]}"
    )
    id_number = factory.Sequence(resident_id)
    phone = factory.Sequence(lambda n: f"139{n + 10000000:08d}")
    province = factory.Sequence(lambda n: PROVINCES[n % len(PROVINCES)][0])
    city = factory.Sequence(lambda n: PROVINCES[n % len(PROVINCES)][1])


class LoanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Loan

    loan_id = factory.Sequence(lambda n: f"L2026{n + 1:06d}")
    borrower = factory.SubFactory(BorrowerFactory)
    lender = "A银行"
    lender_type = LenderType.BANK
    product_type = ProductType.TERM_LOAN
    principal = 1_200_000
    annual_rate = Decimal("0.12")
    penalty_rate = Decimal("0.18")
    contract_date = dt.date(2026, 1, 1)
    disbursement_date = dt.date(2026, 1, 5)
    maturity_date = dt.date(2026, 4, 5)
    repayment_method = RepaymentMethod.EQUAL_INSTALLMENT
    installments = 3
    first_due_date = dt.date(2026, 2, 5)
    grace_days = 3
    status = LoanStatus.ACTIVE


class ScheduleInstallmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ScheduleInstallment

    loan = factory.SubFactory(LoanFactory)
    installment_no = factory.Sequence(lambda n: n + 1)
    due_date = dt.date(2026, 2, 5)
    principal_due = 396_027
    interest_due = 12_000
    fee_due = 0


class PaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payment

    payment_id = factory.Sequence(lambda n: f"P{n + 1:06d}")
    loan = factory.SubFactory(LoanFactory)
    paid_on = dt.date(2026, 2, 5)
    amount = 408_027


class CollateralFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Collateral

    collateral_id = factory.Sequence(lambda n: f"C{n + 1:06d}")
    loan = factory.SubFactory(LoanFactory)
    kind = "vehicle"
    description = "大众朗逸 京A12345"
    appraised_value = 8_000_000
    appraised_on = dt.date(2026, 1, 1)
    lien_rank = 1
    registered = True


class GuaranteeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Guarantee

    guarantee_id = factory.Sequence(lambda n: f"G{n + 1:06d}")
    loan = factory.SubFactory(LoanFactory)
    guarantor_name = "李强"
    guarantor_id_number = factory.Sequence(lambda n: resident_id(n + 500))
    guarantor_phone = "13700001111"
    guarantee_type = "joint"
    amount_cap = 500_000


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    contact_id = factory.Sequence(lambda n: f"K{n + 1:06d}")
    borrower = factory.SubFactory(BorrowerFactory)
    relation = "spouse"
    name = "刘洋"
    phone = "13600002222"
    consented = True


class ImportRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ImportRun

    started_at = factory.LazyFunction(lambda: dt.datetime.now(dt.UTC))
    finished_at = factory.LazyFunction(lambda: dt.datetime.now(dt.UTC))
    source = "portfolio.zip"
    status = ImportRun.Status.SUCCEEDED
    counts: Any = factory.LazyFunction(dict)
    errors: Any = factory.LazyFunction(list)
    error_count = 0


def loan_with_details(**kwargs: Any) -> Loan:
    """A loan with a 3-installment schedule, a payment and its reversal, collateral, guarantee, contacts."""
    loan = LoanFactory(**kwargs)
    for n, (due, principal, interest) in enumerate(
        [
            (dt.date(2026, 2, 5), 396_027, 12_000),
            (dt.date(2026, 3, 5), 399_987, 8_040),
            (dt.date(2026, 4, 5), 403_986, 4_040),
        ],
        start=1,
    ):
        ScheduleInstallmentFactory(
            loan=loan, installment_no=n, due_date=due, principal_due=principal, interest_due=interest
        )
    paid = PaymentFactory(
        loan=loan, paid_on=dt.date(2026, 2, 5), amount=408_027, principal_paid=396_027, interest_paid=12_000
    )
    PaymentFactory(loan=loan, paid_on=dt.date(2026, 2, 8), amount=408_027, reverses=paid)
    CollateralFactory(loan=loan)
    GuaranteeFactory(loan=loan)
    ContactFactory(borrower=loan.borrower, relation="spouse", name="刘洋", phone="13600002222")
    ContactFactory(
        borrower=loan.borrower,
        relation="employer",
        name="某某科技有限公司",
        phone="01065550000",
        email="hr@example.com",
        consented=False,
    )
    return loan


def zhang_wei(**overrides: Any) -> Any:
    """The borrower the UI and browser tests search for: 张伟, Beijing, valid ID and mobile."""
    fields = {
        "borrower_id": "B001",
        "name": "张伟",
        "id_number": "11010519491231002X",
        "phone": "13812345678",
        "province": "北京",
        "city": "北京",
    }
    return BorrowerFactory(**{**fields, **overrides})
