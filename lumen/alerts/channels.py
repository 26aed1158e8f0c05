"""The two ways a message leaves: a webhook (JSON POST, Slack-compatible `text`) and e-mail
over SMTP (STARTTLS, login from .env).

A send either returns or raises SendError with a short reason that holds no secret (no URL,
token or password): that reason is what the outbox stores and shows.
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl
from email.message import EmailMessage

import requests

from lumen.config import Settings


class SendError(Exception):
    """A message could not be delivered now; `reason` is safe to store and show."""


def scrub(text: str, settings: Settings) -> str:
    for secret in settings.secret_values():
        text = text.replace(secret, "***")
    return text[:300]


def slack_text(text: str) -> str:
    """Text from data (a station's name) made inert for Slack's mrkdwn: `<!channel>` would notify a whole
    channel and `<https://…|click>` would be a link. Slack asks for exactly these three escapes
    (api.slack.com/reference/surfaces/formatting#escaping)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def webhook_configured(settings: Settings) -> bool:
    return settings.alert_webhook_url is not None


def email_configured(settings: Settings) -> bool:
    return bool(settings.smtp_host)


def send_webhook(settings: Settings, message: dict, session: requests.Session) -> None:
    url = settings.alert_webhook_url.get_secret_value()  # type: ignore[union-attr]
    headers = {"User-Agent": "lumen-alerts"}
    if settings.alert_webhook_token:
        headers["Authorization"] = f"Bearer {settings.alert_webhook_token.get_secret_value()}"
    body = {"text": slack_text(message["text"]), "alert": message["alert"]}
    try:
        answer = session.post(url, json=body, headers=headers, timeout=settings.alert_timeout_s)
    except requests.Timeout:
        raise SendError(f"webhook: no answer within {settings.alert_timeout_s:g} s") from None
    except requests.ConnectionError as exc:
        raise SendError(f"webhook: cannot connect ({type(exc).__name__})") from None
    except requests.RequestException as exc:
        raise SendError(scrub(f"webhook: {type(exc).__name__}", settings)) from None
    if not 200 <= answer.status_code < 300:
        raise SendError(f"webhook answered HTTP {answer.status_code}")


class Mailer:
    """One SMTP session for a delivery round, opened at the first message."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.smtp: smtplib.SMTP | None = None

    def _open(self) -> smtplib.SMTP:
        s = self.settings
        where = f"{s.smtp_host}:{s.smtp_port}"
        try:
            smtp = smtplib.SMTP(s.smtp_host or "", s.smtp_port, timeout=s.alert_timeout_s)
            smtp.ehlo()
            if s.smtp_starttls:
                smtp.starttls(
                    context=ssl.create_default_context(cafile=str(s.smtp_ca_file) if s.smtp_ca_file else None)
                )
                smtp.ehlo()
            if s.smtp_user:
                smtp.login(s.smtp_user, s.smtp_password.get_secret_value() if s.smtp_password else "")
        except smtplib.SMTPAuthenticationError as exc:
            raise SendError(f"SMTP {where} refused the login ({exc.smtp_code})") from None
        except smtplib.SMTPNotSupportedError:
            raise SendError(f"SMTP {where} offers no STARTTLS (LUMEN_SMTP_STARTTLS=false to send in clear)") from None
        except (smtplib.SMTPServerDisconnected, ConnectionResetError):
            raise SendError(f"SMTP {where} closed the connection") from None
        except ssl.SSLError as exc:
            raise SendError(f"SMTP {where}: TLS failed ({exc.reason})") from None
        except TimeoutError:
            raise SendError(f"SMTP {where}: no answer within {s.alert_timeout_s:g} s") from None
        except OSError as exc:
            raise SendError(f"SMTP {where}: cannot connect ({exc.strerror or type(exc).__name__})") from None
        except smtplib.SMTPException as exc:
            raise SendError(scrub(f"SMTP {where}: {type(exc).__name__} {getattr(exc, 'smtp_code', '')}", s)) from None
        return smtp

    def send(self, message: dict, recipients: list[str]) -> None:
        if self.smtp is None:
            self.smtp = self._open()
        mail = EmailMessage()
        mail["Subject"] = message["subject"]
        mail["From"] = self.settings.smtp_from
        mail["To"] = ", ".join(recipients)
        mail.set_content(message["text"])
        try:
            self.smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused:
            raise SendError("SMTP refused every recipient") from None
        except (smtplib.SMTPServerDisconnected, ConnectionResetError):
            self.smtp = None
            raise SendError("SMTP server closed the connection") from None
        except TimeoutError:
            self.smtp = None
            raise SendError(f"SMTP: no answer within {self.settings.alert_timeout_s:g} s") from None
        except smtplib.SMTPResponseException as exc:
            raise SendError(f"SMTP refused the message ({exc.smtp_code})") from None

    def close(self) -> None:
        if self.smtp is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self.smtp.quit()
            self.smtp = None
