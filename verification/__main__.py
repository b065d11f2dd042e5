from verification.cli import main

raise SystemExit(main())
