"""The command-line entry points, the config precheck and Hydra callbacks."""
