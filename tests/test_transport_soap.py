"""The SOAP client on the real Workday Human_Resources v31.2 WSDL against a loopback SOAP server.

A call goes out with a WS-Security UsernameToken and its answer is read; the WSDL comes from a
file or from the system (cached on disk) and is parsed once per process; XXE and entity-expansion
answers are refused; faults become the error kind the plugin's classifier says; the password
never reaches a log line.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import pytest
from lxml import etree
from pydantic import SecretStr
from werkzeug.wrappers import Request, Response

from connector_core.sandbox import serve
from connector_core.source import SourceAuthError, SourceContext, SourceError, SourceUnavailable
from connector_core.testing import shared_path
from connector_core.transport import Backoff, RetryPolicy, SoapConfig, SoapSource
from connector_core.transport.soap import Fault, SoapClient, load_wsdl

BINDING = "{urn:com.workday/bsvc/Human_Resources}Human_ResourcesBinding"
PATH = "/ccx/service/acme/Human_Resources/v31.2"
PASSWORD = "pa$$-w0rd-never-logged"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
PASSWORD_TEXT = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText"
ENV = '<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"><env:Body>{}</env:Body></env:Envelope>'
TIMESTAMP = (
    '<wd:Server_Timestamp xmlns:wd="urn:com.workday/bsvc" wd:version="v31.2">'
    "<wd:Server_Timestamp_Data>2026-12-01T09:30:00.000-08:00</wd:Server_Timestamp_Data></wd:Server_Timestamp>"
)


def fault(code: str, text: str, detail: str = "") -> str:
    return ENV.format(f"<env:Fault><faultcode>{code}</faultcode><faultstring>{text}</faultstring>{detail}</env:Fault>")


@pytest.fixture(scope="module")
def wsdl() -> Path:
    return shared_path("sources", "workday", "wsdl", "v31.2", "Human_Resources.wsdl")


class Workday:
    """A loopback Workday: checks the UsernameToken, answers with whatever the test queues."""

    def __init__(self, wsdl: Path) -> None:
        self.wsdl = wsdl
        self.answers: list[tuple[int, str]] = []
        self.tokens: list[tuple[str | None, str | None, str | None]] = []
        self.wsdl_gets = 0

    def __call__(self, environ, start_response):  # type: ignore[no-untyped-def]
        request = Request(environ)
        if request.method == "GET" and "wsdl" in request.args:
            self.wsdl_gets += 1
            return Response(self.wsdl.read_bytes(), content_type="text/xml")(environ, start_response)
        envelope = etree.fromstring(request.get_data(), etree.XMLParser(resolve_entities=False, no_network=True))
        password = envelope.find(f".//{{{WSSE}}}Password")
        user = envelope.find(f".//{{{WSSE}}}Username")
        self.tokens.append(
            (
                user.text if user is not None else None,
                password.text if password is not None else None,
                password.get("Type") if password is not None else None,
            )
        )
        status, body = self.answers.pop(0) if self.answers else (200, ENV.format(TIMESTAMP))
        return Response(body, status=status, content_type="text/xml; charset=utf-8")(environ, start_response)


@contextmanager
def workday(wsdl: Path) -> Iterator[tuple[str, Workday]]:
    app = Workday(wsdl)
    with serve(app) as url:
        yield url, app


def classify(fault: Fault) -> type[SourceError] | None:
    """Workday-like: authentication faults are auth errors; a processing fault saying "try again" is transient."""
    if "authentication" in (fault.code or ""):
        return SourceAuthError
    if fault.detail is not None and "try again" in "".join(fault.detail.itertext()):
        return SourceUnavailable
    return None


def client(url: str, wsdl: Path | str, **kwargs) -> SoapClient:  # type: ignore[no-untyped-def]
    kwargs.setdefault("retry", RetryPolicy(max_retries=2, backoff=Backoff(initial=0.01, maximum=0.02)))
    return SoapClient(
        str(wsdl),
        address=url + PATH,
        binding=BINDING,
        version="v31.2",
        username="lerconnect_isu@acme",
        password=SecretStr(PASSWORD),
        classify_fault=classify,
        **kwargs,
    )


class HumanResources(SoapSource):
    name = "hr-test"
    binding = BINDING
    wsdl_version = "v31.2"
    streams = ("employment",)

    def endpoint(self) -> str:
        return self.config.base_url + PATH


def test_a_call_on_the_real_workday_wsdl_with_a_username_token(wsdl: Path, debug_log: pytest.LogCaptureFixture) -> None:
    with workday(wsdl) as (url, server):
        config = SoapConfig(plugin="hr-test", base_url=url, username="lerconnect_isu@acme", password=PASSWORD)
        config.wsdl = str(wsdl)
        source = HumanResources(config, SourceContext("hr", "hr-test", "0"))
        answer = source.soap.call("Get_Server_Timestamp", version="v31.2")
        source.close()
    assert answer.Server_Timestamp_Data == [datetime.fromisoformat("2026-12-01T09:30:00-08:00")]
    assert server.tokens == [("lerconnect_isu@acme", PASSWORD, PASSWORD_TEXT)]
    logged = "\n".join(r.getMessage() for r in debug_log.records)
    assert "POST /ccx/service/acme/Human_Resources/v31.2 -> 200" in logged
    assert PASSWORD not in logged


def test_the_wsdl_is_parsed_once_per_process(wsdl: Path) -> None:
    first = load_wsdl(wsdl)
    with workday(wsdl) as (url, _):
        clients = [client(url, wsdl) for _ in range(3)]
    assert load_wsdl(wsdl) is first and all(c.client.wsdl is first for c in clients)


def test_a_wsdl_from_the_system_is_cached_on_disk_per_url_and_version(wsdl: Path, tmp_path: Path) -> None:
    with workday(wsdl) as (url, server):
        remote = f"{url}{PATH}?wsdl"
        client(url, remote, cache_dir=tmp_path).close()
        c = client(url, remote, cache_dir=tmp_path)
        assert c.call("Get_Server_Timestamp", version="v31.2").Server_Timestamp_Data
        c.close()
        assert server.wsdl_gets == 1
        [cached] = tmp_path.iterdir()
        assert cached.name.startswith("127.0.0.1_") and cached.name.endswith("-v31.2.wsdl")
        with pytest.raises(SourceError, match="only from the configured system or a local file"):
            client(url, "http://localhost:1/other?wsdl", cache_dir=tmp_path)


def test_an_xxe_answer_is_refused_not_expanded(wsdl: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-FILE-CONTENT")
    xxe = f'<?xml version="1.0"?><!DOCTYPE e [<!ENTITY xxe SYSTEM "file://{secret}">]>' + ENV.format(
        TIMESTAMP.replace("2026-12-01T09:30:00.000-08:00", "&xxe;")
    )
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE e [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>' + ENV.format(TIMESTAMP.replace("2026", "&c;"))
    )
    with workday(wsdl) as (url, server):
        c = client(url, wsdl)
        for payload in (xxe, laughs):
            server.answers.append((200, payload))
            with pytest.raises(SourceError) as info:
                c.call("Get_Server_Timestamp", version="v31.2")
            assert "refuses to parse such XML" in str(info.value) and "TOP-SECRET" not in str(info.value)
        c.close()
    assert len(server.tokens) == 2  # refused at once, not retried


def test_faults_become_the_error_the_classifier_says(wsdl: Path) -> None:
    validation = (
        '<detail><wd:Validation_Fault xmlns:wd="urn:com.workday/bsvc"><wd:Validation_Error>'
        "<wd:Message>Invalid ID value</wd:Message><wd:Detail_Message>Worker W-9 is not valid</wd:Detail_Message>"
        "</wd:Validation_Error></wd:Validation_Fault></detail>"
    )
    busy = '<detail><wd:Processing_Fault xmlns:wd="urn:com.workday/bsvc"><wd:Detail_Message>Busy, try again'
    busy += "</wd:Detail_Message></wd:Processing_Fault></detail>"
    with workday(wsdl) as (url, server):
        c = client(url, wsdl)
        server.answers.append((500, fault("SOAP-ENV:Client.authenticationError", "Invalid username or password")))
        with pytest.raises(SourceAuthError, match=r"SOAP Get_Server_Timestamp: SOAP fault .*authenticationError: "):
            c.call("Get_Server_Timestamp", version="v31.2")
        server.answers.append((500, fault("SOAP-ENV:Client.validationError", "Validation error occurred", validation)))
        with pytest.raises(SourceError) as info:
            c.call("Get_Server_Timestamp", version="v31.2")
        assert type(info.value) is SourceError
        assert "Validation error occurred (Invalid ID value Worker W-9 is not valid)" in str(info.value)
        server.answers.append((500, fault("SOAP-ENV:Server.processingError", "Processing error", busy)))
        assert c.call("Get_Server_Timestamp", version="v31.2").Server_Timestamp_Data  # retried, then answered
        server.answers.extend([(500, fault("SOAP-ENV:Server", "Processing error", busy))] * 3)
        with pytest.raises(SourceUnavailable, match=r"Busy, try again\), still failing after 3 attempts"):
            c.call("Get_Server_Timestamp", version="v31.2")
        c.close()
    assert len(server.tokens) == 2 + 2 + 3


def test_http_errors_and_broken_answers(wsdl: Path) -> None:
    with workday(wsdl) as (url, server):
        c = client(url, wsdl)
        server.answers.append((401, "Unauthorized"))
        with pytest.raises(SourceAuthError, match="HTTP 401"):
            c.call("Get_Server_Timestamp", version="v31.2")
        server.answers.extend([(503, "down"), (200, "<html>maintenance</html>")])
        assert c.call("Get_Server_Timestamp", version="v31.2").Server_Timestamp_Data  # both retried
        c.close()
    assert len(server.tokens) == 4


def test_a_stalled_soap_answer_times_out(wsdl: Path) -> None:
    @Request.application
    def stalled(request: Request) -> Response:
        time.sleep(1.5)
        return Response(ENV.format(TIMESTAMP), content_type="text/xml")

    with serve(stalled) as url:
        c = client(url, wsdl, timeout=0.3, retry=RetryPolicy(max_retries=1, backoff=Backoff(0.01, 0.02)))
        with pytest.raises(
            SourceUnavailable, match=r"SOAP Get_Server_Timestamp \(POST /ccx/.*within 0\.3s, still failing after 2"
        ):
            c.call("Get_Server_Timestamp", version="v31.2")
        c.close()


def test_a_wsdl_may_import_only_files_beside_it(tmp_path: Path) -> None:
    (tmp_path / "outside.xsd").write_text('<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema"/>')
    folder = tmp_path / "wsdl"
    folder.mkdir()
    wsdl = folder / "service.wsdl"
    wsdl.write_text(
        '<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" '
        'xmlns:xsd="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:t"><wsdl:types>'
        '<xsd:schema targetNamespace="urn:t"><xsd:import namespace="urn:o" schemaLocation="../outside.xsd"/>'
        "</xsd:schema></wsdl:types></wsdl:definitions>"
    )
    with pytest.raises(SourceError, match=r"refers to .*/outside\.xsd: a WSDL may import only files in its own"):
        load_wsdl(wsdl)
