from snnforge.cli import main

raise SystemExit(main())
