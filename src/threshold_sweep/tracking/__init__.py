"""MLflow tracking of jobs and sweeps (tracking=mlflow)."""
