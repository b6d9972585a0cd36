"""The install page as a person sees it, in headless Chromium: every scope explained, and the
"Add to Slack" button carrying them through Slack's authorize page back to the success page."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from bot.installs.pages import manifest_scopes
from tests.oauth.conftest import ALPHA, PEOPLE, OAuthApp

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"

pytestmark = pytest.mark.skipif(
    not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)),
    reason=f"needs {CHROMIUM} and {CHROMEDRIVER} (apt-get install -y chromium chromium-driver)",
)


@pytest.fixture
def browser() -> Iterator[object]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(20)
    yield driver
    driver.quit()


def test_a_person_installs_from_the_install_page(oauth_app: OAuthApp, browser: object) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.remote.webdriver import WebDriver

    assert isinstance(browser, WebDriver)
    browser.get(f"{oauth_app.url}/slack/install")

    assert browser.title == "Install Accountability in Slack"
    shown = [element.text for element in browser.find_elements(By.CSS_SELECTOR, "#scopes dt")]
    assert shown == [scope.name for scope in manifest_scopes()]
    reasons = [element.text for element in browser.find_elements(By.CSS_SELECTOR, "#scopes dd")]
    assert all(reasons) and reasons[1] == manifest_scopes()[1].why

    oauth_app.emulator.install_as(ALPHA, PEOPLE[ALPHA][0])
    browser.find_element(By.ID, "add-to-slack").click()

    heading = browser.find_element(By.TAG_NAME, "h1").text
    assert heading == "Accountability is installed in Alpha", browser.page_source
    assert browser.current_url.startswith(f"{oauth_app.url}/slack/oauth_redirect?code=")
    assert oauth_app.emulator.tokens_of(ALPHA)
