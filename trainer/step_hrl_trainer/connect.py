"""How the training worker connects to Temporal: the envconfig settings the TypeScript side honours.

Temporal's envconfig reads ``TEMPORAL_ADDRESS``, ``TEMPORAL_NAMESPACE``, ``TEMPORAL_API_KEY``, the TLS
variables (``TEMPORAL_TLS``, ``TEMPORAL_TLS_CLIENT_CERT_PATH``, ``TEMPORAL_TLS_CLIENT_KEY_PATH``,
``TEMPORAL_TLS_SERVER_CA_CERT_PATH``, ``TEMPORAL_TLS_SERVER_NAME``, ...), ``TEMPORAL_PROFILE``,
``TEMPORAL_CONFIG_FILE`` and the default profile file; ``--address``/``--namespace`` win over them (the
CLI passes the address it connected to). docs/configuration.md lists them.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

from temporalio.envconfig import ClientConfig


def connect_options(
    address: Optional[str], namespace: Optional[str], env: Optional[Mapping[str, str]] = None
) -> dict[str, Any]:
    """``Client.connect`` keyword arguments (``target_host`` included): envconfig's, then the flags.

    An API key without TLS settings connects with TLS, as the TypeScript client does.
    """
    options: dict[str, Any] = dict(ClientConfig.load_client_connect_config(override_env_vars=env))
    if address:
        options["target_host"] = address
    if namespace:
        options["namespace"] = namespace
    options.setdefault("target_host", "localhost:7233")
    options.setdefault("namespace", "default")
    if options.get("api_key") and "tls" not in options:
        options["tls"] = True
    return options
