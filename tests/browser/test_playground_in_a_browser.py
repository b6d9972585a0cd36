"""The playground in a real browser (headless Chromium): a command typed in the composer, then the
champion answering a check-in with a click, seen where Slack would show it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from slack_emulator.playground import browser

pytestmark = [
    pytest.mark.skipif(browser.missing() is not None, reason=str(browser.missing())),
    pytest.mark.skipif(
        os.environ.get("TEST_DATABASE_URL", "").startswith(("postgresql", "postgres:")),
        reason="the playground keeps its own SQLite database whatever TEST_DATABASE_URL says: "
        "the SQLite pass has run it",
    ),
]

DIARY_TITLE = "Accountability diary — week of 23 Nov"
FRONT_DESK = "Move one more gym"


@pytest.fixture(scope="module")
def playground_url() -> Iterator[str]:
    """`python -m demo.playground` on free ports; its first line names the page."""
    process = subprocess.Popen(
        [sys.executable, "-m", "demo.playground", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("Playground: "):
                yield line.split(" ", 1)[1].strip()
                break
        else:
            pytest.fail("the playground ended without printing its URL")
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def driver() -> Iterator[Any]:
    chromium = browser.headless_chromium()
    try:
        yield chromium
    finally:
        chromium.quit()


def test_a_command_and_a_check_in_answered_in_the_browser(playground_url: str, driver: Any) -> None:
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    # A pane swapped by the page's polling, or a page still loading after a post, is looked at again.
    wait = WebDriverWait(
        driver,
        10,
        poll_frequency=0.1,
        ignored_exceptions=(NoSuchElementException, StaleElementReferenceException),
    )

    def text_of(element_id: str) -> str:
        return str(driver.find_element(By.ID, element_id).text)

    # The CSM types a command; the help comes back only to them.
    driver.get(playground_url)
    driver.find_element(By.ID, "composer-text").send_keys("/accountability help")
    driver.find_element(By.ID, "send").click()
    wait.until(lambda d: "joint accountability check-ins" in text_of("conversation"))
    reply = driver.find_element(By.CSS_SELECTOR, "#conversation .ephemeral")
    assert "Only visible to you" in reply.text
    assert "/accountability help" in reply.text
    assert "For example" in reply.text

    # The champion (another organisation) sees only the shared channel, and the check-in in their DM.
    driver.find_element(By.ID, "as-U0CHAMP").click()
    channels = [a.text for a in driver.find_elements(By.CSS_SELECTOR, "nav a[id^='conv-C']")]
    assert channels == ["# fitco-shared"]
    assert "joint accountability check-ins" not in text_of("conversation")  # the CSM's reply is not theirs
    driver.find_element(By.ID, "conv-C0SHARED").click()
    diary = driver.find_element(By.XPATH, f"//div[@class='message'][contains(., '{DIARY_TITLE}')]")
    lines_before = int(diary.find_element(By.CLASS_NAME, "replies").text.split()[0])

    driver.find_element(By.ID, "conv-dm").click()
    checkin = f"//div[@class='message'][contains(., '{FRONT_DESK}')]"
    driver.find_element(By.XPATH, f"{checkin}//button[@data-label='Done']").click()
    wait.until(lambda d: "answered by @Jo" in d.find_element(By.XPATH, checkin).text)
    assert not driver.find_elements(By.XPATH, f"{checkin}//button[@data-label='Done']")

    # The next clock pass copies the diary line into the week's thread in the shared channel: the
    # clock is moved on an hour, which runs that pass at once.
    assert text_of("clock-now").startswith("Thu 26 Nov 15:0")
    driver.find_element(By.ID, "clock-hour").click()
    wait.until(lambda d: text_of("clock-now").startswith("Thu 26 Nov 16:0"))
    driver.find_element(By.ID, "conv-C0SHARED").click()
    driver.find_element(By.XPATH, f"//div[@class='message'][contains(., '{DIARY_TITLE}')]//a").click()
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#thread .message")) == lines_before + 2)
    newest = driver.find_elements(By.CSS_SELECTOR, "#thread .message")[-1].text
    assert "@Jo (customer champion)" in newest and FRONT_DESK in newest and "Done" in newest, newest
