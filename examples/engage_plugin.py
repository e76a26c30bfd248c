"""A complete lerconnect plugin: co-curricular attendance from an engagement platform's REST API."""

from pydantic import SecretStr

from connector_core import Learner, LearningRecord, Page, hookimpl
from connector_core.transport import LinkHeaderPaginator, RestConfig, RestSource


class EngageConfig(RestConfig):  # base_url, verify_tls, timeout_seconds, max_pages, ... come with RestConfig
    token: SecretStr


class Engage(RestSource):  # self.rest: the REST client, built from the config, closed after the run
    """Attendance at co-curricular events: one record per student per event."""

    name = "engage"
    Config = EngageConfig
    streams = ("cocurricular",)

    def check(self):
        return f"signed in as {self.rest.get('/me', expect=dict).body['name']}"

    def pull(self, stream, cursor):
        params = {"since": cursor} if cursor else None
        for page in self.rest.paginate("/attendance", LinkHeaderPaginator(), params=params):
            yield Page(page.items, cursor=max((r["updated"] for r in page.items), default=cursor))

    def normalize(self, stream, raw):
        yield LearningRecord.cocurricular(
            source_id=raw["id"],
            learner=Learner(source_id=raw["student_id"], institution_id=raw["student_id"]),
            activity_key=raw["event_id"],
            activity=raw["event_name"],
            completed_on=raw["date"],
        )


@hookimpl
def lerconnect_register_sources(register):
    register(Engage)
