"""slack.turn_process: the core's turns in a spawned process; the answers are the same, sent once."""

from bot.clock import DemoClock
from slack_world import core_world, start_app


async def test_a_dm_answered_by_the_turn_process_is_posted_once_in_the_dm(db_path, slack, monkeypatch, tmp_path):
    # The clock goes to the turn process too: the demo clock (a dataclass) pickles, the tests' own does not.
    clock = DemoClock.starting(core_world.START)
    app = await start_app(db_path, clock, slack, monkeypatch, tmp_path, turn_process=True)
    try:
        assert app.deps.turns.health() == {"turn_process": "running", "turn_fallbacks": 0}
        await app.dm("when is the election deadline?")
        (post,) = await app.slack.wait_for("chat.postMessage", timeout=30)
        assert post.params["channel"] == "D0ALICE"
        assert post.params["blocks"][0]["text"]["text"] == "From Q21 of the Notice:"
        await app.settle()
        assert len(app.slack.of("chat.postMessage")) == 1
        assert app.deps.turns.fallbacks == 0
    finally:
        await app.close()


async def test_a_dm_is_still_answered_once_when_the_turn_process_was_killed(db_path, slack, monkeypatch, tmp_path):
    import asyncio

    clock = DemoClock.starting(core_world.START)
    app = await start_app(db_path, clock, slack, monkeypatch, tmp_path, turn_process=True)
    try:
        process = app.deps.turns.process
        process.kill()
        await asyncio.to_thread(process.join, 10)
        await app.dm("when is the election deadline?")
        (post,) = await app.slack.wait_for("chat.postMessage", timeout=30)
        assert post.params["blocks"][0]["text"]["text"] == "From Q21 of the Notice:"
        await app.settle()
        assert len(app.slack.of("chat.postMessage")) == 1
        assert app.deps.turns.health()["turn_process"] == "off"
    finally:
        await app.close()
