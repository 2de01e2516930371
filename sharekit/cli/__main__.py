"""``python -m sharekit.cli``, as the module ``sharekit/cli.py`` ran before it became a package."""

from sharekit.cli import main

raise SystemExit(main())
