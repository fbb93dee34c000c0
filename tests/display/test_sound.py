"""The real player's pieces: the chime file, offline speech, and silence without a device."""

from __future__ import annotations

import logging
import shutil
import wave
from pathlib import Path

import pytest

from display.announcer import Part
from display.sound import (
    SilentPlayer,
    SoundPlayer,
    audio_device_present,
    open_player,
    write_chime,
)


def test_chime_is_a_short_valid_wav(tmp_path: Path):
    path = write_chime(tmp_path / "chime.wav")
    with wave.open(str(path)) as chime:
        seconds = chime.getnframes() / chime.getframerate()
        assert chime.getnchannels() == 1 and chime.getsampwidth() == 2
    assert 0.8 < seconds < 2.0


@pytest.mark.skipif(not shutil.which("espeak-ng"), reason="espeak-ng is not installed")
@pytest.mark.parametrize("language", ["es", "en"])
def test_speech_is_made_offline_by_espeak(tmp_path: Path, language: str):
    player = SoundPlayer(("true",), folder=tmp_path)
    path = player.speech_file("Turno A cero cuarenta y dos, ventanilla tres", language)
    assert path is not None
    with wave.open(str(path)) as speech:
        assert speech.getnframes() / speech.getframerate() > 1.0


@pytest.mark.skipif(not shutil.which("sox"), reason="sox is not installed")
def test_each_part_is_handed_to_the_wav_player_as_a_valid_file(tmp_path: Path):
    # ``sox --i`` stands in for the audio player: it fails on anything but a sound file.
    player = SoundPlayer(("sox", "--i"), folder=tmp_path / "sounds")
    player.play(Part("chime"))
    player.play(Part("speech", "Ticket A zero forty two, counter three", "en"))
    player.close()
    assert not (tmp_path / "sounds").exists()


def test_audio_devices_are_looked_for_in_alsa_and_pulse(tmp_path: Path, monkeypatch):
    monkeypatch.delenv("PULSE_SERVER", raising=False)
    cards = tmp_path / "cards"
    cards.write_text("--- no soundcards ---\n")
    assert not audio_device_present(cards, runtime_dir=str(tmp_path))
    cards.write_text(" 0 [PCH            ]: HDA-Intel - HDA Intel PCH\n")
    assert audio_device_present(cards, runtime_dir=str(tmp_path))
    assert not audio_device_present(tmp_path / "missing", runtime_dir=str(tmp_path))
    (tmp_path / "pulse").mkdir()
    (tmp_path / "pulse" / "native").touch()
    assert audio_device_present(tmp_path / "missing", runtime_dir=str(tmp_path))


def test_without_a_device_the_display_is_silent_and_says_so_once(monkeypatch, caplog):
    monkeypatch.setattr("display.sound.audio_device_present", lambda: False)
    with caplog.at_level(logging.INFO, logger="display.sound"):
        player = open_player()
    assert isinstance(player, SilentPlayer)
    assert [r.getMessage() for r in caplog.records] == [
        "no audio device found: calls are shown but not heard"
    ]
