"""A fluent builder for the connector config; every value is obviously fake."""
from typing import Any, Dict

CLIENT_ID = "test-client-id"
CLIENT_SECRET = "test-client-secret"
START_DATE = "2024-01-01T00:00:00Z"


class ConfigBuilder:
    """Starts from the two required credentials and a start date; each `with_*` sets one spec property."""

    def __init__(self) -> None:
        self._config: Dict[str, Any] = {
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "start_date": START_DATE,
        }

    def with_client_id(self, client_id: str) -> "ConfigBuilder":
        return self.with_field("client_id", client_id)

    def with_client_secret(self, client_secret: Any) -> "ConfigBuilder":
        return self.with_field("client_secret", client_secret)

    def with_start_date(self, start_date: Any) -> "ConfigBuilder":
        return self.with_field("start_date", start_date)

    def with_lookback_window_hours(self, hours: Any) -> "ConfigBuilder":
        return self.with_field("lookback_window_hours", hours)

    def with_api_url(self, api_url: str) -> "ConfigBuilder":
        return self.with_field("api_url", api_url)

    def with_app_id(self, app_id: str) -> "ConfigBuilder":
        return self.with_field("app_id", app_id)

    def with_partner_id(self, partner_id: str) -> "ConfigBuilder":
        return self.with_field("partner_id", partner_id)

    def with_window_size_days(self, days: Any) -> "ConfigBuilder":
        return self.with_field("window_size_days", days)

    def with_persons_window_size_days(self, days: Any) -> "ConfigBuilder":
        return self.with_field("persons_window_size_days", days)

    def with_num_workers(self, workers: Any) -> "ConfigBuilder":
        return self.with_field("num_workers", workers)

    def with_reports(self, report_ids: Any = None) -> "ConfigBuilder":
        """Reports on: every report the credential can list, or only `report_ids`."""
        self.with_field("sync_reports", True)
        return self.with_field("report_ids", report_ids) if report_ids is not None else self.without("report_ids")

    def with_field(self, name: str, value: Any) -> "ConfigBuilder":
        self._config[name] = value
        return self

    def without(self, name: str) -> "ConfigBuilder":
        self._config.pop(name, None)
        return self

    def build(self) -> Dict[str, Any]:
        return dict(self._config)
