"""One bot process's worth of traffic for the multi-process test (run as ``python -m``).

Pushes messages through a real ModerationService on the shared PostgreSQL schema, then, with the
clock a day later, fires due timed actions; prints what it did as JSON.
"""

import asyncio
import json
import sys
import time

from bot.core import Engine
from bot.service import Incoming, ModerationService, PostgresStorage


async def main(url: str, schema: str, worker: int, count: int) -> None:
    storage = PostgresStorage(url, schema=schema)
    await storage.open()
    offset = [0.0]
    service = ModerationService(storage, Engine.load(), clock=lambda: time.time() + offset[0])
    violations = 0
    for i in range(count):
        violation = i % 10 == 0
        violations += violation
        author = f"w{worker}-u{i % 250}"
        text = "địt mẹ mày" if violation else f"tin nhắn bình thường số {i} của {worker}"
        await service.on_message(Incoming(
            "telegram", f"community-{i % 3}", f"chan-{i % 7}", f"{worker}-{i}", author, text,
            timestamp=1_800_000_000 + i * 30))
    offset[0] = 86400.0
    fired = [a.case_number for a in await service.run_due() if a.kind == "unmute"]
    await storage.close()
    print(json.dumps({"worker": worker, "violations": violations, "unmuted": fired}))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
