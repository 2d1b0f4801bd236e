from data_ingest.settings import Settings


def test_defaults_put_everything_in_the_data_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("MIGDASH_DATA_DIR", str(tmp_path / "data"))
    settings = Settings()
    assert settings.database_url == f"sqlite:///{(tmp_path / 'data' / 'migdash.sqlite3').resolve()}"
    assert settings.upload_dir == tmp_path / "data" / "uploads"
    assert (settings.host, settings.port) == ("127.0.0.1", 8050)


def test_every_setting_comes_from_the_environment(tmp_path, monkeypatch):
    values = {
        "MIGDASH_DB_URL": "sqlite:////tmp/x.sqlite3",
        "MIGDASH_CATALOG": str(tmp_path / "c.yaml"),
        "MIGDASH_HOST": "0.0.0.0",
        "MIGDASH_PORT": "9000",
        "MIGDASH_MAX_UPLOAD_MB": "5",
        "MIGDASH_SECRET_KEY": "s3cret",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    assert settings.database_url == "sqlite:////tmp/x.sqlite3"
    assert settings.catalog == tmp_path / "c.yaml"
    assert (settings.host, settings.port, settings.max_upload_mb) == ("0.0.0.0", 9000, 5.0)
    assert settings.resolved_secret_key() == "s3cret"


def test_secret_key_is_generated_once_and_kept_private(tmp_path):
    key = Settings(data_dir=tmp_path).resolved_secret_key()
    assert key == Settings(data_dir=tmp_path).resolved_secret_key()
    assert len(key) >= 40
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_two_instances_do_not_share_a_secret(tmp_path):
    assert (
        Settings(data_dir=tmp_path / "a").resolved_secret_key()
        != Settings(data_dir=tmp_path / "b").resolved_secret_key()
    )
