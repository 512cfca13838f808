"""The estimate's chart in Slack: one PNG uploaded to the asker's DM (files_upload_v2), never to a channel."""

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


async def test_an_estimate_in_the_dm_uploads_one_chart_to_the_dm(app):
    await app.dm("estimate my total payment at $27")
    await app.slack.wait_for("files.completeUploadExternal")
    await app.settle()
    assert list(app.slack.shared_files.values()) == ["D0ALICE"]
    [data] = app.slack.uploads.values()
    assert data[:8] == PNG_MAGIC and len(data) < 100_000
    [complete] = app.slack.of("files.completeUploadExternal")
    assert complete.params["initial_comment"].startswith("Your estimated Total Payment at every Average Closing "
                                                         "Price from $15.00 to $40.00")


async def test_a_slash_command_estimate_in_a_channel_uploads_the_chart_to_the_dm_not_the_channel(app):
    status, _ = await app.command("estimate 27", channel="C0GENERAL")
    assert status == 200
    await app.slack.wait_for("files.completeUploadExternal")
    await app.settle()
    assert [c.params["users"] for c in app.slack.of("conversations.open")] == ["U0ALICE"]
    assert list(app.slack.shared_files.values()) == ["D0ALICE"]
    assert app.slack.of("chat.postMessage") == []


async def test_an_estimate_asked_in_a_channel_mention_uploads_no_chart(app):
    await app.event({"type": "app_mention", "channel": "C0GENERAL", "user": "U0ALICE", "ts": "1067860800.000011",
                     "text": "<@UBOT> estimate my total payment at $27"})
    await app.slack.wait_for("chat.postEphemeral")
    await app.settle()
    assert app.slack.of("files.getUploadURLExternal") == [] and app.slack.shared_files == {}


async def test_a_dm_that_is_not_an_estimate_uploads_no_chart(app):
    await app.dm("when is the election deadline?")
    await app.slack.wait_for("chat.postMessage")
    await app.settle()
    assert app.slack.of("files.getUploadURLExternal") == [] and app.slack.shared_files == {}
