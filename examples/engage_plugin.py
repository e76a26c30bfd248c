"""A complete lerconnect plugin: co-curricular attendance from an engagement platform's REST API."""

from pydantic import SecretStr

from connector_core import Learner, LearningRecord, Page, Source, SourceConfig, hookimpl
from connector_core.http import LinkHeaderPaginator, RestClient


class EngageConfig(SourceConfig):
    base_url: str
    token: SecretStr


class Engage(Source):
    """Attendance at co-curricular events: one record per student per event."""

    name = "engage"
    Config = EngageConfig
    streams = ("cocurricular",)

    def __init__(self, config, context):
        super().__init__(config, context)
        self.client = RestClient(config.base_url, token=config.token)

    def check(self):
        return f"signed in as {self.client.get('/me').json()['name']}"

    def pull(self, stream, cursor):
        params = {"since": cursor} if cursor else None
        for response in self.client.paginate("/attendance", LinkHeaderPaginator(), params=params):
            rows = response.json()
            yield Page(rows, cursor=max((r["updated"] for r in rows), default=cursor))

    def normalize(self, stream, raw):
        yield LearningRecord.cocurricular(
            source_id=raw["id"],
            learner=Learner(source_id=raw["student_id"], institution_id=raw["student_id"]),
            activity_key=raw["event_id"],
            activity=raw["event_name"],
            completed_on=raw["date"],
        )

    def close(self):
        self.client.close()


@hookimpl
def lerconnect_register_sources(register):
    register(Engage)
