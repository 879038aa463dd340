"""STEP-HRL trainer: behaviour cloning and step-level offline RL, exactly resumable (issue 19).

Public interface (the Temporal worker and the server code against these names):
`config.load_config`, `config.resolve_config`, `run.prepare_run`, `run.train_chunk`, `run.finalize`,
`model.load_base`.
"""

__version__ = "0.1.0"
