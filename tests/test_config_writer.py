"""config_writer: the setup form's profile, rendered, checked and written; read back by
config/load.py exactly as typed, never with the password in it."""

from __future__ import annotations

import stat
import sys
import tomllib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccnow_tui.config.load import (
    DEFAULT_URL,
    ConfigError,
    config_template,
    load_config,
    resolve_connection,
    write_config_template,
)
from ccnow_tui.config.write import (
    NewProfile,
    PasswordSource,
    problems,
    render_config,
    write_profile,
)
from ccnow_tui.protocol.redact import Secret
from ccnow_tui.storage.paths import config_path


def shop(**changes) -> NewProfile:
    base = dict(
        name="shop",
        url=DEFAULT_URL,
        client_id="amylove",
        source=PasswordSource.COMMAND,
        password_command="pass show ccnow/api",
    )
    return NewProfile(**{**base, **changes})  # type: ignore[arg-type]


@given(st.text(), st.text())
def test_any_text_reads_back_as_it_was(client_id, command):
    # Rendering does not check the fields (problems() does): whatever they hold, the file
    # reads back with exactly that.
    profile = shop(client_id=client_id.strip(), password_command=command.strip())
    table = tomllib.loads(render_config(None, profile))["profiles"]["shop"]
    assert (table["client_id"], table["password_command"]) == (client_id.strip(), command.strip())


def test_the_comments_of_an_existing_file_survive(tmp_path):
    # A file with no profile yet, but settings of its own and the operator's notes: a
    # default_profile line (to be set), a [keys] table, comments on lines and after values.
    path = tmp_path / "config.toml"
    before = (
        "# my notes: ask Amy before changing keys\n"
        'default_profile = "later"  # set once the account exists\n'
        "\n"
        "[keys]\n"
        "# x is easier to reach on this keyboard\n"
        '"stage.ship" = "x"  # was s\n'
    )
    path.write_text(before)
    text = write_profile(path, shop())
    assert path.read_text() == text
    for comment in (
        "# my notes: ask Amy before changing keys",
        "# set once the account exists",
        "# x is easier to reach on this keyboard",
        '"stage.ship" = "x"  # was s',
    ):
        assert comment in text
    config = load_config(path)
    assert config.default_profile == "shop" and list(config.profiles) == ["shop"]
    assert tomllib.loads(text)["keys"] == {"stage.ship": "x"}


def test_the_profile_goes_under_an_existing_profiles_table_and_the_rest_stays():
    existing = '# mine\n[profiles]  # filled in by the form\n\n[keys]\n# keys\nq = "w"\n'
    text = render_config(existing, shop().cleaned())
    data = tomllib.loads(text)
    assert data["default_profile"] == "shop" and list(data["profiles"]) == ["shop"]
    assert data["keys"] == {"q": "w"}
    assert "# filled in by the form" in text and "# keys" in text


def test_quotes_backslashes_and_unicode_round_trip_through_the_file(tmp_path):
    path = tmp_path / "config.toml"
    command = r"""sh -c "pass show 'ccnow/api' | tr -d \"\\n\"" # not a comment"""
    profile = shop(client_id='amy"love\\x', store_id="böse-Ⅻ", password_command=command)
    write_profile(path, profile)
    config = load_config(path)
    got = config.profiles["shop"]
    assert (got.client_id, got.store_id, got.password_command) == ('amy"love\\x', "böse-Ⅻ", command)
    assert got.url == DEFAULT_URL
    assert config.default_profile == "shop"


def test_a_new_file_is_private_and_its_directory_too(isolated_dirs):
    path = config_path()
    write_profile(path, shop())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert [p.name for p in path.parent.iterdir()] == ["config.toml"]  # no temporary file left


def test_what_is_written_is_what_the_next_start_resolves(tmp_path, monkeypatch):
    path = tmp_path / "config.toml"
    write_profile(
        path,
        shop(source=PasswordSource.ENV, password_env="SHOP_PW", store_id="linked", url="http://127.0.0.1:8642/cgi"),
    )
    settings = resolve_connection(load_config(path), None, {"SHOP_PW": "pw-from-env"})
    assert (settings.profile, settings.url, settings.client_id, settings.store_id) == (
        "shop",
        "http://127.0.0.1:8642/cgi",
        "amylove",
        "linked",
    )
    assert settings.password is not None and settings.password.reveal() == "pw-from-env"


def test_a_password_command_is_run_by_the_next_start(tmp_path):
    path = tmp_path / "config.toml"
    script = tmp_path / "pw dir" / 'say "pw".py'
    script.parent.mkdir()
    script.write_text("print('from-the-manager')\nprint('second line')\n")
    command = f"{sys.executable} '{script}'"
    write_profile(path, shop(password_command=command))
    settings = resolve_connection(load_config(path), None, {})
    assert settings.password is not None and settings.password.reveal() == "from-the-manager"


def test_ask_each_time_writes_no_password_setting(tmp_path):
    path = tmp_path / "config.toml"
    text = write_profile(path, shop(source=PasswordSource.ASK, password_command="ignored"))
    table = tomllib.loads(text)["profiles"]["shop"]
    assert "password_command" not in table and "password_env" not in table
    assert "asked for at each start" in text
    assert resolve_connection(load_config(path), None, {}).password is None  # the TUI asks


def test_blanks_around_fields_are_dropped(tmp_path):
    path = tmp_path / "config.toml"
    write_profile(path, shop(name=" shop ", client_id="  amylove ", url=f" {DEFAULT_URL} "))
    got = load_config(path).profiles["shop"]
    assert (got.client_id, got.url) == ("amylove", DEFAULT_URL)


def test_the_template_from_init_is_kept_and_the_profile_added(tmp_path):
    path = tmp_path / "config.toml"
    write_config_template(path)
    write_profile(path, shop())
    text = path.read_text()
    assert text.startswith(config_template())  # every comment kept, in place
    config = load_config(path)
    assert config.default_profile == "shop" and list(config.profiles) == ["shop"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_an_empty_profiles_table_gets_default_profile_before_it():
    text = render_config("# mine\n[profiles]\n", shop().cleaned())
    assert text.index("default_profile") < text.index("[profiles]")
    assert text.startswith("# mine\n")
    assert tomllib.loads(text)["default_profile"] == "shop"


def test_other_tables_of_a_file_with_no_profile_are_kept():
    existing = '# mine\n[keys]\n"stage.ship" = "x"\n'
    text = render_config(existing, shop().cleaned())
    data = tomllib.loads(text)
    assert data["keys"] == {"stage.ship": "x"} and data["default_profile"] == "shop"
    assert list(data["profiles"]) == ["shop"]


def test_a_file_it_cannot_add_to_is_left_alone(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("profiles = {}\n")  # the form adds a [profiles] table, never an inline one
    with pytest.raises(ConfigError, match="add it by hand") as caught:
        write_profile(path, shop())
    assert "[profiles.shop]" in str(caught.value)  # the text to add, for the operator
    assert path.read_text() == "profiles = {}\n"


def test_a_file_with_a_profile_is_never_changed(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('[profiles.old]\nclient_id = "x"\n')
    with pytest.raises(ConfigError, match="already defines a profile"):
        write_profile(path, shop())
    assert path.read_text() == '[profiles.old]\nclient_id = "x"\n'


def test_a_broken_file_is_never_changed(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("this is [ not toml\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        write_profile(path, shop())
    assert path.read_text() == "this is [ not toml\n"


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"name": ""}, "name", "required"),
        ({"name": "my shop"}, "name", "no spaces"),
        ({"name": "a.b"}, "name", "no spaces or dots"),
        ({"name": "x" * 65}, "name", "At most 64"),
        ({"name": "env"}, "name", "environment alone"),
        ({"url": ""}, "url", "required"),
        ({"url": "ftp://host/x"}, "url", "https://"),
        ({"url": "https://"}, "url", "no host"),
        ({"url": "http://receiver.example/cgi"}, "url", "unencrypted"),
        ({"client_id": "  "}, "client_id", "required"),
        ({"client_id": "a\x1bb"}, "client_id", "U+001B"),
        ({"store_id": "a\u202eb"}, "store_id", "U+202E"),
        ({"password_command": ""}, "password_command", "Type the command"),
        ({"password_command": "pass show 'ccnow"}, "password_command", "quotes"),
        ({"source": PasswordSource.ENV, "password_env": ""}, "password_env", "Type the name"),
        ({"source": PasswordSource.ENV, "password_env": "1PW"}, "password_env", "not starting with a digit"),
        ({"source": PasswordSource.ENV, "password_env": "MY-PW"}, "password_env", "letters, digits and _"),
    ],
)
def test_each_wrong_field_is_named_with_the_reason(changes, field, words, tmp_path):
    found = problems(shop(**changes))
    assert list(found) == [field]
    assert words in found[field]
    path = tmp_path / "config.toml"
    with pytest.raises(ConfigError):
        write_profile(path, shop(**changes))
    assert not path.exists()


def test_plain_http_is_fine_to_this_machine():
    for url in ("http://127.0.0.1:8642/cgi", "http://localhost/cgi", "http://[::1]:80/x"):
        assert problems(shop(url=url)) == {}


def test_the_other_sources_setting_is_not_checked_nor_written(tmp_path):
    profile = shop(source=PasswordSource.ENV, password_env="PW", password_command="pass show 'broken")
    assert problems(profile) == {}
    text = write_profile(tmp_path / "config.toml", profile)
    assert "pass show" not in text


def test_a_field_holding_the_password_is_refused_and_nothing_written(tmp_path):
    secret = Secret("hunter2-Pw")
    path = tmp_path / "config.toml"
    leaking = shop(password_command="echo hunter2-Pw")  # "a password manager" that holds it in plain sight
    assert "API password" in problems(leaking, secret)["password_command"]
    assert "API password" in problems(shop(client_id="amy hunter2-Pw"), secret)["client_id"]
    with pytest.raises(ConfigError) as caught:
        write_profile(path, leaking, secret)
    assert "hunter2-Pw" not in str(caught.value)  # the message itself is masked
    assert not path.exists()


def test_a_file_changed_meanwhile_is_not_overwritten(tmp_path, monkeypatch):
    from ccnow_tui.config import write as config_writer

    path = tmp_path / "config.toml"
    real = config_writer.render_config

    def render_while_another_writes(existing, profile):
        path.write_text("# written by ccnow-tui init in another terminal\n")
        return real(existing, profile)

    monkeypatch.setattr(config_writer, "render_config", render_while_another_writes)
    with pytest.raises(ConfigError, match="changed while the form was open"):
        write_profile(path, shop())
    assert path.read_text() == "# written by ccnow-tui init in another terminal\n"


def test_an_unwritable_place_is_an_error_not_a_crash(tmp_path):
    (tmp_path / "not-a-dir").write_text("a file")
    with pytest.raises(ConfigError, match=r"not-a-dir/config\.toml: cannot be"):
        write_profile(tmp_path / "not-a-dir" / "config.toml", shop())
