import sys

try:
    from ops.cli import main
except KeyboardInterrupt:  # Ctrl-C while the libraries load: nothing was started yet
    print("ops: interrupted — nothing was started", file=sys.stderr)
    sys.exit(130)

sys.exit(main())
