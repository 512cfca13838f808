from datetime import date
from decimal import Decimal

import pytest

from bot.config import ConfigError, load_settings


def test_defaults_carry_the_notice_deadline_and_no_announced_averaging_start():
    settings = load_settings()
    assert settings.election_deadline == date(2003, 11, 12)
    assert settings.averaging_start is None
    assert settings.assumed_interest_rate == Decimal("0.0095")


def test_a_deployment_file_overrides_defaults_and_flags_override_the_file(tmp_path):
    cfg = tmp_path / "sotp.toml"
    cfg.write_text('[program]\nelection_deadline = 2003-11-19\naveraging_start = "2003-11-21"\n')
    settings = load_settings(cfg)
    assert settings.election_deadline == date(2003, 11, 19)
    assert settings.averaging_start == date(2003, 11, 21)
    assert settings.with_overrides(averaging_start=date(2003, 11, 24)).averaging_start == date(2003, 11, 24)


def test_a_bad_date_in_the_file_names_the_key(tmp_path):
    cfg = tmp_path / "sotp.toml"
    cfg.write_text('[program]\nelection_deadline = "next wednesday"\n')
    with pytest.raises(ConfigError, match="program.election_deadline"):
        load_settings(cfg)


def test_a_missing_config_file_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "nope.toml")


def test_an_unknown_setting_in_the_file_stops_with_its_name(tmp_path):
    cfg = tmp_path / "sotp.toml"
    cfg.write_text('[program]\nelection_dedline = 2003-11-19\n\n[queue]\noverdue_business_hours = 4\n')
    with pytest.raises(ConfigError, match=r"unknown setting program\.election_dedline \(a typo"):
        load_settings(cfg)


def test_an_unknown_section_is_refused_too(tmp_path):
    cfg = tmp_path / "sotp.toml"
    cfg.write_text('[slak]\nbot_token = "x"\n')
    with pytest.raises(ConfigError, match="unknown setting slak"):
        load_settings(cfg)


def test_ruling_countries_are_data_not_settings(tmp_path):
    cfg = tmp_path / "sotp.toml"
    cfg.write_text('[program]\nrulings = { Japan = "favorable" }\n')
    assert load_settings(cfg).rulings["Japan"] == "favorable"


def test_the_documented_example_configuration_loads():
    from pathlib import Path

    from bot.channels.email.settings import email_settings
    from bot.channels.slack.config import slack_settings
    from bot.clock import from_settings, utc_now
    from bot.reminders.settings import ReminderSettings

    settings = load_settings(Path(__file__).resolve().parents[1] / "config.example.toml")
    # Every part's own checks accept it, as `sotp serve` would at start-up.
    assert from_settings(settings) is utc_now and settings.section("serve")["mail_sink"] == ""
    assert slack_settings(settings, None, {}).staff_channel == "C0COMPCHNG"
    assert email_settings(settings).relay_security == "starttls"
    assert ReminderSettings.from_settings(settings).schedule == ("14d", "7d", "3d", "1d", "6h")
