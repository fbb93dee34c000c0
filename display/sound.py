"""The real Player: a chime and offline speech (espeak-ng) through whatever plays WAV here.

Nothing here needs the network. Where no audio device exists the display stays silent with
one log line; the board still shows every call.
"""

from __future__ import annotations

import logging
import math
import os
import shutil
import struct
import subprocess
import tempfile
import wave
from pathlib import Path

from display.announcer import Part

log = logging.getLogger(__name__)

RATE = 22050
VOICES = {"es": "es", "en": "en"}
PLAYERS = (("paplay",), ("aplay", "-q"), ("play", "-q"))
"""WAV players tried in order: PulseAudio/PipeWire, ALSA, sox."""


def write_chime(path: Path) -> Path:
    """A soft two-tone "ding-dong" (E6 then C6) as a 16-bit mono WAV at ``path``."""
    frames = bytearray()
    for frequency, seconds in ((1318.5, 0.45), (1046.5, 0.7)):
        count = int(RATE * seconds)
        for i in range(count):
            fade = math.exp(-4.0 * i / count)  # a bell dies away; a flat tone sounds like an alarm
            sample = 0.5 * fade * math.sin(2 * math.pi * frequency * i / RATE)
            frames += struct.pack("<h", int(sample * 32767))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(bytes(frames))
    return path


def audio_device_present(
    cards: Path = Path("/proc/asound/cards"), runtime_dir: str | None = None
) -> bool:
    """True when an ALSA card or a PulseAudio/PipeWire server is there to play to."""
    runtime = runtime_dir if runtime_dir is not None else os.environ.get("XDG_RUNTIME_DIR", "")
    if os.environ.get("PULSE_SERVER") or (runtime and Path(runtime, "pulse", "native").exists()):
        return True
    try:
        text = cards.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return bool(text.strip()) and "no soundcards" not in text


class SilentPlayer:
    """Plays nothing: for machines without an audio device, and for the browser mode."""

    def play(self, part: Part) -> None:
        """Return at once: the call is shown, not heard."""

    def close(self) -> None:
        """Nothing to release."""


class SoundPlayer:
    """Plays the chime and espeak-ng speech with the first WAV player found on this machine."""

    def __init__(self, command: tuple[str, ...], folder: Path | None = None) -> None:
        self.command = command
        self.folder = folder or Path(tempfile.mkdtemp(prefix="turnero-sound-"))
        self.folder.mkdir(parents=True, exist_ok=True)
        self.chime_file = write_chime(self.folder / "chime.wav")
        self.espeak = shutil.which("espeak-ng")

    def speech_file(self, text: str, language: str) -> Path | None:
        """``text`` spoken by espeak-ng into a WAV file; None without espeak-ng."""
        if not self.espeak:
            return None
        path = self.folder / "speech.wav"
        voice = VOICES.get(language, language)
        # Slower than default: the lobby is large and many listeners are elderly.
        subprocess.run(
            [self.espeak, "-v", voice, "-s", "135", "-w", str(path), text],
            check=True,
            capture_output=True,
            timeout=20,
        )
        return path

    def close(self) -> None:
        """Remove the sound files."""
        shutil.rmtree(self.folder, ignore_errors=True)

    def play(self, part: Part) -> None:
        """Play ``part`` to its end."""
        if part.kind == "chime":
            path: Path | None = self.chime_file
        else:
            path = self.speech_file(part.text, part.language)
        if path is not None:
            subprocess.run([*self.command, str(path)], check=True, capture_output=True, timeout=60)


def open_player() -> SoundPlayer | SilentPlayer:
    """The best player this machine has; silent (with one log line) when it cannot play."""
    if not audio_device_present():
        log.info("no audio device found: calls are shown but not heard")
        return SilentPlayer()
    for command in PLAYERS:
        if shutil.which(command[0]):
            return SoundPlayer(command)
    log.info("no WAV player (paplay, aplay or sox play) found: calls are shown but not heard")
    return SilentPlayer()
