from plugin_build.cli import main

raise SystemExit(main())
