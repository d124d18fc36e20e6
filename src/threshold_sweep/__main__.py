"""Allow `python -m threshold_sweep`."""

from threshold_sweep.cli.main import main

if __name__ == "__main__":
    main()
