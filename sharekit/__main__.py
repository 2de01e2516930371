from sharekit.cli import main

raise SystemExit(main())
