"""What every part of the Telegram adapter shares: the application (and its bot), the
service, the performer that carries out the service's actions, the scheduler of timed actions,
and the directory of who administers which chat."""

from __future__ import annotations

from dataclasses import dataclass

from telegram.ext import Application

from bot.adapters.telegram.directory import ChatDirectory
from bot.adapters.telegram.perform import Performer
from bot.service import ModerationService, Scheduler


@dataclass(frozen=True)
class Shared:
    app: Application
    service: ModerationService
    performer: Performer
    scheduler: Scheduler
    directory: ChatDirectory
