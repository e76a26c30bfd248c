"""The claim page in the machine's headless Chromium, phone-sized: a learner follows the claim link,
presses the button, and sees their courses, grades, transcript and the wallet QR codes; screenshots
are checked for that content (the elements shown, their text, and pixels that are not blank)."""

from __future__ import annotations

import io
from pathlib import Path
from urllib.parse import urlsplit

from claim_kit import claim_rows, delivery_campus, serve, sync_and_issue
from selenium.webdriver.common.by import By
from selenium.webdriver.support.wait import WebDriverWait


def _distinct_colours(png: bytes) -> int:
    """How many distinct colours a PNG screenshot has (a blank or unstyled page has very few)."""
    import zlib

    data = io.BytesIO(png)
    data.read(8)
    width = height = 0
    idat = b""
    while True:
        length = int.from_bytes(data.read(4), "big")
        kind = data.read(4)
        chunk = data.read(length)
        data.read(4)
        if kind == b"IHDR":
            width, height = int.from_bytes(chunk[:4], "big"), int.from_bytes(chunk[4:8], "big")
            depth, colour = chunk[8], chunk[9]
            assert depth == 8 and colour in (2, 6), "Chromium screenshots are 8-bit RGB(A)"
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += chunk
        elif kind == b"IEND":
            break
    raw = zlib.decompress(idat)
    stride = width * channels
    seen, previous = set(), bytearray(stride)
    for row in range(height):
        start = row * (stride + 1)
        filter_type, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if filter_type == 1:
                line[i] = (line[i] + left) & 255
            elif filter_type == 2:
                line[i] = (line[i] + up) & 255
            elif filter_type == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif filter_type == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
        previous = line
        if row % 4 == 0:
            seen.update(bytes(line[i : i + 3]) for i in range(0, stride, channels * 4))
    return len(seen)


def test_a_learner_claims_their_records_in_a_phone_browser(tmp_path: Path, store, monkeypatch, browser) -> None:
    campus = delivery_campus(tmp_path, store, monkeypatch)
    sync_and_issue(campus)
    url = next(r["claim_url"] for r in claim_rows(tmp_path / "claims") if r["email"] == "s1@example.edu")
    _services, running = serve(campus)
    with running as base:
        browser.get(base + urlsplit(url).path)
        assert browser.find_element(By.TAG_NAME, "h1").text == "Your records are ready"
        browser.save_screenshot(str(tmp_path / "landing.png"))
        browser.find_element(By.CSS_SELECTOR, "button.primary").click()
        # the click posts a form and the page navigates: wait for it (a loaded machine takes seconds)
        WebDriverWait(browser, 30).until(lambda page: page.current_url.endswith("/claim/records"))
        cards = browser.find_elements(By.CSS_SELECTOR, "li.card")
        assert [c.find_element(By.TAG_NAME, "h3").text for c in cards] == ["Course 1", "Course 5"]
        for card in cards:
            assert card.is_displayed() and "Grade\nB" in card.text and "Credits\n3" in card.text
            shot = card.screenshot_as_png
            assert _distinct_colours(shot) > 5, "a card screenshot is blank"
        transcript = browser.find_element(By.CSS_SELECTOR, "table.transcript")
        assert transcript.is_displayed() and "Course 1" in transcript.text and "Course 5" in transcript.text
        assert "Total credits: 6" in browser.find_element(By.ID, "main").text
        codes = browser.find_elements(By.CSS_SELECTOR, ".offer img")
        assert len(codes) == 2
        for code in codes:
            assert code.get_attribute("alt") and code.size["width"] >= 200
            assert browser.execute_script("return arguments[0].naturalWidth", code) > 0  # the QR code rendered
        page = browser.get_screenshot_as_png()
        (tmp_path / "records.png").write_bytes(page)
        assert _distinct_colours(page) > 5
        scroll, view = browser.execute_script(
            "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert view <= 500 and scroll <= view, "the page scrolls sideways on a phone"
        errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
        assert errors == [], errors  # no CSP violation, no missing file
