"""`quytac demo` as a user runs it: a fresh process, its scenario played when standard input is
not a terminal, and the interactive loop at a (pseudo-)terminal."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import time

import pytest

ENV = {**os.environ, "PYTHONIOENCODING": "utf-8"}
for name in ("TELEGRAM_BOT_TOKEN", "DISCORD_BOT_TOKEN", "DATABASE_URL", "REDIS_URL"):
    ENV.pop(name, None)


def _steps(transcript: str) -> dict[int, list[str]]:
    steps: dict[int, list[str]] = {}
    current = 0
    for line in transcript.splitlines():
        found = re.match(r"── (\d+)\. ", line)
        if found:
            current = int(found.group(1))
        steps.setdefault(current, []).append(line)
    return steps


@pytest.fixture(scope="module")
def scripted(tmp_path_factory) -> tuple[subprocess.CompletedProcess, dict[int, list[str]]]:
    database = tmp_path_factory.mktemp("demo") / "demo.db"
    done = subprocess.run([sys.executable, "-m", "bot", "demo", "--database", str(database)],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          encoding="utf-8", timeout=180, env=ENV)
    return done, _steps(done.stdout)


def test_the_scenario_runs_without_a_terminal_and_exits_0(scripted):
    done, steps = scripted
    assert done.returncode == 0, done.stderr
    assert sorted(steps) == [0, 1, 2, 3, 4, 5]
    assert done.stderr == ""  # nothing went wrong on the way


def test_everyday_chat_is_left_alone(scripted):
    _, steps = scripted
    said = steps[1][1:]
    assert [line.split(":")[0] for line in said if line] == ["💬 Lan", "💬 Minh", "💬 Tuấn"]
    assert any("dm mình nha" in line for line in said)  # "dm" as a direct message
    assert any("0912345678" in line for line in said)  # a member's own number


def test_a_violation_is_removed_warned_and_logged(scripted):
    _, steps = scripted
    text = "\n".join(steps[2])
    assert "🗑️  (the group no longer sees Tuấn's message)" in text
    assert "🗑️ Tin nhắn đã bị xoá; cảnh cáo, 3 điểm (vụ #1)" in text
    assert "Vụ #1 · Tuấn (@tuan99, 102) · đã xoá tin nhắn · cảnh cáo, 3 điểm" in text
    assert re.search(r"Tin nhắn: https://t\.me/c/1234567890/\d+", text)
    assert "Kết quả: xoá ✓, cảnh cáo ✓" in text


def test_a_repeat_offender_is_muted(scripted):
    _, steps = scripted
    text = "\n".join(steps[3])
    assert re.search(r"🔇 Tuấn cannot write in the group until \S+ \S+ UTC\+07:00", text)
    assert "✉️  bot → Tuấn (private):" in text
    assert "Vụ #2 · Tuấn (@tuan99, 102) · đã xoá tin nhắn · tạm cấm chat, 3 điểm đến" in text


def test_a_false_positive_is_appealed_and_approved(scripted):
    _, steps = scripted
    text = "\n".join(steps[4])
    assert "👆 Minh presses [5] Kháng nghị #3 (opens the bot's chat)" in text
    assert "Kháng nghị vụ #3 của Minh (@minh_tran, 103) (vi.insult.stupid):" in text
    assert "👆 Hà presses [7] Chấp nhận #3" in text
    assert "✅ Kháng nghị vụ #3 được chấp nhận: một điều hành viên đã xem lại vụ việc" in text
    assert "📋 mod log (entry updated): ✔ Chấp nhận #3 — Hà" in text


def test_moderators_commands_answer(scripted):
    _, steps = scripted
    text = "\n".join(steps[5])
    assert re.search(r"#2 .* member 102: mute \(active\) vi\.insult\.mother", text)
    assert "By status: active 2, overturned 1" in text


def test_the_interactive_demo_at_a_terminal():
    """Typed lines reach the group as the chosen speaker; a button is pressed by number."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "bot", "demo"], stdin=follower,
                            stdout=follower, stderr=follower, env=ENV, close_fds=True)
    os.close(follower)
    seen = b""

    def read_until(marker: bytes, timeout: float = 60.0) -> None:
        nonlocal seen
        deadline = time.monotonic() + timeout
        while marker not in seen:
            assert time.monotonic() < deadline, seen.decode(errors="replace")[-2000:]
            ready, _, _ = select.select([leader], [], [], 0.5)
            if ready:
                try:
                    seen += os.read(leader, 65536)
                except OSError:  # the demo ended
                    break

    try:
        read_until("Lan> ".encode())
        os.write(leader, "!as 2\n".encode())
        read_until("Tuấn> ".encode())
        os.write(leader, "địt mẹ mày\n".encode())
        read_until(b"[2] ")
        os.write(leader, "!press 2\n".encode())
        read_until("🕊️ Vụ #1 đã được xoá bỏ".encode())
        os.write(leader, b"!quit\n")
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(leader)
    text = seen.decode(errors="replace")
    assert "Vụ #1 · Tuấn (@tuan99, 102) · đã xoá tin nhắn · cảnh cáo, 3 điểm" in text
    assert "👆 Hà presses [2] Xoá bỏ #1" in text
