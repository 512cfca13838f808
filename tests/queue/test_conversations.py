"""Conversation state per asker and channel, ending after 30 minutes of silence."""

from datetime import datetime, timedelta, timezone

import pytest

from bot.conversations import IDLE_TIMEOUT, ConversationStore
from bot.store import open_db

T0 = datetime(2003, 11, 3, 17, 0, tzinfo=timezone.utc)
STATE = {"intent": "estimate", "acp": "26.50"}


@pytest.fixture
def store(db):
    return ConversationStore(db)


def test_the_idle_timeout_is_thirty_minutes():
    assert IDLE_TIMEOUT == timedelta(minutes=30)


def test_stored_state_comes_back(store):
    store.put("E1001", "slack", STATE, T0)
    assert store.get("E1001", "slack", T0 + timedelta(minutes=1)) == STATE


def test_state_is_kept_at_29_minutes_59_seconds_of_silence(store):
    store.put("E1001", "slack", STATE, T0)
    assert store.get("E1001", "slack", T0 + timedelta(minutes=29, seconds=59)) == STATE


def test_state_expires_at_exactly_30_minutes_of_silence_and_is_deleted(store, db):
    store.put("E1001", "slack", STATE, T0)
    assert store.get("E1001", "slack", T0 + timedelta(minutes=30)) is None
    assert db.execute("SELECT count(*) FROM conversations").fetchone()[0] == 0


def test_a_new_turn_restarts_the_idle_clock(store):
    store.put("E1001", "slack", STATE, T0)
    store.put("E1001", "slack", {**STATE, "acp": "30"}, T0 + timedelta(minutes=20))
    assert store.get("E1001", "slack", T0 + timedelta(minutes=45)) == {**STATE, "acp": "30"}


def test_reading_the_state_does_not_restart_the_idle_clock(store):
    store.put("E1001", "slack", STATE, T0)
    store.get("E1001", "slack", T0 + timedelta(minutes=20))
    assert store.get("E1001", "slack", T0 + timedelta(minutes=30)) is None


def test_no_state_is_none(store):
    assert store.get("E1001", "slack", T0) is None


def test_each_channel_has_its_own_conversation(store):
    store.put("E1001", "slack", STATE, T0)
    store.put("E1001", "email", {"intent": "deadline"}, T0)
    assert store.get("E1001", "slack", T0) == STATE
    assert store.get("E1001", "email", T0) == {"intent": "deadline"}
    assert store.get("E2002", "slack", T0) is None


def test_clear_forgets_the_conversation(store):
    store.put("E1001", "slack", STATE, T0)
    store.clear("E1001", "slack")
    assert store.get("E1001", "slack", T0) is None


def test_state_survives_reopening_the_database(db_path, store):
    store.put("E1001", "cli", STATE, T0)
    assert ConversationStore(open_db(db_path)).get("E1001", "cli", T0 + timedelta(minutes=5)) == STATE


def test_purge_deletes_only_expired_conversations(store):
    store.put("E1001", "slack", STATE, T0)
    store.put("E2002", "slack", STATE, T0 + timedelta(minutes=1))
    assert store.purge_expired(T0 + timedelta(minutes=30)) == 1
    assert store.get("E2002", "slack", T0 + timedelta(minutes=30)) == STATE


def test_state_must_be_a_dict(store):
    with pytest.raises(TypeError, match="dict"):
        store.put("E1001", "slack", ["not", "a", "dict"], T0)  # type: ignore[arg-type]


def test_a_naive_time_is_refused(store):
    with pytest.raises(ValueError, match="timezone-aware"):
        store.put("E1001", "slack", STATE, datetime(2003, 11, 3, 17, 0))
