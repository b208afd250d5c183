"""Channel tables: the defaults, then the file, then the environment, merged key by key per channel;
a channel no table names keeps its defaults."""

from __future__ import annotations

import os

import pytest

from gateway.settings import ChannelSettings, SettingsError, _default_channels, load_settings

FILE = """
[channels.APP]
currency = "CHF"

[channels.STORE]
pricelist_id = 4
stock_warehouses = ["BER"]
"""


def test_defaults_file_and_environment_are_merged_per_channel_and_key(tmp_path):
    # given
    path = tmp_path / "gw.toml"
    path.write_text(FILE)
    # when
    settings = load_settings(environ={"CGW_CONFIG": str(path), "CGW_CHANNELS__STORE__PRICELIST_ID": "5",
                                      "CGW_CHANNELS__WEB__NAME": "Online shop"})
    # then
    defaults = _default_channels()
    store, app = settings.channels["STORE"], settings.channels["APP"]
    assert (store.pricelist_id, store.stock_warehouses, store.name) == (5, ["BER"], "Stores and POS")
    assert (app.currency, app.price_source, app.name) == ("CHF", "app", "Mobile app")
    assert settings.channels["WEB"] == ChannelSettings(**{**vars(defaults["WEB"]), "name": "Online shop"})
    assert settings.channels["CALL_CENTER"] == defaults["CALL_CENTER"]
    assert settings.channels["MARKETPLACE"] == defaults["MARKETPLACE"]
    assert list(settings.channels) == ["WEB", "APP", "STORE", "CALL_CENTER", "MARKETPLACE"]


def test_without_channel_tables_every_channel_has_its_defaults():
    settings = load_settings(environ={"CGW_CONFIG": os.devnull})
    assert settings.channels == _default_channels()


def test_a_table_names_its_channel_in_any_letter_case(tmp_path):
    # given
    path = tmp_path / "gw.toml"
    path.write_text('[channels.store]\npricelist_id = 7\n')
    # when
    settings = load_settings(environ={"CGW_CONFIG": str(path)})
    # then
    assert settings.channels["STORE"].pricelist_id == 7
    assert settings.channels["STORE"].stock_warehouses == _default_channels()["STORE"].stock_warehouses
    assert "store" not in settings.channels


@pytest.mark.parametrize(("environ", "message"), [
    ({"CGW_CHANNELS": "5"}, "channels: expected a table"),
    ({"CGW_CHANNELS__WEB": "5"}, "channels.WEB: expected a table, got int"),
    ({"CGW_CHANNELS__WEB__PRICELIST_ID": "two"}, "channels.WEB.pricelist_id: expected int"),
    ({"CGW_CHANNELS__WEB__STOCK_SOURCE": "app"}, "channels.WEB.stock_source: must be one of erp, marketplace"),
    ({"CGW_CHANNELS__WEB__COLOUR": "red"}, "channels.WEB.colour: unknown setting"),
    ({"CGW_CHANNELS__FAX__NAME": "Fax"}, "channels.FAX: unknown channel 'FAX'"),
])
def test_bad_channel_settings_name_the_key(environ, message):
    with pytest.raises(SettingsError) as raised:
        load_settings(environ={"CGW_CONFIG": os.devnull, **environ})
    assert message in str(raised.value)
