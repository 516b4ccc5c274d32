"""Production settings pass Django's deployment checks; every page carries the security headers."""

import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from qip.settings import email_settings

# Only what a process needs to run; nothing of the test process's own settings (DATABASE_URL, or
# DJANGO_ALLOW_ASYNC_UNSAFE set by the browser tests) may leak into the production check.
PASSED_THROUGH = {"PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "TZ", "SYSTEMROOT"}


def manage(tmp_path, *args, **variables):
    env = {key: value for key, value in os.environ.items() if key in PASSED_THROUGH}
    env.update(
        {
            "DJANGO_ENV": "production",
            "VAR_DIR": str(tmp_path),
            "STATIC_ROOT": str(tmp_path / "static"),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        }
    )
    env.update({key: value for key, value in variables.items() if value is not None})
    for key in [key for key, value in variables.items() if value is None]:
        env.pop(key, None)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deployment_checks_without_warnings(tmp_path):
    result = manage(
        tmp_path,
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="qip.example.org",
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNING" not in result.stdout + result.stderr


def test_production_without_a_secret_key_refuses_to_start(tmp_path):
    result = manage(tmp_path, "check", SECRET_KEY=None, ALLOWED_HOSTS="qip.example.org")

    assert result.returncode != 0
    assert "SECRET_KEY must be set when DJANGO_ENV=production" in result.stderr


def test_production_refuses_to_load_demo_data(tmp_path):
    result = manage(tmp_path, "seed_demo", SECRET_KEY=secrets.token_urlsafe(64), ALLOWED_HOSTS="qip.example.org")

    assert result.returncode != 0
    assert "seed_demo never runs with DJANGO_ENV=production" in result.stderr
    assert "Demo logins" not in result.stdout


# Headers


def assert_security_headers(response):
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "object-src 'none'" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize("path", ["/accounts/login/", "/", "/health/", "/no-such-page/", "/accounts/password/reset/"])
def test_every_response_carries_the_security_headers_when_signed_out(client, db, path):
    assert_security_headers(client.get(path))


@pytest.mark.parametrize("url_name", ["home", "password_change", "audit_log"])
def test_every_response_carries_the_security_headers_when_signed_in(client, admin, url_name):
    client.force_login(admin)
    response = client.get(reverse(url_name))
    assert response.status_code == 200
    assert_security_headers(response)


# E-mail settings from EMAIL_URL


def test_smtp_url_with_starttls_and_an_escaped_password():
    config = email_settings("smtp://u:p%40x@mail.example.org:587?tls=true")

    assert config["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert config["EMAIL_HOST"] == "mail.example.org"
    assert config["EMAIL_PORT"] == 587
    assert config["EMAIL_HOST_USER"] == "u"
    assert config["EMAIL_HOST_PASSWORD"] == "p@x"
    assert config["EMAIL_USE_TLS"] is True
    assert config["EMAIL_USE_SSL"] is False


def test_smtp_url_without_port_or_tls():
    config = email_settings("smtp://mail.example.org")

    assert (config["EMAIL_HOST"], config["EMAIL_PORT"]) == ("mail.example.org", 25)
    assert (config["EMAIL_HOST_USER"], config["EMAIL_HOST_PASSWORD"]) == ("", "")
    assert config["EMAIL_USE_TLS"] is False
    assert config["EMAIL_USE_SSL"] is False


def test_smtps_url_uses_implicit_tls_on_port_465():
    config = email_settings("smtps://alerts%40example.org:secret@smtp.example.org")

    assert config["EMAIL_PORT"] == 465
    assert config["EMAIL_USE_SSL"] is True
    assert config["EMAIL_USE_TLS"] is False
    assert config["EMAIL_HOST_USER"] == "alerts@example.org"


@pytest.mark.parametrize("url", [None, "", "console:", "console://"])
def test_console_backend_when_unset_or_asked_for(url):
    assert email_settings(url) == {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}


@pytest.mark.parametrize("url", ["http://mail.example.org", "smtpx://mail.example.org", "mail.example.org:25"])
def test_a_bad_email_url_scheme_is_refused_with_a_message(url):
    with pytest.raises(RuntimeError, match="EMAIL_URL scheme must be smtp, smtps, file, console or locmem"):
        email_settings(url)
