"""A Personio API v2 emulator for tests and benchmarks of source-personio.

    from tools.personio_emulator import Emulator, EmulatorSettings, Fault
    with Emulator(EmulatorSettings(seed=1)) as emu:
        emu.url, emu.client_id, emu.client_secret, emu.config(), emu.company, emu.stats
"""
from .emulator import Emulator
from .faults import Fault
from .settings import EmulatorSettings

__all__ = ["Emulator", "EmulatorSettings", "Fault"]
