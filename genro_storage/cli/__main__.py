"""``python -m genro_storage.cli``: the ``genro-storage`` command line."""

from . import main

raise SystemExit(main())
