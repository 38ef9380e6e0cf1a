"""`python -m openssm` runs the command-line interface."""

from openssm.cli.main import main

raise SystemExit(main())
