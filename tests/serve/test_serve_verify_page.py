"""The verification page over HTTP (form, CSRF) and in a real headless Chromium (drop a file, paste)."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait
from serving import Served

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def form_token(served: Served) -> str:
    page = served.get("/verify")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    return TOKEN.search(page.text).group(1)


def test_posting_a_credential_explains_it_in_plain_words(served: Served) -> None:
    credential = served.campus.live()[0].document
    token = form_token(served)
    response = served.post("/verify", data={"csrf_token": token, "credential": json.dumps(credential)})
    assert response.status_code == 200, response.text
    assert "Verified" in response.text and "Not verified" not in response.text
    assert "Test University" in response.text  # who issued it
    assert credential["credentialSubject"]["achievement"]["name"] in response.text  # what it says
    for label in ("Signature", "Not revoked", "Dates", "Schema"):
        assert label in response.text


def test_uploading_a_tampered_file_says_not_verified(served: Served) -> None:
    credential = copy.deepcopy(served.campus.live()[0].document)
    credential["credentialSubject"]["result"][0]["value"] = "A+"
    files = {"file": ("grade.json", json.dumps(credential).encode(), "application/json")}
    response = served.post("/verify", data={"csrf_token": form_token(served)}, files=files)
    assert response.status_code == 200
    assert "Not verified" in response.text
    assert "signature does not match" in response.text


def test_the_form_refuses_posts_without_the_csrf_token(served: Served) -> None:
    credential = json.dumps(served.campus.live()[0].document)
    form_token(served)  # the session has a cookie, but the form below does not carry its token
    for data in ({"credential": credential}, {"credential": credential, "csrf_token": "forged.token"}):
        response = served.post("/verify", data=data)
        assert response.status_code == 403
        assert response.headers["content-type"] == "application/problem+json"
    fresh = served.http.__class__()  # a token lifted from another browser's page fails without its cookie
    response = fresh.post(served.url("/verify"), data={"credential": credential, "csrf_token": form_token(served)})
    assert response.status_code == 403


def test_not_json_is_answered_with_the_form_and_a_message(served: Served) -> None:
    response = served.post("/verify", data={"csrf_token": form_token(served), "credential": "not a credential"})
    assert response.status_code == 400
    assert "not JSON" in response.text and "<form" in response.text


DROP = """
const file = new File([arguments[0]], "credential.json", {type: "application/json"});
const data = new DataTransfer();
data.items.add(file);
const drop = new DragEvent("drop", {dataTransfer: data, bubbles: true, cancelable: true});
document.getElementById("drop").dispatchEvent(drop);
"""


def _outcome(browser, shot: Path) -> tuple[str, str]:
    """(the outcome banner's text, the whole page's text) once the result is shown; a PNG saved and checked."""
    WebDriverWait(browser, 30).until(expected_conditions.presence_of_element_located((By.ID, "outcome")))
    browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 5_000 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    return browser.find_element(By.ID, "outcome").text, browser.find_element(By.TAG_NAME, "main").text


def test_the_page_in_chromium_verifies_a_real_clr_and_fails_a_tampered_one(
    served: Served, browser, tmp_path: Path
) -> None:
    clr = served.campus.live("clr")[0].document
    good = tmp_path / "clr.json"
    good.write_text(json.dumps(clr))
    tampered = copy.deepcopy(clr)
    tampered["credentialSubject"]["verifiableCredential"][0]["credentialSubject"]["result"][0]["value"] = "A+"

    browser.get(served.url("/verify"))
    browser.find_element(By.ID, "file").send_keys(str(good))  # choose the file, send the form
    browser.find_element(By.ID, "check").click()
    outcome, text = _outcome(browser, tmp_path / "verified.png")
    assert outcome.startswith("Verified")
    assert "Comprehensive Learner Record" in text and "Issued by\nTest University" in text
    assert "Records inside (2)" in text and "Passed\nSignature" in text.replace(" Signature", "\nSignature")
    assert "Failed" not in text

    browser.get(served.url("/verify"))
    browser.execute_script(DROP, json.dumps(tampered))  # drop the file on the page (verify.js sends it)
    outcome, text = _outcome(browser, tmp_path / "tampered.png")
    assert outcome.startswith("Not verified")
    assert "Failed" in text and "Result: A+" in text
    errors = [e for e in browser.get_log("browser") if e.get("level") == "SEVERE"]
    assert not errors, errors  # no CSP violation, no script error


def test_pasting_in_chromium(served: Served, browser, tmp_path: Path) -> None:
    credential = served.campus.live()[0].document
    browser.get(served.url("/verify"))
    browser.execute_script("document.getElementById('credential').value = arguments[0];", json.dumps(credential))
    browser.find_element(By.ID, "check").click()
    outcome, text = _outcome(browser, tmp_path / "pasted.png")
    assert outcome.startswith("Verified")
    assert credential["credentialSubject"]["achievement"]["name"] in text
