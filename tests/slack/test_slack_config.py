"""The Slack settings: env over the [slack] section, flags over both, tokens never shown, bad values named."""

import argparse
import json
import subprocess
import sys

import pytest

from bot.channels.slack.config import required, slack_settings
from bot.config import ConfigError, load_settings

ENV = {"SLACK_BOT_TOKEN": "xoxb-1-hidden", "SLACK_SIGNING_SECRET": "shh", "SLACK_APP_TOKEN": "xapp-1-hidden"}


def test_an_app_token_means_socket_mode_and_the_flag_can_choose_http():
    assert slack_settings(load_settings(), None, ENV).mode == "socket"
    args = argparse.Namespace(slack_mode="http", slack_port=8080, slack_host=None, slack_staff_channel="C0STAFF",
                              slack_staff=["U0A", "U0B"])
    s = slack_settings(load_settings(), args, ENV)
    assert (s.mode, s.port, s.staff_channel, sorted(s.staff)) == ("http", 8080, "C0STAFF", ["U0A", "U0B"])


def test_tokens_are_never_in_the_settings_repr_or_the_logged_description():
    s = slack_settings(load_settings(), None, ENV)
    for shown in (repr(s), s.described()):
        assert "hidden" not in shown and "shh" not in shown
    assert "bot_token=set" in s.described()


def test_a_missing_token_is_named_with_the_way_out():
    with pytest.raises(ConfigError, match=r"SLACK_BOT_TOKEN .*sotp serve --no-slack"):
        required(slack_settings(load_settings(), None, {}))


def test_a_staff_list_that_is_not_slack_user_ids_is_refused_by_name():
    args = argparse.Namespace(slack_mode=None, slack_port=None, slack_host=None, slack_staff_channel=None,
                              slack_staff=["pat@example.com"])
    with pytest.raises(ConfigError, match="slack.staff: not Slack user ids"):
        slack_settings(load_settings(), args, ENV)


def test_sotp_bench_slack_reports_throughput_and_latency():
    out = subprocess.run([sys.executable, "-m", "bot", "bench", "slack", "--events", "10", "--rate", "50", "--json"],
                         capture_output=True, text=True, timeout=240, env={"PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["events"] == 10 and set(result["latency_ms"]) == {"median", "p99", "max"}
    assert result["events_per_second"] > 0


def test_the_turn_process_is_on_unless_the_config_turns_it_off(tmp_path):
    assert slack_settings(load_settings(), None, ENV).turn_process is True
    off = tmp_path / "off.toml"
    off.write_text("[slack]\nturn_process = false\n")
    assert slack_settings(load_settings(off), None, ENV).turn_process is False


def test_a_turn_process_setting_that_is_not_true_or_false_is_refused_by_name(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[slack]\nturn_process = "sometimes"\n')
    with pytest.raises(ConfigError, match=r"slack.turn_process: expected true or false, got 'sometimes'"):
        slack_settings(load_settings(bad), None, ENV)
