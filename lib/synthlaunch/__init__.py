"""synthlaunch: take a training config from TOML to a running, watched job on a Synth backend."""

__version__ = "0.1.0"
