"""config.toml profiles, CCNOW_* variables and options, and the messages for every mistake."""

from __future__ import annotations

import json
import shlex
import stat
import sys
import textwrap
import time

import pytest

from ccnow_tui.config import load as config_module
from ccnow_tui.config.load import (
    DEFAULT_URL,
    EXAMPLE,
    Config,
    ConfigError,
    NotConfigured,
    Profile,
    config_template,
    load_config,
    resolve_connection,
    write_config_template,
)
from ccnow_tui.protocol import Secret
from ccnow_tui.storage import config_path


def write(text: str):
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), "utf-8")
    return path


def load_error(text: str) -> str:
    write(text)
    with pytest.raises(ConfigError) as info:
        load_config()
    return str(info.value)


def py_command(code: str) -> str:
    """A password_command running this Python; shlex-quoted, so it survives splitting."""
    return shlex.join([sys.executable, "-c", code])


SHOP = """\
    [profiles.shop]
    client_id = "C100"
"""


# -- no configuration ------------------------------------------------------------------


def test_missing_file_is_an_empty_config(isolated_dirs):
    config = load_config()
    assert config == Config(isolated_dirs.config_home / "ccnow-tui" / "config.toml", None, {})


def test_nothing_configured_explains_how_to_start(isolated_dirs):
    with pytest.raises(NotConfigured) as info:
        resolve_connection(load_config(), None, env={})
    message = str(info.value)
    assert str(config_path()) in message and "does not exist yet" in message
    assert "ccnow-tui --demo" in message and "ccnow-tui init" in message
    assert "[profiles.shop]" in message and "password_command" in message


def test_unknown_profile_without_a_file_is_not_configured(isolated_dirs):
    with pytest.raises(NotConfigured, match="no profile 'shop'") as info:
        resolve_connection(load_config(), "shop", env={})
    assert "--demo" in str(info.value)


def test_password_alone_in_the_environment_is_not_enough(isolated_dirs):
    with pytest.raises(NotConfigured, match="No client id: CCNOW_CLIENT_ID is not set and --client-id was not given"):
        resolve_connection(load_config(), None, env={"CCNOW_PASSWORD": "pw-alone-1"})


# -- mistakes in the file --------------------------------------------------------------


def test_toml_syntax_error_names_file_and_line(isolated_dirs):
    message = load_error('[profiles.shop]\nclient_id = "C1"\nurl = \n')
    assert message.startswith(f"{config_path()}: line 3: ")


def test_non_utf8_file_names_the_line(isolated_dirs):
    path = config_path()
    path.parent.mkdir(parents=True)
    path.write_bytes(b'[profiles.shop]\nclient_id = "C\xff"\n')
    with pytest.raises(ConfigError, match="line 2: not UTF-8") as info:
        load_config()
    assert str(path) in str(info.value)


def test_unknown_profile_key_lists_the_known_ones(isolated_dirs):
    message = load_error(SHOP + '    pasword = "hunter2"\n')
    line = (SHOP + "x").count("\n") + 1  # the line after SHOP
    assert message.startswith(
        f"{config_path()}: line {line}: [profiles.shop] unknown key 'pasword' (known: url, client_id, "
    )
    assert "password_command or password_env" in message
    assert "hunter2" not in message


def test_unknown_top_level_key(isolated_dirs):
    message = load_error('defaut_profile = "shop"\n' + SHOP)
    assert message == (
        f"{config_path()}: line 1: unknown top-level key 'defaut_profile' (known: default_profile, profiles, keys)"
    )


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "[profiles.shop]\nclient_id = 100\n",
            "[profiles.shop] 'client_id' must be a string (in quotes), not an integer",
        ),
        (SHOP + 'timeout = "30"\n', "[profiles.shop] 'timeout' must be a number of seconds, not a string"),
        (SHOP + "timeout = 0\n", "[profiles.shop] 'timeout' must be more than 0"),
        (SHOP + "store_id = true\n", "[profiles.shop] 'store_id' must be a string (in quotes), not a boolean"),
        ('profiles = "shop"\n', "'profiles' must be a table of [profiles.NAME] sections, not a string"),
        ("[profiles]\nshop = 1\n", "[profiles.shop] must be a table of settings, not an integer"),
        ("default_profile = 1\n" + SHOP, "'default_profile' must be a string, not an integer"),
        ('[profiles.shop]\nurl = "https://x.test/"\n', "[profiles.shop] missing key 'client_id'"),
        (
            'default_profile = "shpo"\n' + SHOP,
            "default_profile 'shpo' is not a [profiles.NAME] section (profiles: shop)",
        ),
        (
            SHOP + 'password_command = "x"\npassword_env = "X"\n',
            "either 'password_command' or 'password_env', not both",
        ),
        (SHOP + 'password_env = "not a name"\n', "'password_env' must be the name of an environment variable"),
        (SHOP + 'password_command = "  "\n', "'password_command' is empty"),
    ],
)
def test_each_file_mistake_gets_one_message_naming_file_and_key(isolated_dirs, text, expected):
    message = load_error(text)
    assert message.startswith(f"{config_path()}: line ")
    assert expected in message


@pytest.mark.parametrize(
    "text, line",
    [
        (
            '# comment\n\n[profiles.other]\nclient_id = "o"\ntimeout = 5\n\n'
            '[profiles.shop]\nclient_id = "s"\ntimeout = -5\n',
            9,
        ),
        ('[ profiles . "my shop" ]  # spaced and quoted\nclient_id = "s"\n"timeout" = 0\n', 3),
        ('[profiles.shop]\nurl = "https://x.test/"\n', 1),  # missing key: the table's header
    ],
)
def test_the_line_named_is_the_one_with_the_mistake(isolated_dirs, text, line):
    assert load_error(text).startswith(f"{config_path()}: line {line}: ")


def test_a_mistake_the_scan_cannot_place_still_names_file_and_key(isolated_dirs):
    message = load_error('profiles = { shop = { client_id = "s", timeout = -1 } }\n')
    assert message.startswith(f"{config_path()}: [profiles.shop] 'timeout' must be more than 0")


def test_unknown_profile_name_lists_the_profiles(isolated_dirs):
    write(SHOP + '[profiles.demo2]\nclient_id = "C2"\n')
    with pytest.raises(ConfigError) as info:
        resolve_connection(load_config(), "shpo", env={})
    assert not isinstance(info.value, NotConfigured)
    assert str(info.value) == f"{config_path()}: unknown profile 'shpo' (profiles: shop, demo2)"


def test_several_profiles_need_a_choice(isolated_dirs):
    write(SHOP + '[profiles.other]\nclient_id = "C2"\n')
    with pytest.raises(ConfigError, match="no default_profile; choose one with --profile"):
        resolve_connection(load_config(), None, env={})


def test_error_messages_are_redacted(isolated_dirs):
    Secret("zebra-Secret-991")
    write(SHOP)
    with pytest.raises(ConfigError) as info:
        resolve_connection(load_config(), "zebra-Secret-991", env={})
    assert "zebra-Secret-991" not in str(info.value) and "••••••" in str(info.value)


# -- precedence ------------------------------------------------------------------------


FULL = """\
    default_profile = "shop"

    [profiles.shop]
    url = "https://file.test/receive"
    client_id = "FILE-ID"
    store_id = "FILE-STORE"
    timeout = 12.5
    password_env = "SHOP_PW"

    [profiles.other]
    client_id = "OTHER-ID"
"""


def test_file_profile_with_defaults(isolated_dirs):
    write(SHOP)
    settings = resolve_connection(load_config(), None, env={})  # the only profile
    assert (settings.profile, settings.url, settings.client_id, settings.store_id) == ("shop", DEFAULT_URL, "C100", "")
    assert settings.timeout == 30.0 and settings.password is None
    assert settings.source == f"profile 'shop' in {config_path()}"
    assert load_config().profiles["shop"] == Profile("shop", DEFAULT_URL, "C100")


def test_environment_overrides_file_and_options_override_both(isolated_dirs):
    write(FULL)
    env = {
        "SHOP_PW": "file-source-pw",
        "CCNOW_URL": "http://env.test/r",
        "CCNOW_CLIENT_ID": "ENV-ID",
        "CCNOW_STORE_ID": "ENV-STORE",
    }
    config = load_config()

    from_file = resolve_connection(config, None, env={"SHOP_PW": "file-source-pw"})
    assert (from_file.url, from_file.client_id, from_file.store_id, from_file.timeout) == (
        "https://file.test/receive",
        "FILE-ID",
        "FILE-STORE",
        12.5,
    )
    assert from_file.password == Secret("file-source-pw")

    from_env = resolve_connection(config, None, env=env)
    assert (from_env.url, from_env.client_id, from_env.store_id) == ("http://env.test/r", "ENV-ID", "ENV-STORE")
    assert "environment: CCNOW_URL, CCNOW_CLIENT_ID, CCNOW_STORE_ID" in from_env.source

    overrides = {"url": "https://opt.test/r", "client_id": "OPT-ID", "store_id": None, "timeout": 3}
    from_opts = resolve_connection(config, None, env=env, overrides=overrides)
    assert (from_opts.url, from_opts.client_id, from_opts.store_id, from_opts.timeout) == (
        "https://opt.test/r",
        "OPT-ID",
        "ENV-STORE",
        3.0,
    )
    assert from_opts.source.endswith("options: --url, --client-id, --timeout")


def test_ccnow_password_beats_the_profile_source_without_running_it(isolated_dirs):
    write(SHOP + '    password_command = "no-such-program-ccnow-test"\n')
    settings = resolve_connection(load_config(), None, env={"CCNOW_PASSWORD": "env-pw-777"})
    assert settings.password == Secret("env-pw-777")


def test_environment_alone_makes_the_env_profile(isolated_dirs):
    settings = resolve_connection(load_config(), None, env={"CCNOW_CLIENT_ID": "E1", "CCNOW_PASSWORD": "env-only-pw"})
    assert (settings.profile, settings.client_id, settings.url) == ("env", "E1", DEFAULT_URL)
    assert settings.password == Secret("env-only-pw") and settings.source == "environment"


def test_explicit_env_profile_ignores_the_file(isolated_dirs):
    write(FULL)
    settings = resolve_connection(load_config(), "env", env={"CCNOW_CLIENT_ID": "E1"})
    assert (settings.profile, settings.client_id, settings.store_id, settings.password) == ("env", "E1", "", None)


def test_empty_environment_variables_count_as_unset(isolated_dirs):
    write(SHOP)
    settings = resolve_connection(load_config(), None, env={"CCNOW_CLIENT_ID": "", "CCNOW_PASSWORD": ""})
    assert settings.client_id == "C100" and settings.password is None


def test_timeout_option_as_text_is_checked(isolated_dirs):
    write(SHOP)
    assert resolve_connection(load_config(), None, env={}, overrides={"timeout": "7"}).timeout == 7.0
    with pytest.raises(ConfigError, match="option --timeout"):
        resolve_connection(load_config(), None, env={}, overrides={"timeout": "soon"})
    with pytest.raises(ConfigError, match="option --timeout must be more than 0"):
        resolve_connection(load_config(), None, env={}, overrides={"timeout": -1})


def test_there_is_no_password_option(isolated_dirs):
    write(SHOP)
    with pytest.raises(ValueError, match="password"):
        resolve_connection(load_config(), None, env={}, overrides={"password": "x"})


@pytest.mark.parametrize(
    "env, overrides, origin",
    [
        ({}, {}, "[profiles.shop] url"),
        ({"CCNOW_URL": "ftp://env.test/"}, {}, "environment variable CCNOW_URL"),
        ({}, {"url": "file:///etc/passwd"}, "option --url"),
    ],
)
def test_non_http_url_names_where_it_came_from(isolated_dirs, env, overrides, origin):
    write(SHOP + '    url = "gopher://file.test/"\n')
    with pytest.raises(ConfigError, match="must start with https:// or http://") as info:
        resolve_connection(load_config(), None, env=env, overrides=overrides)
    assert origin in str(info.value)


def test_url_without_host_is_rejected(isolated_dirs):
    with pytest.raises(ConfigError, match="CCNOW_URL: the receiver URL has no host name"):
        resolve_connection(load_config(), None, env={"CCNOW_URL": "https:///x", "CCNOW_CLIENT_ID": "E"})


def test_settings_repr_hides_the_password(isolated_dirs):
    settings = resolve_connection(load_config(), None, env={"CCNOW_CLIENT_ID": "E", "CCNOW_PASSWORD": "repr-pw-55"})
    assert "repr-pw-55" not in repr(settings) and "repr-pw-55" not in str(settings)


# -- password sources ------------------------------------------------------------------


def test_password_env_reads_the_named_variable(isolated_dirs):
    write(SHOP + '    password_env = "SHOP_PW"\n')
    settings = resolve_connection(load_config(), None, env={"SHOP_PW": "from-var-pw"})
    assert settings.password.reveal() == "from-var-pw"


def test_password_env_unset_is_an_error(isolated_dirs):
    write(SHOP + '    password_env = "SHOP_PW"\n')
    with pytest.raises(ConfigError) as info:
        resolve_connection(load_config(), None, env={})
    assert str(info.value) == (
        f"{config_path()}: [profiles.shop] password_env names SHOP_PW, "
        "but that environment variable is not set (or is empty)"
    )


def command_profile(command: str) -> None:
    write(SHOP + f"    password_command = {json.dumps(command)}\n")  # JSON strings are TOML strings


def test_password_command_first_line_is_the_password(isolated_dirs):
    command_profile(py_command("print(' pw with spaces \\u00e9'); print('second line')"))
    settings = resolve_connection(load_config(), None, env={})
    assert settings.password.reveal() == " pw with spaces é"


@pytest.mark.parametrize(
    "code, expected",
    [
        (
            "import sys; print('leaked-out-1'); print('leaked-err-1', file=sys.stderr); sys.exit(3)",
            "failed (exit status 3)",
        ),
        ("print(); print('leaked-out-1')", "printed nothing on its first line"),
        ("pass", "printed nothing on its first line"),
    ],
)
def test_password_command_failure_names_profile_and_program_only(isolated_dirs, code, expected):
    command_profile(py_command(code))
    with pytest.raises(ConfigError) as info:
        resolve_connection(load_config(), None, env={})
    message = str(info.value)
    assert message.startswith(f"profile 'shop': password_command {sys.executable!r}: {expected}")
    assert "leaked" not in message


def test_password_command_missing_program(isolated_dirs):
    command_profile("no-such-program-ccnow-test --get")
    with pytest.raises(
        ConfigError, match="profile 'shop': password_command 'no-such-program-ccnow-test': program not found"
    ):
        resolve_connection(load_config(), None, env={})


def test_password_command_unbalanced_quotes(isolated_dirs):
    command_profile('pass show "ccnow')
    with pytest.raises(ConfigError, match="profile 'shop': password_command cannot be split into words"):
        resolve_connection(load_config(), None, env={})


def test_password_command_timeout_stops_it(isolated_dirs, monkeypatch):
    monkeypatch.setattr(config_module, "PASSWORD_COMMAND_TIMEOUT", 0.5)
    command_profile(py_command("import time; time.sleep(30)"))
    started = time.monotonic()
    with pytest.raises(ConfigError, match=r"password_command .*: no answer within 0.5 s; it was stopped"):
        resolve_connection(load_config(), None, env={})
    assert time.monotonic() - started < 10


def test_password_command_timeout_is_ten_seconds():
    assert config_module.PASSWORD_COMMAND_TIMEOUT == 10


# -- ccnow-tui init --------------------------------------------------------------------


def test_template_is_private_and_holds_no_password(isolated_dirs):
    path = write_config_template()
    assert path == config_path()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    text = path.read_text("utf-8")
    assert text == config_template()
    assert "password =" not in text and "password=" not in text
    # All commented out: a fresh template is valid and still means "not configured".
    assert load_config() == Config(path, None, {})
    with pytest.raises(NotConfigured, match="exists but defines no profile"):
        resolve_connection(load_config(), None, env={})


def test_template_example_is_a_valid_profile(isolated_dirs):
    write(EXAMPLE)
    config = load_config()
    assert config.default_profile == "shop"
    assert config.profiles["shop"] == Profile(
        "shop", DEFAULT_URL, "YOUR_CLIENT_ID", password_command="pass show ccnow/api"
    )


def test_template_never_overwrites(isolated_dirs):
    path = write(SHOP)
    with pytest.raises(ConfigError, match="already exists; not overwriting") as info:
        write_config_template()
    assert str(path) in str(info.value)
    assert path.read_text() == textwrap.dedent(SHOP)


def test_template_at_a_given_path(tmp_path):
    path = write_config_template(tmp_path / "new" / "ccnow.toml")
    assert path.read_text("utf-8") == config_template()
    assert stat.S_IMODE((tmp_path / "new").stat().st_mode) == 0o700


# -- values that used to escape as an internal error (issue #7) ---------------------------


@pytest.mark.parametrize(
    "url, what",
    [
        ("http://[::1", "Invalid IPv6 URL"),
        ("http://127.0.0.1:99999/", "Port out of range"),
        ("https://receiver.example:http/", "Port could not be cast"),
        ("http://127.0.0.1:0/", "port must be 1 to 65535"),
    ],
)
def test_malformed_url_in_the_file_names_file_line_and_problem(isolated_dirs, url, what):
    path = write(SHOP + f'    url = "{url}"\n')
    with pytest.raises(ConfigError) as info:
        resolve_connection(load_config(), None, env={"CCNOW_PASSWORD": "pw-cfg-1"})
    message = str(info.value)
    assert f"{path}: line 3: [profiles.shop] url: the receiver URL" in message and what in message


@pytest.mark.parametrize("url", ["http://[::1", "http://127.0.0.1:99999/"])
def test_malformed_url_from_option_or_environment_names_it(isolated_dirs, url):
    env = {"CCNOW_CLIENT_ID": "E", "CCNOW_PASSWORD": "pw-cfg-2"}
    with pytest.raises(ConfigError, match=r"option --url: the receiver URL is malformed"):
        resolve_connection(load_config(), None, env=env, overrides={"url": url})
    with pytest.raises(ConfigError, match=r"environment variable CCNOW_URL: the receiver URL is malformed"):
        resolve_connection(load_config(), None, env={**env, "CCNOW_URL": url})


def test_a_malformed_url_in_the_file_is_no_error_when_overridden(isolated_dirs):
    write(SHOP + '    url = "http://[::1"\n')
    settings = resolve_connection(
        load_config(), None, env={"CCNOW_PASSWORD": "pw-cfg-3"}, overrides={"url": "https://receiver.example/r"}
    )
    assert settings.url == "https://receiver.example/r"


@pytest.mark.parametrize("opening, closing", [("[", "]"), ("{a=", "}")])
def test_a_file_nested_too_deeply_is_a_config_error(isolated_dirs, opening, closing):
    path = write("# deep\n" + "x = " + opening * 3000 + closing * 3000 + "\n")
    with pytest.raises(ConfigError) as info:
        load_config()
    assert str(info.value) == f"{path}: line 2: arrays or inline tables nested too deeply to read"


# -- confirm_over: how big a batch is sent only after typing its number ------------------------


def test_confirm_over_defaults_to_ten_and_reaches_the_settings(isolated_dirs):
    write(SHOP)
    assert load_config().profiles["shop"].confirm_over == 10
    assert resolve_connection(load_config(), "shop", {}).confirm_over == 10
    write(SHOP + "    confirm_over = 0\n")
    assert resolve_connection(load_config(), "shop", {}).confirm_over == 0
    write(SHOP + "    confirm_over = 250\n")
    assert resolve_connection(load_config(), "shop", {}).confirm_over == 250


def test_confirm_over_from_the_environment_alone_is_the_default(isolated_dirs):
    settings = resolve_connection(load_config(), None, {"CCNOW_CLIENT_ID": "C1", "CCNOW_PASSWORD": "pw"})
    assert settings.confirm_over == 10


@pytest.mark.parametrize("value", ["-1", "2.5", "true", '"10"', "[10]"])
def test_confirm_over_must_be_a_whole_number_of_orders(isolated_dirs, value):
    text = SHOP + f"    confirm_over = {value}\n"
    line = text.count("\n")
    message = load_error(text)
    assert message.startswith(f"{config_path()}: line {line}: [profiles.shop] 'confirm_over' must be a whole number")
    assert "0 or more" in message


def test_the_example_mentions_confirm_over(isolated_dirs):
    assert "# confirm_over = 10" in EXAMPLE


# -- max_discount: a discount above it is flagged where it is typed ---------------------------


def test_max_discount_defaults_to_100_and_reaches_the_settings(isolated_dirs):
    from decimal import Decimal

    write(SHOP)
    assert load_config().profiles["shop"].max_discount == Decimal("100.00")
    assert resolve_connection(load_config(), "shop", {}).max_discount == Decimal("100.00")
    for value, amount in (("250", "250.00"), ("12.5", "12.50"), ('"40.00"', "40.00"), ("0", "0.00")):
        write(SHOP + f"    max_discount = {value}\n")
        assert resolve_connection(load_config(), "shop", {}).max_discount == Decimal(amount)
    config_path().unlink()  # settings from the environment alone: the default
    settings = resolve_connection(load_config(), None, {"CCNOW_CLIENT_ID": "C1", "CCNOW_PASSWORD": "pw"})
    assert settings.max_discount == Decimal("100.00")


@pytest.mark.parametrize("value", ["-1", "2.505", "true", '"lots"', "[10]", "nan", "inf", '"1e3"x'])
def test_max_discount_must_be_an_amount(isolated_dirs, value):
    text = SHOP + f"    max_discount = {value}\n"
    line = text.count("\n")
    message = load_error(text)
    if value == '"1e3"x':  # not TOML at all: the TOML error names the line
        assert f"line {line}" in message
        return
    assert message.startswith(f"{config_path()}: line {line}: [profiles.shop] 'max_discount' must be an amount in USD")


def test_the_example_mentions_max_discount(isolated_dirs):
    assert "# max_discount = 100.00" in EXAMPLE


# -- [keys] ---------------------------------------------------------------------------------


def test_keys_table_quoted_dotted_and_as_a_subtable(isolated_dirs):
    path = write(SHOP + '\n[keys]\n"stage.ship" = "x"\nqueue.refresh = " f5 , ctrl+r "\n\n[keys.nav]\ncomposer = "B"\n')
    keys = load_config().keys
    assert dict(keys.keys) == {"stage.ship": "x", "queue.refresh": "f5,ctrl+r", "nav.composer": "B"}
    assert keys.places == {
        "stage.ship": f"{path}: line 5: ",
        "queue.refresh": f"{path}: line 6: ",
        "nav.composer": f"{path}: line 9: ",
    }
    assert keys.path == path


def test_keys_apply_without_any_profile(isolated_dirs):
    write('[keys]\n"stage.ship" = "x"\n')
    config = load_config()
    assert config.profiles == {} and dict(config.keys.keys) == {"stage.ship": "x"}


@pytest.mark.parametrize(
    "text, line, expected",
    [
        ('keys = "x"\n', 1, "'keys' must be a table ([keys], one binding id = \"key\" a line), not a string"),
        ('[keys]\n"stage.ship" = 1\n', 2, "[keys] 'stage.ship' must be a key name in quotes"),
        (
            '[keys]\n"stage.ship" = ["x"]\n',
            2,
            "[keys] 'stage.ship' must be a key name in quotes (several: separated by commas), not an array",
        ),
        ('[keys]\n\n"stage.ship" = "  "\n', 3, "[keys] 'stage.ship' is empty"),
        ('[keys]\n"stage.ship" = "ctrl + x"\n', 2, "'ctrl + x' is not a key name or a list of them"),
        ('[keys]\n"stage.ship" = "x,,y"\n', 2, "'x,,y' is not a key name or a list of them"),
    ],
)
def test_keys_table_mistakes_name_file_and_line(isolated_dirs, text, line, expected):
    message = load_error(text)
    assert message.startswith(f"{config_path()}: line {line}: ")
    assert expected in message


# -- confirm_discount_over: discounts adding up to more are sent only after typing a number ----


def test_confirm_discount_over_defaults_to_500_dollars_and_reaches_the_settings(isolated_dirs):
    from decimal import Decimal

    write(SHOP)
    assert resolve_connection(load_config(), "shop", {}).confirm_discount_over == Decimal("500.00")
    for text, value in (("0", "0.00"), ("1250", "1250.00"), ("99.5", "99.50"), ('"20.25"', "20.25")):
        write(SHOP + f"    confirm_discount_over = {text}\n")
        assert resolve_connection(load_config(), "shop", {}).confirm_discount_over == Decimal(value), text
    config_path().unlink()  # settings from the environment alone: the default
    settings = resolve_connection(load_config(), None, {"CCNOW_CLIENT_ID": "C1", "CCNOW_PASSWORD": "pw"})
    assert settings.confirm_discount_over == Decimal("500.00")


@pytest.mark.parametrize("text", ["-1", "1.005", "true", '"lots"', "nan", "inf", '"1e3x"', "[1]"])
def test_a_bad_confirm_discount_over_names_file_line_and_key(isolated_dirs, text):
    path = write(SHOP + f"    confirm_discount_over = {text}\n")
    with pytest.raises(ConfigError) as info:
        load_config()
    message = str(info.value)
    assert message.startswith(f"{path}: line ") and "'confirm_discount_over' must be an amount in US dollars" in message
