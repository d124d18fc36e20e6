"""The experiment's configuration: schema, validation and registration with Hydra."""
