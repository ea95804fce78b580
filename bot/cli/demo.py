"""``quytac demo``: the real service and Telegram adapter against a built-in fake Telegram, in the
terminal, with no token and no network.

At a terminal it is interactive: type as one of the members (or the moderator) and see what the
group, the mod log and each member's private chat with the bot see. Without a terminal (or with
``--script``) it plays the built-in scenario, prints the transcript and exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
from pathlib import Path

from bot.cli.common import engine_with_model

HELP = """Type a message to send it to the group as the current speaker. Demo commands:
  !as N          speak as person N (1 Lan, 2 Tuấn, 3 Minh, 4 Hà the moderator)
  !dm TEXT       write TEXT to the bot in private, as the current speaker
  !press N       press button [N] (a mod-log button as the moderator, Appeal as its member)
  !reply N TEXT  reply to person N's last group message (e.g. as Hà: !reply 2 /warn spam)
  !script        play the built-in scenario
  !help          this text
  !quit          leave (Ctrl-D too)
Moderator commands are typed as in Telegram, as Hà: /cases @tuan99, /case 1, /stats,
/config, /config shadow true, /review, /appeals, /pardon 1 sorry."""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo", help="try the bot in the terminal against a built-in fake Telegram (no token)",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--script", action="store_true",
                   help="play the built-in scenario and exit (the default without a terminal)")
    p.add_argument("--database", metavar="FILE",
                   help="SQLite file to keep the demo's cases in (default: a temporary one)")
    p.add_argument("--model", default="default",
                   help="learned stage: default, none, or a model file (default: default)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    engine = engine_with_model(None, args.model)
    if engine is None:
        return 2
    # the bot's own log would interleave with the transcript: only problems are shown
    logging.basicConfig(level=logging.ERROR, stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")
    interactive = sys.stdin.isatty() and not args.script
    with tempfile.TemporaryDirectory(prefix="quytac-demo-") as tmp:
        database = Path(args.database) if args.database else Path(tmp) / "demo.db"
        return asyncio.run(_main(engine, database, interactive))


async def _main(engine, database: Path, interactive: bool) -> int:
    from bot.demo.scenario import play
    from bot.demo.world import World

    print("quytac demo: a Telegram group with Lan, Tuấn, Minh and Hà (a moderator), the real "
          "bot and a fake Telegram on 127.0.0.1.")
    async with World(database, engine) as world:
        if not interactive:
            await play(world)
            print("\nThe demo's scenario is over. Run `quytac demo` at a terminal to type "
                  "as the members yourself.")
            return 0
        print(HELP)
        await _interact(world, play)
    return 0


async def _interact(world, play) -> None:
    loop = asyncio.get_running_loop()
    speaker = world.person("1")
    while True:
        try:
            line = await loop.run_in_executor(None, input, f"{speaker.name}> ")
        except EOFError:
            print()
            return
        line = line.strip()
        if not line:
            continue
        command, _, rest = line.partition(" ")
        try:
            if command == "!quit":
                return
            elif command == "!help":
                print(HELP)
            elif command == "!as":
                speaker = world.person(rest)
                print(f"(speaking as {speaker.name})")
            elif command == "!dm":
                await world.dm(speaker, rest)
            elif command == "!press":
                await world.press(int(rest), moderator=speaker if speaker.moderator else None)
            elif command == "!reply":
                target, _, text = rest.partition(" ")
                replied = world.message_of(world.person(target))
                if replied is None:
                    print(f"({world.person(target).name} has written nothing yet)")
                else:
                    await world.say(speaker, text, reply_to=replied)
            elif command == "!script":
                await play(world)
            elif command.startswith("!"):
                print(f"unknown demo command {command}; !help lists them")
            else:
                await world.say(speaker, line)
        except (KeyError, ValueError) as exc:
            print(f"({exc.args[0] if exc.args else exc})")
