from ccnow_tui.cli import main

raise SystemExit(main())
