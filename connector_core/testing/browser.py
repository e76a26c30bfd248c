"""A headless Chromium from the machine's packages (Debian `chromium` + `chromium-driver`), driven
with Selenium. Never a browser download: where the packages are missing, tests skip and say so."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMEDRIVER = ("/usr/bin/chromedriver",)
INSTALL_HINT = "install the machine's packages: apt-get install -y chromium chromium-driver"


def _first(paths: tuple[str, ...], name: str) -> str | None:
    found = next((p for p in paths if Path(p).is_file() and os.access(p, os.X_OK)), None)
    return found or shutil.which(name)


def missing_browser() -> str | None:
    """Why no headless browser can run here, or None when one can."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (the test extra): python3 tasks.py install"
    if _first(CHROMIUM, "chromium") is None:
        return f"no Chromium at {' or '.join(CHROMIUM)}: {INSTALL_HINT}"
    if _first(CHROMEDRIVER, "chromedriver") is None:
        return f"no chromedriver at {CHROMEDRIVER[0]}: {INSTALL_HINT}"
    return None


@contextmanager
def headless_chromium(*, width: int = 412, height: int = 915) -> Iterator[Any]:
    """A Selenium WebDriver for headless Chromium (a phone-sized window by default), quit on exit."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    reason = missing_browser()
    if reason:
        raise RuntimeError(reason)
    options = webdriver.ChromeOptions()
    options.binary_location = _first(CHROMIUM, "chromium")  # type: ignore[assignment]
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        f"--window-size={width},{height}",
        "--no-first-run",
        "--disable-extensions",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=_first(CHROMEDRIVER, "chromedriver")), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
