"""Headless Chromium for the playground's browser test and its screenshot, from Debian's packages.

Selenium Manager would download a browser and a driver when it finds none; both paths are given
explicitly so it never does. Selenium is a development dependency, imported only when a browser starts.
"""

from __future__ import annotations

import os
import shutil
from typing import Any

CHROMIUM = os.environ.get("PLAYGROUND_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("PLAYGROUND_CHROMEDRIVER", "/usr/bin/chromedriver")


def missing() -> str | None:
    """Why no browser can start here, or None when one can."""
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            return (
                f"{path} not found: install Debian's {package} (apt-get install -y chromium chromium-driver)"
            )
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed: bash scripts/setup dev"
    return None


def headless_chromium(*, width: int = 1400, height: int = 900) -> Any:
    """A Selenium WebDriver for headless Chromium at the given window size."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root, where Chromium's sandbox refuses to start
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--no-first-run",
        f"--window-size={width},{height}",
    ):
        options.add_argument(argument)
    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager: never reach out for anything
    return webdriver.Chrome(
        options=options, service=Service(executable_path=shutil.which(CHROMEDRIVER) or CHROMEDRIVER)
    )
