"""getFile: a file's path for download, refused past Telegram's 20 MB download limit."""

from __future__ import annotations

from ..errors import FILE_TOO_BIG, WRONG_FILE_ID, bad_request
from ..files import DOWNLOAD_LIMIT
from ..model import Json
from .registry import Call, method


@method("getFile")
async def get_file(call: Call) -> Json:
    file_id = call.params.str("file_id")
    if not file_id:
        raise bad_request("file_id not specified")
    stored = call.world.files.by_id.get(file_id)
    if stored is None:
        raise bad_request(WRONG_FILE_ID)
    if stored.size > DOWNLOAD_LIMIT:
        raise bad_request(FILE_TOO_BIG)
    return {**stored.base(), "file_path": stored.file_path}
