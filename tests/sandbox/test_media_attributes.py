"""A file keeps its media attributes: re-sent by file_id, it shows them again, as in Telegram."""

from __future__ import annotations

from pathlib import Path

import httpx

from switchboard.sandbox.testing import SandboxClient, SandboxServer

from .conftest import BotApi, new_token
from .media import png, voice


async def test_voice_duration_survives_a_resend_by_file_id(tg: SandboxClient, api: BotApi) -> None:
    alice = await tg.create_user("Alice")
    await tg.send_text(alice, "/start", bot_id=api.id)
    sent = await tg.send_media(
        alice, "voice", voice(3), filename="n.ogg", mime_type="audio/ogg", bot_id=api.id, duration=3
    )
    file_id = sent["voice"]["file_id"]

    again = await api.ok("sendVoice", chat_id=alice["id"], voice=file_id)
    assert again["voice"]["duration"] == 3
    assert again["voice"]["mime_type"] == "audio/ogg"
    told = await api.ok("sendVoice", chat_id=alice["id"], voice=file_id, duration=5)
    assert told["voice"]["duration"] == 5  # given now: used for this message
    assert (await api.ok("sendVoice", chat_id=alice["id"], voice=file_id))["voice"]["duration"] == 3


async def test_a_bots_upload_keeps_its_attributes(tg: SandboxClient, api: BotApi) -> None:
    alice = await tg.create_user("Alice")
    await tg.send_text(alice, "/start", bot_id=api.id)
    chat = alice["id"]
    audio = await api.form(
        "sendAudio",
        {"chat_id": str(chat), "duration": "42", "performer": "Band", "title": "Song"},
        files={"audio": ("song.mp3", b"ID3" + bytes(300), "audio/mpeg")},
    )
    video = await api.form(
        "sendVideo",
        {"chat_id": str(chat), "duration": "7", "width": "1920", "height": "1080"},
        files={"video": ("clip.mp4", b"\x00\x00\x00\x18ftypmp42" + bytes(300), "video/mp4")},
    )
    note = await api.form(
        "sendVideoNote",
        {"chat_id": str(chat), "duration": "4", "length": "360"},
        files={"video_note": ("round.mp4", b"\x00\x00\x00\x18ftypisom" + bytes(400), "video/mp4")},
    )
    audio_id = audio.result["audio"]["file_id"]
    video_id = video.result["video"]["file_id"]
    note_id = note.result["video_note"]["file_id"]

    resent_audio = (await api.ok("sendAudio", chat_id=chat, audio=audio_id))["audio"]
    resent_video = (await api.ok("sendVideo", chat_id=chat, video=video_id))["video"]
    resent_note = (await api.ok("sendVideoNote", chat_id=chat, video_note=note_id))["video_note"]
    assert resent_audio == audio.result["audio"]
    assert resent_audio["file_name"] == "song.mp3" and resent_audio["performer"] == "Band"
    assert resent_video == video.result["video"]
    assert (resent_video["width"], resent_video["height"], resent_video["duration"]) == (
        1920,
        1080,
        7,
    )
    assert (resent_note["length"], resent_note["duration"]) == (360, 4)

    # A photo's size is read from the image itself, and kept.
    photo = await tg.send_media(alice, "photo", png(4, 5), filename="p.png", mime_type="image/png",
                                bot_id=api.id)  # fmt: skip
    resent = await api.ok("sendPhoto", chat_id=chat, photo=photo["photo"][-1]["file_id"])
    assert (resent["photo"][-1]["width"], resent["photo"][-1]["height"]) == (4, 5)


async def test_attributes_are_kept_across_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "world.json"
    token = new_token()
    with SandboxServer(flood="off", state_file=state) as server:
        async with server.client() as tg:
            await tg.create_bot(token)
            alice = await tg.create_user("Alice")
            await tg.send_text(alice, "/start", bot_id=int(token.split(":")[0]))
            sent = await tg.send_media(
                alice, "voice", voice(2), bot_id=int(token.split(":")[0]), duration=9
            )
    with SandboxServer(flood="off", state_file=state) as server:
        async with httpx.AsyncClient(base_url=server.url) as http:
            api = BotApi(http, token)
            again = await api.ok("sendVoice", chat_id=alice["id"], voice=sent["voice"]["file_id"])
    assert again["voice"]["duration"] == 9
