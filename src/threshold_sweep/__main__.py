"""Allow `python -m threshold_sweep` (Ctrl-C handled as by the console script)."""

from threshold_sweep.cli.interrupt import main

if __name__ == "__main__":
    main()
