"""Channel adapters: each hands one message to the outside world behind the same small interface, so the outbox
(`contact.services.deliver_due`) never knows which it talks to.

`send` either returns a `Handoff` (the channel took the message: its reference) or raises `ChannelError`
(`retryable` when trying again later may work: the gateway is down, a 5xx, a timeout). `idempotent` says whether
the channel de-duplicates by our key, i.e. whether a message whose hand-off was interrupted may be sent again
safely (the SMS gateway and chat relay do; SMTP does not; a letter is only rendered).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Protocol

from django.core.mail import EmailMessage, get_connection

from arrears.conf import get_settings


@dataclass(frozen=True)
class Outgoing:
    key: str  # our idempotency key, sent along so a channel can de-duplicate
    channel: str
    address: str
    subject: str
    body: str
    callback_url: str = ""  # where a gateway posts its delivery receipt


@dataclass(frozen=True)
class Handoff:
    reference: str
    delivered: bool = False  # the channel confirmed delivery at once (letters: only rendered)


class ChannelError(Exception):
    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class Channel(Protocol):
    name: str
    idempotent: bool

    def send(self, message: Outgoing) -> Handoff: ...


class HttpRelay:
    """An HTTP gateway (SMS, WeChat/app push relay): POST the message as JSON or a form with a bearer token; the
    gateway answers with its id. Status 5xx, timeouts and refused connections are worth retrying; 4xx is not."""

    idempotent = True

    def __init__(
        self, name: str, url: str, token: str = "", fmt: str = "json", timeout: float = 10.0
    ) -> None:
        self.name, self.url, self.token, self.fmt, self.timeout = name, url, token, fmt, timeout

    def send(self, message: Outgoing) -> Handoff:
        if not self.url:
            raise ChannelError(f"no {self.name} gateway is configured", retryable=False)
        fields = {
            "to": message.address,
            "text": message.body,
            "key": message.key,
            "callback": message.callback_url,
        }
        if self.fmt == "json":
            data, kind = json.dumps(fields, ensure_ascii=False).encode(), "application/json"
        else:
            data, kind = urllib.parse.urlencode(fields).encode(), "application/x-www-form-urlencoded"
        request = urllib.request.Request(self.url, data=data, method="POST", headers={"Content-Type": kind})
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                answer = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            raise ChannelError(
                f"{self.name} gateway answered {exc.code}", retryable=exc.code >= 500
            ) from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise ChannelError(f"{self.name} gateway unreachable: {exc}", retryable=True) from None
        except ValueError:
            raise ChannelError(
                f"{self.name} gateway answered something that is not JSON", retryable=False
            ) from None
        return Handoff(reference=str(answer.get("id", "")))


class SmtpEmail:
    """Email over SMTP (Django's SMTP backend, configured by `ARREARS_SMTP_*`). SMTP servers do not
    de-duplicate, so an interrupted hand-off is left for a person, never resent blindly."""

    name = "email"
    idempotent = False

    def send(self, message: Outgoing) -> Handoff:
        conf = get_settings()
        if not conf.smtp_host:
            raise ChannelError("no SMTP server is configured", retryable=False)
        reference = f"<{message.key}@arrears>"
        email = EmailMessage(message.subject, message.body, conf.mail_from, [message.address],
                             headers={"Message-ID": reference})  # fmt: skip
        try:
            with get_connection("django.core.mail.backends.smtp.EmailBackend", host=conf.smtp_host, port=conf.smtp_port, username=conf.smtp_user or None,
                                password=conf.smtp_password or None, use_tls=conf.smtp_tls, timeout=30) as mail:  # fmt: skip
                mail.send_messages([email])
        except OSError as exc:  # smtplib's errors are OSErrors
            permanent = getattr(exc, "smtp_code", 0) and 500 <= exc.smtp_code < 600  # type: ignore[attr-defined]
            raise ChannelError(f"SMTP: {exc}", retryable=not permanent) from None
        return Handoff(reference=reference)


class LetterPrint:
    """Letters are rendered (DOCX, kept in the evidence store by the service) and printed and posted outside;
    the registered-mail number and delivery date are recorded when they come back."""

    name = "letter"
    idempotent = True

    def send(self, message: Outgoing) -> Handoff:
        return Handoff(reference=message.key)


def channel_for(name: str) -> Channel:
    conf = get_settings()
    if name == "sms":
        return HttpRelay("sms", conf.sms_gateway_url, conf.sms_gateway_token, conf.sms_gateway_format)
    if name == "chat":
        return HttpRelay("chat", conf.chat_push_url, conf.chat_push_token)
    if name == "email":
        return SmtpEmail()
    if name == "letter":
        return LetterPrint()
    raise ChannelError(f"{name} is not a channel that sends messages", retryable=False)


def click_to_call(extension: str, number: str, case_id: int) -> bool:
    """Ask the telephony system (`ARREARS_TELEPHONY_URL`) to ring the collector's extension and dial the number;
    False when none is configured (the collector dials by hand)."""
    url = get_settings().telephony_url
    if not url:
        return False
    data = json.dumps({"extension": extension, "number": number, "case_id": case_id}).encode()
    request = urllib.request.Request(
        url, data=data, method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=5):
            return True
    except (urllib.error.URLError, OSError) as exc:
        raise ChannelError(f"telephony system unreachable: {exc}", retryable=True) from None
