"""The training worker's connection settings come from envconfig (as the TypeScript side's do): TLS
files, server name, API key and profile; the flags win over them."""

from __future__ import annotations

from temporalio.service import TLSConfig

from step_hrl_trainer.connect import connect_options


def test_tls_variables_reach_the_client_config(tmp_path) -> None:
    for name in ("cert", "key", "ca"):
        (tmp_path / name).write_text(f"PEM {name}")
    env = {
        "TEMPORAL_CONFIG_FILE": str(tmp_path / "none.toml"),
        "TEMPORAL_TLS_CLIENT_CERT_PATH": str(tmp_path / "cert"),
        "TEMPORAL_TLS_CLIENT_KEY_PATH": str(tmp_path / "key"),
        "TEMPORAL_TLS_SERVER_CA_CERT_PATH": str(tmp_path / "ca"),
        "TEMPORAL_TLS_SERVER_NAME": "temporal.example",
        "TEMPORAL_ADDRESS": "from-env:7233",
    }
    options = connect_options("flag-host:7233", "ns", env)
    assert options["target_host"] == "flag-host:7233"
    assert options["namespace"] == "ns"
    tls = options["tls"]
    assert isinstance(tls, TLSConfig)
    assert (tls.client_cert, tls.client_private_key, tls.server_root_ca_cert) == (b"PEM cert", b"PEM key", b"PEM ca")
    assert tls.domain == "temporal.example"


def test_profile_file_and_api_key(tmp_path) -> None:
    profile = tmp_path / "temporal.toml"
    profile.write_text('[profile.prod]\naddress = "prod:7233"\nnamespace = "team"\napi_key = "k"\n')
    options = connect_options(None, None, {"TEMPORAL_CONFIG_FILE": str(profile), "TEMPORAL_PROFILE": "prod"})
    assert (options["target_host"], options["namespace"], options["api_key"]) == ("prod:7233", "team", "k")
    assert options["tls"] is True  # an API key without TLS settings connects with TLS


def test_nothing_set_is_the_local_server(tmp_path) -> None:
    options = connect_options(None, None, {"TEMPORAL_CONFIG_FILE": str(tmp_path / "none.toml")})
    assert options == {"target_host": "localhost:7233", "namespace": "default"}


def test_the_worker_connects_with_them(tmp_path, monkeypatch) -> None:
    from step_hrl_trainer import worker

    for name in ("cert", "key"):
        (tmp_path / name).write_text(f"PEM {name}")
    monkeypatch.setenv("TEMPORAL_CONFIG_FILE", str(tmp_path / "none.toml"))
    monkeypatch.setenv("TEMPORAL_TLS_CLIENT_CERT_PATH", str(tmp_path / "cert"))
    monkeypatch.setenv("TEMPORAL_TLS_CLIENT_KEY_PATH", str(tmp_path / "key"))
    seen: dict = {}

    async def connect(target_host: str, **kwargs: object) -> None:
        seen.update(kwargs, target_host=target_host)
        raise RuntimeError("no server in this test")

    monkeypatch.setattr(worker.Client, "connect", staticmethod(connect))
    assert worker.main(["--task-queue", "q", "--address", "flag-host:7233"]) == 1
    assert seen["target_host"] == "flag-host:7233"
    assert isinstance(seen["tls"], TLSConfig) and seen["tls"].client_cert == b"PEM cert"


def test_a_missing_tls_file_is_named(tmp_path, monkeypatch, capsys) -> None:
    from step_hrl_trainer import worker

    monkeypatch.setenv("TEMPORAL_CONFIG_FILE", str(tmp_path / "none.toml"))
    monkeypatch.setenv("TEMPORAL_TLS_CLIENT_CERT_PATH", str(tmp_path / "missing.pem"))
    monkeypatch.setenv("TEMPORAL_TLS_CLIENT_KEY_PATH", str(tmp_path / "missing.key"))
    assert worker.main(["--task-queue", "q"]) == 2
    assert "missing.pem" in capsys.readouterr().err
