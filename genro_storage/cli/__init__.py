"""``genro-storage``: the command line over the configured mounts.

    genro-storage [--config FILE] COMMAND [ARGS]...

Mounts come from ``--config FILE``, else ``$GENRO_STORAGE_CONFIG``, else
``$XDG_CONFIG_HOME/genro-storage/mounts.yaml`` (``~/.config/...`` by default). A path
with no ``mount:`` prefix, or one starting with ``/``, ``./``, ``../`` or ``~``, is on the
local filesystem. Every command is built on the public async API (``AsyncStorageManager``,
its nodes, ``copy``/``move`` and ``TransferReport``); see ``docs/cli.md``.

Errors print one line to stderr and exit 1 (2 for bad arguments); Ctrl-C cancels the
running operation, which leaves no partial destination, and exits 130.
"""

from .app import cli, main
from .mounts import config_path

__all__ = ["main", "cli", "config_path"]
