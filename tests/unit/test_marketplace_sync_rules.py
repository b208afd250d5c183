"""The marketplace sync's rules: what may be sold, the retry backoff, and its settings' checks."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.marketplace_sync import SyncRules, retry_after, sellable
from gateway.settings import SettingsError, load_settings


def test_sellable_is_the_erp_stock_less_holds_and_buffer_never_below_zero():
    assert sellable(20, 0, 2) == 18
    assert sellable(20, 5, 2) == 13
    assert sellable(3, 2, 2) == 0


def test_a_refused_push_waits_twice_as_long_each_time_up_to_the_most():
    rules = SyncRules(retry_base=timedelta(seconds=30), retry_max=timedelta(minutes=5))
    assert [retry_after(n, rules).total_seconds() for n in (1, 2, 3, 4, 5, 40)] == [30, 60, 120, 240, 300, 300]


@pytest.mark.parametrize(("env", "message"), [
    ({"CGW_MARKETPLACE_SYNC__BUFFER": "-1"}, "marketplace_sync.buffer: must be 0 or more"),
    ({"CGW_MARKETPLACE_SYNC__POLL_SECONDS": "0"}, "marketplace_sync.poll_seconds: must be above 0"),
    ({"CGW_MARKETPLACE_SYNC__FIRST_IMPORT_LOOKBACK_HOURS": "2161"}, "marketplace_sync.first_import_lookback_hours: 0 to 2160"),
    ({"CGW_MARKETPLACE_SYNC__RETRY_BASE_SECONDS": "100", "CGW_MARKETPLACE_SYNC__RETRY_MAX_SECONDS": "10"},
     "marketplace_sync.retry_base_seconds"),
    ({"CGW_MARKETPLACE_SYNC__ENABLED": "true", "CGW_CACHE__INVALIDATION_POLL_SECONDS": "0"},
     "marketplace_sync.enabled: needs cache.invalidation_poll_seconds"),
])
def test_bad_settings_name_the_setting(env, message):
    with pytest.raises(SettingsError, match=message.replace(".", r"\.")):
        load_settings(environ={"CGW_CONFIG": "/dev/null", **env})
